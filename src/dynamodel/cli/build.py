"""The commands that compile one spec into artifacts: `design`, `generate`, `check`,
`cloudformation`, and `schema` (the spec language's JSON Schema)."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from dynamodel.cli.common import (
    EXIT_SPEC_ERRORS,
    EXIT_USAGE,
    SpecArgument,
    app,
    compile_file,
    keep_until_exit,
    read_and_compile,
    stderr,
    write_files,
)
from dynamodel.cli.parallel import start_child
from dynamodel.cli.pricing import PricesOption, RegionOption, chosen_prices
from dynamodel.cli.snippet import TABLE_ID, TableIdOption, print_cloudformation_snippet
from dynamodel.compiler.codegen import default_package_name, generate_package, is_package_name
from dynamodel.compiler.collector import collector_paused
from dynamodel.compiler.design.capacity import priced
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.design.prices import Prices
from dynamodel.compiler.emit.artifacts import (
    plain_artifacts,
    report_artifacts,
)
from dynamodel.compiler.emit.cloudformation import emit_cloudformation
from dynamodel.compiler.emit.design_json import emit_design_json
from dynamodel.compiler.emit.diagnostics_json import emit_diagnostics_json
from dynamodel.compiler.emit.html import emit_html
from dynamodel.compiler.emit.markdown import emit_markdown
from dynamodel.compiler.emit.schema import emit_schema
from dynamodel.compiler.emit.text import emit_text
from dynamodel.compiler.emit.workbench import emit_workbench
from dynamodel.compiler.names import plural
from dynamodel.compiler.pipeline import compile_spec


class DesignFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"  # the self-contained HTML report (report.html)
    workbench = "workbench"  # the NoSQL Workbench data model (workbench.json)


class TemplateFormat(enum.StrEnum):
    yaml = "yaml"
    json = "json"


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
    region: RegionOption = None,
    prices_file: PricesOption = None,
) -> None:
    """Check the spec, design the table, print the design."""
    prices = chosen_prices(region=region, prices_file=prices_file)
    # With --out, a child process compiles the spec too and writes the reports
    # meanwhile (dynamodel.cli.parallel); it writes nothing when the spec has errors, which
    # this process reports.
    child = start_child(out, lambda: _report_files(spec, prices)) if out is not None else None
    try:
        result = compile_file(spec)
        keep_until_exit(result)
        design = result.design
        assert design is not None
        if prices is not None:
            design = priced(design, prices)
        _print_design(design, format, str(spec))
        if out is None:
            return
        files = {
            **plain_artifacts(design, spec_name=spec.name),
            **generate_package(design, package=default_package_name(design), spec_name=spec.name),
        }
        if child is None:
            files.update(report_artifacts(design, spec_name=spec.name))
        write_files(out, files)
    finally:
        status = child.wait() if child is not None else 0
    if status != 0:
        raise typer.Exit(status)
    stderr().print(f"wrote the design artifacts to {out}", markup=False)


def _print_design(design: Design, format: DesignFormat, path: str) -> None:
    if format is DesignFormat.json:
        text = emit_design_json(design)
    elif format is DesignFormat.markdown:
        text = emit_markdown(design, path=path)
    elif format is DesignFormat.html:
        text = emit_html(design, path=path)
    elif format is DesignFormat.workbench:
        text = emit_workbench(design, path=path)
    else:
        text = emit_text(design, path=path)
    sys.stdout.write(text)


def _report_files(spec: Path, prices: Prices | None) -> dict[str, str] | None:
    """In the child: the report artifacts of the spec, or None when it does not compile
    cleanly (the parent reads the same spec and reports why)."""
    try:
        result = compile_spec(spec.read_bytes().decode("utf-8"), path=str(spec))
    except Exception:  # unreadable, or a bug: the parent meets it too and says so
        return None
    if not result.ok or result.design is None:
        return None
    design = result.design if prices is None else priced(result.design, prices)
    with collector_paused():
        return report_artifacts(design, spec_name=spec.name)


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
    result = compile_file(spec)
    assert result.design is not None
    before = compile_file(previous).design if previous is not None else None
    name = package or default_package_name(result.design)
    if not is_package_name(name):
        stderr().print(
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
        stale = _stale(out, files)
        for line in [*stale, *_not_generated(out, files, name)]:
            stderr().print(line, markup=False)
        if stale:
            stderr().print(
                f"{out / name} is stale: run `dynamodel generate {spec} --out {out}`", markup=False
            )
            raise typer.Exit(EXIT_SPEC_ERRORS)
        stderr().print(f"{out / name} is up to date", markup=False)
        return
    write_files(out, files)
    stderr().print(f"wrote package {name} to {out / name}", markup=False)


def _stale(out: Path, files: dict[str, str]) -> list[str]:
    """The generated files missing from OUT or different there. Only the files this run
    generates are compared: a `migrations.py` written with `--previous`, or a module of your
    own in the package, is not stale (regenerating would not change it, so a check that
    counted it would never pass)."""
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
    return problems


def _not_generated(out: Path, files: dict[str, str], package: str) -> list[str]:
    """The package's other Python files, named so that a file left over from an earlier
    spec is noticed; they do not make the package stale."""
    directory = out / package
    if not directory.is_dir():
        return []
    expected = {out / relative for relative in files}
    return [
        f"not generated by this run (not compared): {path}"
        for path in sorted(p for p in directory.glob("*.py") if p.is_file())
        if path not in expected
    ]


class CheckFormat(enum.StrEnum):
    text = "text"
    json = "json"


@app.command()
def check(
    spec: SpecArgument,
    format: Annotated[
        CheckFormat,
        typer.Option(
            "--format",
            "-f",
            help="text: diagnostics and a summary on stderr; json: the diagnostics as a JSON "
            "list on stdout (file, line, col, severity, code, message, hint).",
        ),
    ] = CheckFormat.text,
) -> None:
    """Validate the spec: print every error and warning, exit 1 on errors."""
    if format is CheckFormat.json:
        compiled = read_and_compile(spec)
        sys.stdout.write(emit_diagnostics_json(compiled.diagnostics, path=compiled.path))
        if not compiled.ok:
            raise typer.Exit(EXIT_SPEC_ERRORS)
        return
    result = compile_file(spec)
    design = result.design
    assert design is not None
    warnings = sum(1 for d in result.diagnostics if not d.is_error)
    counts = ", ".join(
        (
            plural(len(design.entities), "entity"),
            plural(len(design.patterns), "access pattern"),
            plural(len(design.indexes), "GSI"),
            plural(warnings, "warning"),
        )
    )
    stderr().print(f"{spec}: ok ({counts})", markup=False)


@app.command()
def cloudformation(
    spec: SpecArgument,
    format: Annotated[
        TemplateFormat, typer.Option("--format", "-f", help="Template syntax.")
    ] = TemplateFormat.yaml,
    copies: Annotated[
        bool,
        typer.Option(
            "--copies",
            help="Print the SAM stack of the copies handler (<package>.copies.handler on the "
            "table's stream) instead of the table's template; the spec must declare copy_of.",
        ),
    ] = False,
    package: Annotated[
        str | None,
        typer.Option(
            "--package",
            "-p",
            help="With --copies: the generated package's name (default: the table name).",
            show_default=False,
        ),
    ] = None,
    snippet: Annotated[
        bool,
        typer.Option(
            "--snippet",
            help="Print only the resources (the table's, or with --copies the handler's), to "
            "merge into the Resources of a template of your own.",
        ),
    ] = False,
    table_id: TableIdOption = TABLE_ID,
    table_name: Annotated[
        str | None,
        typer.Option(
            "--table-name",
            help="With --snippet: the table's name: a literal (Tracker-prod), a parameter of "
            "your template (${TableName}), or both (Tracker-${Stage}); by default "
            "<Table>-${Stage}, as in the stack.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print a CloudFormation template for the table (or, with --copies, the copies handler's
    SAM stack; with --snippet, only their resources)."""
    result = compile_file(spec)
    design = result.design
    assert design is not None
    if snippet:
        print_cloudformation_snippet(
            design,
            copies=copies,
            package=package,
            table_id=table_id,
            table_name=table_name,
            fmt=format.value,
        )
        return
    if table_id != TABLE_ID or table_name is not None:
        _usage("--table-id and --table-name apply to --snippet (the stack's table is `Table`)")
    if not copies:
        if package is not None:
            _usage("--package applies to --copies (the table's template names no package)")
        sys.stdout.write(emit_cloudformation(design, fmt=format.value))
        return
    default = default_package_name(design)
    name = package or default
    if not is_package_name(name):
        _usage(f"--package {name!r} is not an importable name (an identifier, not a keyword)")
    from dynamodel.compiler.emit.copies_stack import (  # only --copies
        NoCopiesError,
        emit_copies_stack,
    )

    try:
        text = emit_copies_stack(design, package=name, default_package=default, fmt=format.value)
    except NoCopiesError as exc:
        _usage(str(exc))
    sys.stdout.write(text)


def _usage(message: str) -> NoReturn:
    stderr().print(f"dynamodel: {message}", markup=False)
    raise typer.Exit(EXIT_USAGE)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec language (for editor completion)."""
    sys.stdout.write(emit_schema())
