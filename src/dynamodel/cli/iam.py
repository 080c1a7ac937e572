"""`dynamodel iam`: least-privilege IAM policies for the patterns and writes a function calls."""

from __future__ import annotations

import enum
import sys
from typing import Annotated, Literal

import typer

from dynamodel.cli.common import (
    EXIT_USAGE,
    SpecArgument,
    TenantScopeOption,
    app,
    compile_file,
    stderr,
)
from dynamodel.cli.snippet import TABLE_ID, TableIdOption, print_policy_snippet
from dynamodel.compiler.diagnostics import sort_diagnostics

# The size check of CloudFormation policies resolves the imported ARN to one this long.
_EXAMPLE_ARN = "arn:aws:dynamodb:ap-southeast-2:123456789012:table/{table}-production"


class PolicyFormat(enum.StrEnum):
    json = "json"
    cloudformation = "cloudformation"
    cloudformation_json = "cloudformation-json"  # the same template (or snippet) in JSON


def _names(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


@app.command()
def iam(
    spec: SpecArgument,
    patterns: Annotated[
        str | None,
        typer.Option("--patterns", help="Access patterns to allow, comma-separated."),
    ] = None,
    writes: Annotated[
        str | None,
        typer.Option(
            "--writes",
            help="Write methods to allow (create_ticket, batch_get, ...), comma-separated.",
        ),
    ] = None,
    function: Annotated[
        list[str] | None,
        typer.Option("--function", help="A group of the spec's `functions:` (repeatable)."),
    ] = None,
    format: Annotated[
        PolicyFormat,
        typer.Option(
            "--format",
            "-f",
            help="A policy document, or a template of managed policies (YAML, or JSON with "
            "cloudformation-json).",
        ),
    ] = PolicyFormat.json,
    table_arn: Annotated[
        str | None,
        typer.Option(
            "--table-arn",
            help="The table's ARN in the JSON policy [default: arn:aws:dynamodb:*:*:table/<Table>-dev].",
            show_default=False,
        ),
    ] = None,
    tenant_scope: TenantScopeOption = True,
    snippet: Annotated[
        bool,
        typer.Option(
            "--snippet",
            help="With a cloudformation format: print only the managed policies, on the table "
            "resource --table-id of your own template.",
        ),
    ] = False,
    table_id: TableIdOption = TABLE_ID,
) -> None:
    """Print the IAM policy that allows exactly the DynamoDB requests of the given patterns and
    writes (default: all of them; with --format cloudformation, one policy per function)."""
    # Imported here: only this command needs them, and every command starts faster without.
    from dynamodel.compiler.emit.iam import (
        MAX_POLICY_CHARACTERS,
        arn_resource,
        check_table_arn,
        default_table_arn,
        emit_policy_cloudformation,
        emit_policy_json,
        policy_characters,
        policy_document,
        regenerate_command,
    )
    from dynamodel.compiler.emit.iam_access import method_names
    from dynamodel.compiler.emit.iam_plan import (
        EVERYTHING,
        Selection,
        plan_policy,
        selections,
        union,
    )

    result = compile_file(spec)
    design = result.design
    assert design is not None
    err = stderr()
    try:
        chosen = selections(
            design, patterns=_names(patterns), writes=_names(writes), functions=function or ()
        )
        if format is PolicyFormat.json:
            if table_arn is not None:
                check_table_arn(table_arn)
            elif not (patterns or writes or function):  # one policy: every pattern and write
                chosen = (
                    Selection(
                        EVERYTHING,
                        tuple(p.name for p in design.patterns),
                        tuple(method_names(design.spec)),
                    ),
                )
        elif table_arn is not None:
            raise ValueError("--table-arn applies to --format json (templates import the ARN)")
        if (snippet or table_id != TABLE_ID) and format is PolicyFormat.json:
            raise ValueError("--snippet and --table-id apply to the cloudformation formats")
        if table_id != TABLE_ID and not snippet:
            raise ValueError("--table-id applies to --snippet (the stack imports the table)")
    except ValueError as exc:
        err.print(f"dynamodel: {exc}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    if format is PolicyFormat.json:
        plans = [plan_policy(design, union(chosen), tenant_scope=tenant_scope)]
    else:
        plans = [plan_policy(design, s, tenant_scope=tenant_scope) for s in chosen]
    path = str(spec)
    for diagnostic in sort_diagnostics([w for plan in plans for w in plan.warnings]):
        err.print(diagnostic.render(path), style="yellow", markup=False)
    arn = table_arn or (
        default_table_arn(design)
        if format is PolicyFormat.json
        else _EXAMPLE_ARN.format(table=design.table_name)
    )
    for plan in plans:
        size = policy_characters(policy_document(plan, arn_resource(arn)))
        if size > MAX_POLICY_CHARACTERS:
            err.print(
                f"dynamodel: warning: the policy of {plan.selection.name} is about {size} "
                f"characters, over IAM's {MAX_POLICY_CHARACTERS} for a managed policy "
                "(split the function's patterns and writes over two)",
                style="yellow",
                markup=False,
            )
    syntax: Literal["yaml", "json"] = (
        "json" if format is PolicyFormat.cloudformation_json else "yaml"
    )
    if format is PolicyFormat.json:
        sys.stdout.write(emit_policy_json(plans[0], table_arn=arn))
    elif snippet:
        command = regenerate_command(design, chosen, tenant_scope=tenant_scope)
        print_policy_snippet(design, plans, table_id=table_id, command=command, fmt=syntax)
    else:
        text = emit_policy_cloudformation(design, plans, tenant_scope=tenant_scope, fmt=syntax)
        sys.stdout.write(text)
