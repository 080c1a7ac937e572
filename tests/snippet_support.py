"""What the snippet tests share (tests/test_snippets.py, tests/test_snippet_stacks.py): the
tracker's snippets as printed, the CLI, cfn-lint, and pasting snippets into a template."""

from __future__ import annotations

from pathlib import Path

from cfnlint.api import lint_file  # type: ignore[import-untyped]  # cfn-lint ships no py.typed
from typer.testing import CliRunner

from dynamodel.cli import app
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.pipeline import compile_spec

ROOT = Path(__file__).resolve().parent.parent
TRACKER = ROOT / "examples" / "tracker" / "spec.yaml"
SNIPPETS = (
    ["cloudformation", str(TRACKER), "--snippet", "--table-id", "TrackerTable"],
    [
        "iam",
        str(TRACKER),
        "-f",
        "cloudformation",
        "--snippet",
        "--table-id",
        "TrackerTable",
        "--no-tenant-scope",
    ],
    ["cloudformation", str(TRACKER), "--copies", "--snippet", "--table-id", "TrackerTable"],
)


def tracker_design(path: Path = TRACKER) -> Design:
    design = compile_spec(path.read_text(encoding="utf-8"), path=str(path)).design
    assert design is not None
    return design


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def as_json(args: list[str]) -> list[str]:
    """The same command printing JSON (`iam`'s template format is `cloudformation-json`)."""
    if args[0] == "iam":
        return [("cloudformation-json" if a == "cloudformation" else a) for a in args]
    return [*args, "--format", "json"]


def lint(path: Path) -> list[str]:
    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in lint_file(path)]


def pasted(host: str, snippets: list[str]) -> str:
    """The host template with each snippet's resources pasted under its `Resources:` line,
    the snippet's lines as they are (already indented for that place)."""
    body = "".join(text.split("Resources:\n", 1)[1] for text in snippets)
    return host.replace("Resources:\n", "Resources:\n" + body, 1)
