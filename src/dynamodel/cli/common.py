"""What every command shares: the typer app, exit codes, reading and compiling a spec with
its diagnostics printed, writing files. The command line is the only place that reads specs
from disk or writes files; the commands live in the modules beside this one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup, TyperOption

from dynamodel.compiler.diagnostics import UNKNOWN_POS, error
from dynamodel.compiler.names import plural
from dynamodel.compiler.pipeline import Compilation, compile_spec

CommandFunction = TypeVar("CommandFunction", bound=Callable[..., Any])


def _without_flag_types(params: list[Any]) -> list[Any]:
    """Flags (`--keep`, `--help`, ...) take no value, but typer's help shows their type as
    `<bool>`; an empty metavar shows nothing."""
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    return params


class _Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _without_flag_types(super().get_params(ctx))


class _Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _without_flag_types(super().get_params(ctx))


class _App(typer.Typer):
    """The app, whose commands show no type for their flags."""

    def command(  # the same, with a default `cls`
        self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any
    ) -> Callable[[CommandFunction], CommandFunction]:
        return super().command(*args, cls=cls or _Command, **kwargs)


app = _App(
    name="dynamodel",
    help="Compile a DynamoDB access-pattern spec into a single-table design.",
    cls=_Group,
    add_completion=True,  # --install-completion / --show-completion (see docs/cli.md)
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

EXIT_SPEC_ERRORS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


SpecArgument = Annotated[
    Path, typer.Argument(help="The spec YAML file.", show_default=False, metavar="SPEC")
]
# `dynamodel iam` and `dynamodel cdk` (its grant methods) scope policies alike.
TenantScopeOption = Annotated[
    bool,
    typer.Option(
        "--tenant-scope/--no-tenant-scope",
        help="Limit tenant-keyed partitions to the caller's principal tag (needs `tenant:`). "
        "Off for a role that serves every tenant, such as a Lambda execution role.",
    ),
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
    """The console of every status line and diagnostic. Markup and emoji codes are off: the
    text holds file names, spec names and values, and rich would read `spec.yaml:100:13` as
    the emoji `:100:` and `[bold]` as a style."""
    return Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def read_and_compile(spec: Path) -> Compilation:
    """Read and compile, printing nothing but why a file cannot be read (exit 2) or a bug
    (exit 3); a file that is not UTF-8 gives a compilation with that one error."""
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
        not_text = error(UNKNOWN_POS, f"the spec is not UTF-8 text ({exc.reason})")
        return Compilation(path, None, None, (not_text,))
    try:
        return compile_spec(text, path=path)
    except Exception as exc:  # a bug, not bad input: say so instead of a traceback
        err.print(
            f"dynamodel: internal error while compiling {path}: {type(exc).__name__}: {exc}\n"
            "This is a bug in dynamodel; please report it with the spec.",
            markup=False,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


def compile_file(spec: Path) -> Compilation:
    """Read and compile, printing diagnostics; exit 1 on errors, 2 on an unreadable file."""
    result = read_and_compile(spec)
    err = stderr()
    for diagnostic in result.diagnostics:
        style = "red" if diagnostic.is_error else "yellow"
        err.print(diagnostic.render(result.path), style=style, markup=False)
    if not result.ok:
        errors = sum(1 for d in result.diagnostics if d.is_error)
        err.print(f"{plural(errors, 'error')} in {result.path}", markup=False)
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
