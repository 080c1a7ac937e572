"""The documentation site builds with warnings as errors (`mkdocs build --strict`): every page
is in the navigation, every link between pages and every anchor resolves, and links to files
of the repository outside `docs/` point at files that exist (scripts/mkdocs_hooks.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_the_site_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    pages = sorted(p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").glob("*.md"))
    for page in pages:
        html = site / page.removesuffix(".md") / "index.html"
        if page == "index.md":
            html = site / "index.html"
        text = html.read_text(encoding="utf-8")
        # No link leaves the site for a repository path it does not hold.
        assert not re.search(r'href="(\.\./)+(examples|schema|src|tests|bench)/', text), page


def test_every_page_is_in_the_navigation() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = {next(iter(entry.values())) for entry in config["nav"]}
    pages = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert listed == pages


def test_repository_links_are_checked(tmp_path: Path) -> None:
    """A link to a repository file that does not exist fails the strict build."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\nSee [the spec](../examples/nowhere/spec.yaml).\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\nstrict: true\nhooks:\n"
        f"  - {ROOT / 'scripts' / 'mkdocs_hooks.py'}\nnav:\n  - Home: index.md\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "s")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "links to a missing file: examples/nowhere/spec.yaml" in result.stderr


def test_the_tutorial_spec_and_its_diagnostic_are_what_the_compiler_says() -> None:
    from dynamodel.compiler.pipeline import compile_spec

    tutorial = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    spec = re.search(r"```yaml\n(.*?)```", tutorial, re.S)
    assert spec is not None
    assert compile_spec(spec.group(1), path="spec.yaml").ok
    mistake = compile_spec(spec.group(1).replace("sort: updated_at", "sortt: updated_at"))
    (diagnostic,) = mistake.diagnostics
    assert diagnostic.render("spec.yaml") in tutorial


def _shown_lines(page: str, command: str) -> list[str]:
    """The output lines a page shows under `$ <command>` (elisions left out)."""
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    block = re.search(rf"```text\n\$ {re.escape(command)}\n(.*?)```", text, re.S)
    assert block is not None, (page, command)
    return [line for line in block.group(1).splitlines() if line.strip() not in ("", "...")]


def test_the_output_the_docs_show_is_what_the_commands_print() -> None:
    for page, command in (
        ("capacity.md", "dynamodel design examples/iot/spec.yaml"),
        ("cli.md", "dynamodel try examples/tracker/spec.yaml"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "dynamodel", *command.split()[1:]],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        printed = result.stdout.splitlines()
        missing = [line for line in _shown_lines(page, command) if line not in printed]
        assert not missing, (page, missing)
