"""What every command shares: the typer app, exit codes, reading and compiling a spec with
its diagnostics printed, writing files. The command line is the only place that reads specs
from disk or writes files; the commands live in the modules beside this one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from dynamodel.compiler.pipeline import Compilation, compile_spec

app = typer.Typer(
    name="dynamodel",
    help="Compile a DynamoDB access-pattern spec into a single-table design.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

EXIT_SPEC_ERRORS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


SpecArgument = Annotated[
    Path, typer.Argument(help="The spec YAML file.", show_default=False, metavar="SPEC")
]


class _ExitHolder:
    """What the process holds when it exits. `dynamodel.cli.main` leaves with `os._exit`, so
    what is kept here is never freed object by object; run any other way (typer's test
    runner, `app()` in a test), nothing is kept."""

    def __init__(self) -> None:
        self.objects: list[object] | None = None  # a list once `main` runs the command


EXIT_HOLDER = _ExitHolder()


def keep_until_exit(*objects: object) -> None:
    """Keep large objects (a compiled design) alive to the end of the process, when the
    process ends with `main`'s fast exit: freeing them when the command returns would cost
    as long as the exit skips."""
    if EXIT_HOLDER.objects is not None:
        EXIT_HOLDER.objects.extend(objects)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def compile_file(spec: Path) -> Compilation:
    """Read and compile, printing diagnostics; exit 1 on errors, 2 on an unreadable file."""
    err = stderr()
    try:
        raw = spec.read_bytes()
    except OSError as exc:
        err.print(f"dynamodel: cannot read {spec}: {exc.strerror or exc}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    path = str(spec)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        err.print(f"{path}:1:1: error: the spec is not UTF-8 text ({exc.reason})", markup=False)
        raise typer.Exit(EXIT_SPEC_ERRORS) from None
    try:
        result = compile_spec(text, path=path)
    except Exception as exc:  # a bug, not bad input: say so instead of a traceback
        err.print(
            f"dynamodel: internal error while compiling {path}: {type(exc).__name__}: {exc}\n"
            "This is a bug in dynamodel; please report it with the spec.",
            markup=False,
        )
        raise typer.Exit(EXIT_INTERNAL) from None
    for diagnostic in result.diagnostics:
        style = "red" if diagnostic.is_error else "yellow"
        err.print(diagnostic.render(path), style=style, markup=False)
    if not result.ok:
        errors = sum(1 for d in result.diagnostics if d.is_error)
        err.print(f"{errors} error{'s' if errors != 1 else ''} in {path}", markup=False)
        raise typer.Exit(EXIT_SPEC_ERRORS)
    return result


def write_files(out: Path, files: dict[str, str]) -> None:
    try:
        for relative, text in sorted(files.items()):
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except OSError as exc:
        _cannot_write(out, exc)


def _cannot_write(out: Path, exc: OSError) -> NoReturn:
    stderr().print(f"dynamodel: cannot write to {out}: {exc.strerror or exc}", markup=False)
    raise typer.Exit(EXIT_USAGE) from None
