"""`dynamodel diff`: what changing a deployed spec takes (see compiler/diff/__init__.py)."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from dynamodel.cli.common import EXIT_SPEC_ERRORS, app, compile_file


class DiffFormat(enum.StrEnum):
    text = "text"
    json = "json"


@app.command()
def diff(
    old: Annotated[
        Path, typer.Argument(help="The spec now deployed.", show_default=False, metavar="OLD")
    ],
    new: Annotated[
        Path, typer.Argument(help="The changed spec.", show_default=False, metavar="NEW")
    ],
    format: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="How to print the plan.")
    ] = DiffFormat.text,
) -> None:
    """Classify every change from OLD to NEW and print a plan; exit 0 only when all are safe."""
    from dynamodel.compiler.diff import diff_designs  # only this command needs them
    from dynamodel.compiler.emit.diff_plan import emit_diff_json, emit_diff_text

    before = compile_file(old).design
    after = compile_file(new).design
    assert before is not None and after is not None
    changes = diff_designs(before, after)
    emit = emit_diff_json if format is DiffFormat.json else emit_diff_text
    sys.stdout.write(emit(changes, old_path=str(old), new_path=str(new)))
    if not changes.safe:
        raise typer.Exit(EXIT_SPEC_ERRORS)
