"""`dynamodel cdk`: the table as a Python AWS CDK construct, with grant methods per function
group (see dynamodel.compiler.emit.cdk)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dynamodel.cli.common import (
    SpecArgument,
    TenantScopeOption,
    app,
    compile_file,
    stderr,
    write_files,
)


@app.command()
def cdk(
    spec: SpecArgument,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the module <table>_table.py into this directory instead of printing it.",
            show_default=False,
        ),
    ] = None,
    tenant_scope: TenantScopeOption = True,
) -> None:
    """Print a Python AWS CDK construct for the table: the table of `dynamodel cloudformation`
    and a grant method per function group of `functions:` (the statements of `dynamodel iam`)."""
    from dynamodel.compiler.emit.cdk import cdk_files, emit_cdk  # only this command needs it

    result = compile_file(spec)
    design = result.design
    assert design is not None
    if out is None:
        sys.stdout.write(emit_cdk(design, tenant_scope=tenant_scope))
        return
    files = cdk_files(design, tenant_scope=tenant_scope)
    write_files(out, files)
    for name in files:
        stderr().print(f"wrote {out / name}", markup=False)
