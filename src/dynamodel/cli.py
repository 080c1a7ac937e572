"""The `dynamodel` command line. The only place that reads specs from disk or writes files.

Exit codes: 0 success, 1 the spec has errors (or, for `diff`, a change that is not safe),
2 bad usage, 3 an internal error (a bug: please report it with the spec).
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dynamodel import __version__
from dynamodel.compiler.codegen import default_package_name, generate_package, is_package_name
from dynamodel.compiler.diff import diff_designs
from dynamodel.compiler.emit.artifacts import design_artifacts
from dynamodel.compiler.emit.cloudformation import emit_cloudformation
from dynamodel.compiler.emit.design_json import emit_design_json
from dynamodel.compiler.emit.diff_plan import emit_diff_json, emit_diff_text
from dynamodel.compiler.emit.markdown import emit_markdown
from dynamodel.compiler.emit.schema import emit_schema
from dynamodel.compiler.emit.text import emit_text
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


class DesignFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


class DiffFormat(enum.StrEnum):
    text = "text"
    json = "json"


class TemplateFormat(enum.StrEnum):
    yaml = "yaml"
    json = "json"


SpecArgument = Annotated[
    Path, typer.Argument(help="The spec YAML file.", show_default=False, metavar="SPEC")
]


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _compile(spec: Path) -> Compilation:
    """Read and compile, printing diagnostics; exit 1 on errors, 2 on an unreadable file."""
    err = _stderr()
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


def _write(out: Path, files: dict[str, str]) -> None:
    try:
        for relative, text in sorted(files.items()):
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except OSError as exc:
        _stderr().print(f"dynamodel: cannot write to {out}: {exc.strerror or exc}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None


@app.command()
def design(
    spec: SpecArgument,
    format: Annotated[
        DesignFormat, typer.Option("--format", "-f", help="How to print the design.")
    ] = DesignFormat.text,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Also write every artifact into this directory."),
    ] = None,
) -> None:
    """Check the spec, design the table, print the design."""
    result = _compile(spec)
    assert result.design is not None
    path = str(spec)
    if format is DesignFormat.json:
        text = emit_design_json(result.design)
    elif format is DesignFormat.markdown:
        text = emit_markdown(result.design, path=path)
    else:
        text = emit_text(result.design, path=path)
    sys.stdout.write(text)
    if out is not None:
        files = design_artifacts(result.design, spec_name=spec.name)
        name = default_package_name(result.design)
        files.update(generate_package(result.design, package=name, spec_name=spec.name))
        _write(out, files)
        _stderr().print(f"wrote the design artifacts to {out}", markup=False)


@app.command()
def generate(
    spec: SpecArgument,
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write the package into.")],
    package: Annotated[
        str | None,
        typer.Option("--package", "-p", help="Package name (default: the table name)."),
    ] = None,
    check_only: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if the package in OUT is stale."),
    ] = False,
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            help="The spec now deployed: also write migrations.py with a migrate_<entity>() "
            "for each entity whose stored items must be rewritten.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the typed Python package: models, marshalling, repository."""
    result = _compile(spec)
    assert result.design is not None
    before = _compile(previous).design if previous is not None else None
    name = package or default_package_name(result.design)
    if not is_package_name(name):
        _stderr().print(
            f"dynamodel: --package {name!r} is not an importable name (an identifier, not a "
            "keyword)",
            markup=False,
        )
        raise typer.Exit(EXIT_USAGE)
    files = generate_package(
        result.design,
        package=name,
        spec_name=spec.name,
        previous=before,
        previous_name=previous.name if previous is not None else "previous.yaml",
    )
    if check_only:
        stale = _stale(out, files, name)
        for line in stale:
            _stderr().print(line, markup=False)
        if stale:
            _stderr().print(
                f"{out / name} is stale: run `dynamodel generate {spec} --out {out}`", markup=False
            )
            raise typer.Exit(EXIT_SPEC_ERRORS)
        _stderr().print(f"{out / name} is up to date", markup=False)
        return
    _write(out, files)
    _stderr().print(f"wrote package {name} to {out / name}", markup=False)


def _stale(out: Path, files: dict[str, str], package: str) -> list[str]:
    problems = []
    for relative, text in sorted(files.items()):
        target = out / relative
        try:
            same = target.read_bytes() == text.encode("utf-8")
        except FileNotFoundError:
            problems.append(f"missing: {target}")
            continue
        except OSError as error:  # a directory in its place, no permission, ...
            problems.append(f"unreadable: {target} ({error.strerror or error})")
            continue
        if not same:
            problems.append(f"differs: {target}")
    directory = out / package
    if directory.is_dir():
        expected = {out / relative for relative in files}
        for path in sorted(directory.rglob("*.py")):
            if path not in expected:
                problems.append(f"not generated: {path}")
    return problems


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
    before = _compile(old).design
    after = _compile(new).design
    assert before is not None and after is not None
    changes = diff_designs(before, after)
    emit = emit_diff_json if format is DiffFormat.json else emit_diff_text
    sys.stdout.write(emit(changes, old_path=str(old), new_path=str(new)))
    if not changes.safe:
        raise typer.Exit(EXIT_SPEC_ERRORS)


@app.command()
def check(spec: SpecArgument) -> None:
    """Validate the spec: print every error and warning, exit 1 on errors."""
    result = _compile(spec)
    assert result.design is not None
    warnings = len(result.design.warnings)
    _stderr().print(
        f"{spec}: ok ({len(result.design.entities)} entities, {len(result.design.patterns)} "
        f"access patterns, {len(result.design.indexes)} GSIs, {warnings} warnings)",
        markup=False,
    )


@app.command()
def cloudformation(
    spec: SpecArgument,
    format: Annotated[
        TemplateFormat, typer.Option("--format", "-f", help="Template syntax.")
    ] = TemplateFormat.yaml,
) -> None:
    """Print a CloudFormation template for the table."""
    result = _compile(spec)
    assert result.design is not None
    sys.stdout.write(emit_cloudformation(result.design, fmt=format.value))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec language (for editor completion)."""
    sys.stdout.write(emit_schema())


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"dynamodel {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """dynamodel: a declarative DynamoDB single-table design compiler."""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
