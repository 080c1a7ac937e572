"""The generated packages: current in the repository, lint-clean, mypy --strict clean, and
importable without any build-time module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dynamodel.compiler.codegen import default_package_name, generate_package
from dynamodel.compiler.pipeline import compile_spec
from tests.goldens import compare_files

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/spec.yaml"))
ALL_SPECS = EXAMPLES + sorted(ROOT.glob("tests/golden/*/spec.yaml"))
RUFF_RULES = "E,F,W,I,UP,B,SIM,RUF"


def package_files(spec_path: Path) -> tuple[str, dict[str, str]]:
    result = compile_spec(spec_path.read_text(encoding="utf-8"), path=spec_path.name)
    assert result.design is not None, result.rendered()
    name = default_package_name(result.design)
    previous_path = spec_path.with_name("previous.yaml")
    previous = None
    if previous_path.exists():  # generate migrations.py too, so that it is linted and typed
        previous = compile_spec(previous_path.read_text(encoding="utf-8")).design
        assert previous is not None
    return name, generate_package(
        result.design, package=name, spec_name=spec_path.name, previous=previous
    )


@pytest.mark.parametrize("spec_path", EXAMPLES, ids=lambda p: p.parent.name)
def test_checked_in_packages_are_current(spec_path: Path, update_goldens: bool) -> None:
    _, files = package_files(spec_path)
    problems = compare_files(spec_path.parent / "generated", files, update=update_goldens)
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def generated_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    for spec_path in ALL_SPECS:
        _, files = package_files(spec_path)
        target = root / spec_path.parent.name
        for relative, text in files.items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return root


def test_generation_is_deterministic() -> None:
    for spec_path in ALL_SPECS:
        assert package_files(spec_path) == package_files(spec_path)


def test_generated_code_passes_ruff(generated_tree: Path) -> None:
    # Line length is the formatter's business; every lint rule we hold our own code to applies.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--no-cache",
            "--select",
            RUFF_RULES,
            "--ignore",
            "E501",
            ".",
        ],
        cwd=generated_tree,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_code_is_laid_out_as_ruff_formats_it(generated_tree: Path) -> None:
    # ruff's defaults (88 columns, double quotes): what a project without settings of its own
    # formats the checked-in package with.
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--no-cache", "--check", "."],
        cwd=generated_tree,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_code_passes_mypy_strict(generated_tree: Path) -> None:
    packages = sorted(p.parent for p in generated_tree.glob("*/*/__init__.py"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--ignore-missing-imports",
            *map(str, packages),
        ],
        cwd=generated_tree,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("spec_path", EXAMPLES, ids=lambda p: p.parent.name)
def test_generated_package_imports_no_build_time_modules(spec_path: Path) -> None:
    name, _ = package_files(spec_path)
    code = (
        "import sys\n"
        f"import {name}\n"
        "bad = [m for m in sys.modules if m.startswith(('dynamodel.compiler', 'dynamodel.cli',"
        " 'yaml', 'typer', 'rich', 'jinja2', 'click'))]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=spec_path.parent / "generated",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_generate_check_reports_stale_packages(tmp_path: Path) -> None:
    spec = ROOT / "examples" / "tracker" / "spec.yaml"
    run = [sys.executable, "-m", "dynamodel", "generate", str(spec), "--out", str(tmp_path)]
    assert subprocess.run([*run, "--check"], capture_output=True).returncode == 1
    assert subprocess.run(run, capture_output=True).returncode == 0
    assert subprocess.run([*run, "--check"], capture_output=True).returncode == 0
    models = tmp_path / "tracker" / "models.py"
    models.write_text(models.read_text() + "# edited\n")
    assert subprocess.run([*run, "--check"], capture_output=True).returncode == 1


def _generate(spec: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "dynamodel", "generate", str(spec), "--out", str(out)]
    # A timeout: `--check` once looped over its own report of a user's module.
    return subprocess.run([*command, *extra], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", ["examples/tracker", "tests/golden/nothing_to_update"])
def test_generate_check_is_current_after_ruff_format(case: str, tmp_path: Path) -> None:
    spec = ROOT / case / "spec.yaml"
    assert _generate(spec, tmp_path).returncode == 0
    formatted = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--no-cache", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert formatted.returncode == 0, formatted.stderr
    assert "reformatted" not in formatted.stdout + formatted.stderr  # already as ruff has it
    check = _generate(spec, tmp_path, "--check")
    assert check.returncode == 0, check.stderr
    assert "is up to date" in check.stderr


def test_generate_check_compares_only_the_files_it_generates(tmp_path: Path) -> None:
    """A migrations.py (written with --previous) and a module of the user's own are left
    alone and named, never stale: regenerating would not remove them."""
    spec = ROOT / "tests" / "golden" / "evolution" / "spec.yaml"
    previous = spec.with_name("previous.yaml")
    assert _generate(spec, tmp_path, "--previous", str(previous)).returncode == 0
    package = next(p.parent for p in tmp_path.glob("*/__init__.py"))
    assert (package / "migrations.py").exists()
    (package / "handlers.py").write_text("from .repository import *  # noqa: F403\n")
    check = _generate(spec, tmp_path, "--check")
    assert check.returncode == 0, check.stderr
    assert f"not generated by this run (not compared): {package / 'handlers.py'}" in check.stderr
    assert f"not generated by this run (not compared): {package / 'migrations.py'}" in check.stderr
    assert "is up to date" in check.stderr
    with_previous = _generate(spec, tmp_path, "--check", "--previous", str(previous))
    assert with_previous.returncode == 0, with_previous.stderr
    (package / "migrations.py").write_text("# edited\n")
    stale = _generate(spec, tmp_path, "--check", "--previous", str(previous))
    assert stale.returncode == 1
    assert f"differs: {package / 'migrations.py'}" in stale.stderr
    assert _generate(spec, tmp_path, "--check").returncode == 0  # without --previous: ignored
