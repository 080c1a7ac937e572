"""Golden end-to-end cases: a spec in, every emitted file out, diffed with the checked-in files.

Cases: every example (examples/*/spec.yaml, artifacts beside the spec) and every directory under
tests/golden/ (artifacts under expected/; with a previous.yaml beside the spec, also the
`dynamodel diff` plan and the generated migrations.py). Bad specs live in tests/bad/: `NAME.yaml` in,
`NAME.expected` (the exact diagnostics, one per line) out. Refresh with `--update-goldens`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamodel.compiler.codegen.migrations import generate_migrations
from dynamodel.compiler.diff import diff_designs
from dynamodel.compiler.emit.artifacts import design_artifacts
from dynamodel.compiler.emit.diff_plan import emit_diff_text
from dynamodel.compiler.emit.text import emit_text
from dynamodel.compiler.pipeline import compile_spec
from tests.goldens import compare_files

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/spec.yaml"))
GOLDEN = sorted(ROOT.glob("tests/golden/*/spec.yaml"))
BAD = sorted(ROOT.glob("tests/bad/*.yaml"))


def _artifacts(spec_path: Path) -> dict[str, str]:
    result = compile_spec(spec_path.read_text(encoding="utf-8"), path=spec_path.name)
    assert result.ok, "\n".join(result.rendered())
    assert result.design is not None
    files = design_artifacts(result.design, spec_name=spec_path.name)
    files["design.txt"] = emit_text(result.design, path=spec_path.name)
    previous_path = spec_path.with_name("previous.yaml")
    if previous_path.exists():  # a schema-evolution case: the plan and the migrations too
        previous = compile_spec(previous_path.read_text(encoding="utf-8"), path="previous.yaml")
        assert previous.design is not None, previous.rendered()
        diff = diff_designs(previous.design, result.design)
        files["diff.txt"] = emit_diff_text(diff, old_path="previous.yaml", new_path="spec.yaml")
        files["migrations.py"] = generate_migrations(
            diff,
            previous.design,
            result.design,
            spec_name="spec.yaml",
            previous_name="previous.yaml",
        )
    return files


@pytest.mark.parametrize("spec_path", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_artifacts_are_current(spec_path: Path, update_goldens: bool) -> None:
    problems = compare_files(spec_path.parent, _artifacts(spec_path), update=update_goldens)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("spec_path", GOLDEN, ids=lambda p: p.parent.name)
def test_golden_case(spec_path: Path, update_goldens: bool) -> None:
    expected = spec_path.parent / "expected"
    problems = compare_files(expected, _artifacts(spec_path), update=update_goldens)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("spec_path", BAD, ids=lambda p: p.stem)
def test_bad_spec_diagnostics(spec_path: Path, update_goldens: bool) -> None:
    result = compile_spec(spec_path.read_text(encoding="utf-8"), path=spec_path.name)
    assert not result.ok, "a bad-spec case must fail"
    text = "\n".join(result.rendered()) + "\n"
    problems = compare_files(
        spec_path.parent, {spec_path.with_suffix(".expected").name: text}, update=update_goldens
    )
    assert not problems, "\n".join(problems)


def test_there_are_enough_cases() -> None:
    assert len(EXAMPLES) >= 4
    assert len(BAD) >= 25
