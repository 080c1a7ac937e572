"""Least-privilege IAM policies for the repository methods a function calls (`dynamodel iam`).

Two forms of the statements `iam_plan.py` plans:

- `emit_policy_json`: one IAM policy document, for a given table ARN;
- `emit_policy_cloudformation`: a template with one `AWS::IAM::ManagedPolicy` per selection,
  on the table of the table stack (`Fn::ImportValue` of `${TableStack}-TableArn`, the export
  of `dynamodel cloudformation`), each policy's ARN exported as
  `${AWS::StackName}-<Name>PolicyArn` for function stacks to import.

Both are deterministic. The statements are described in docs/iam.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

import yaml

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.cloudformation import MAX_TABLE_NAME, stage_parameter
from dynamodel.compiler.emit.iam_plan import (
    EVERYTHING,
    SELECTION,
    PolicyPlan,
    Selection,
    Statement,
)
from dynamodel.compiler.emit.table_link import IMPORTED, STAGE, TABLE_STACK, TableLink
from dynamodel.compiler.names import pascal_case

POLICY_VERSION = "2012-10-17"
LEADING_KEYS = "dynamodb:LeadingKeys"
# IAM counts a managed policy's size without whitespace; this is its quota.
MAX_POLICY_CHARACTERS = 6144
MAX_DESCRIPTION = 1000  # AWS::IAM::ManagedPolicy Description
_TABLE_ARN = re.compile(
    r"^arn:aws[a-z-]*:dynamodb:([a-z0-9-]+|\*):([0-9]{12}|\*):table/[A-Za-z0-9_.-]{3,255}$"
)


def default_table_arn(design: Design) -> str:
    """The table of the table stack's default stage, in any region and account."""
    return f"arn:aws:dynamodb:*:*:table/{design.table_name}-dev"


def check_table_arn(arn: str) -> None:
    """ValueError unless `arn` names one table: a wildcard in the name would also match
    every index's ARN (`table/T-*` matches `table/T-dev/index/GSI1`)."""
    if not _TABLE_ARN.match(arn):
        raise ValueError(
            f"--table-arn {arn!r} is not the ARN of one table: write "
            "arn:aws:dynamodb:REGION:ACCOUNT:table/NAME (REGION and ACCOUNT may be *; no "
            "wildcard in NAME, which would also match the table's indexes)"
        )


def _statement(plan_statement: Statement, resource: Callable[[str | None], Any]) -> dict[str, Any]:
    return {
        "Sid": plan_statement.sid,
        "Effect": "Allow",
        "Action": [f"dynamodb:{a}" for a in plan_statement.actions],
        "Resource": resource(plan_statement.index),
        "Condition": {
            # ForAllValues also holds for a request without keys: demand that there are some.
            "Null": {LEADING_KEYS: "false"},
            "ForAllValues:StringLike": {LEADING_KEYS: list(plan_statement.leading_keys)},
        },
    }


def policy_document(plan: PolicyPlan, resource: Callable[[str | None], Any]) -> dict[str, Any]:
    """The policy of one plan; `resource(index)` gives the ARN of the table (None) or index."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [_statement(s, resource) for s in plan.statements],
    }


def arn_resource(table_arn: str) -> Callable[[str | None], str]:
    def resource(index: str | None) -> str:
        return table_arn if index is None else f"{table_arn}/index/{index}"

    return resource


def policy_characters(document: dict[str, Any]) -> int:
    """The size IAM counts: the JSON without whitespace (strings hold none here)."""
    return len(json.dumps(document, separators=(",", ":")))


def emit_policy_json(plan: PolicyPlan, *, table_arn: str) -> str:
    check_table_arn(table_arn)
    return json.dumps(policy_document(plan, arn_resource(table_arn)), indent=2) + "\n"


def imported_arn(index: str | None) -> Any:
    """The table (None) or index ARN, from the table stack's TableArn export."""
    return IMPORTED.arn(index)


def logical_name(selection: Selection) -> str:
    return f"{pascal_case(selection.name)}Policy"


def _description(design: Design, selection: Selection, link: TableLink) -> Any:
    parts = [selection.description.rstrip(".") + "." if selection.description else ""]
    if selection.patterns:
        parts.append("Patterns: " + ", ".join(selection.patterns) + ".")
    if selection.writes:
        parts.append("Writes: " + ", ".join(selection.writes) + ".")
    head = f"{selection.name} on "
    tail = " ".join(p for p in parts if p)
    # The deployed name is at most 255 characters; then ": ", and one spare.
    room = MAX_DESCRIPTION - len(head) - MAX_TABLE_NAME - 3
    if len(tail) > room:
        tail = tail[: room - 3] + "..."
    joined: list[Any] = []
    for part in (head, *link.name_parts(design.table_name), ": " + tail):
        if isinstance(part, str) and joined and isinstance(joined[-1], str):
            joined[-1] += part
        else:
            joined.append(part)
    return {"Fn::Join": ["", joined]}


def regenerate_command(
    design: Design, selections: Sequence[Selection], *, tenant_scope: bool
) -> str:
    command = "dynamodel iam SPEC --format cloudformation"
    names = [s.name for s in selections]
    every_group = [g.name for g in design.spec.functions]
    if names == [SELECTION]:
        selection = selections[0]
        if selection.patterns:
            command += " --patterns " + ",".join(selection.patterns)
        if selection.writes:
            command += " --writes " + ",".join(selection.writes)
    elif names not in ([EVERYTHING], every_group):
        command += "".join(f" --function {name}" for name in names)
    return command + ("" if tenant_scope else " --no-tenant-scope")


def policy_resources(
    design: Design, plans: Sequence[PolicyPlan], *, link: TableLink = IMPORTED
) -> dict[str, Any]:
    """One `AWS::IAM::ManagedPolicy` per plan, on the table as `link` reaches it."""
    return {
        logical_name(plan.selection): {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "Description": _description(design, plan.selection, link),
                "PolicyDocument": policy_document(plan, link.arn),
            },
        }
        for plan in plans
    }


def policy_template(design: Design, plans: Sequence[PolicyPlan]) -> dict[str, Any]:
    name = design.table_name
    resources = policy_resources(design, plans)
    outputs: dict[str, Any] = {}
    for plan in plans:
        logical = logical_name(plan.selection)
        outputs[f"{logical}Arn"] = {
            "Description": f"ARN of the managed policy of {plan.selection.name}",
            "Value": {"Ref": logical},
            "Export": {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{logical}Arn"}},
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Least-privilege DynamoDB policies for the functions of {name} "
        "(dynamodel iam). Deploy after the table stack; attach the exported ARNs to roles.",
        "Parameters": {
            STAGE: stage_parameter(
                name, f"Deployment stage, as in the table stack ({name}-<Stage>)"
            ),
            TABLE_STACK: {
                "Type": "String",
                "MinLength": 1,
                "Description": "Name of the stack deployed from `dynamodel cloudformation`, "
                "whose TableArn export the policies import",
            },
        },
        "Resources": resources,
        "Outputs": outputs,
    }


def emit_policy_cloudformation(
    design: Design,
    plans: Sequence[PolicyPlan],
    *,
    tenant_scope: bool = True,
    fmt: Literal["yaml", "json"] = "yaml",
) -> str:
    """The template as YAML, in long-form intrinsics like `dynamodel cloudformation`, or as
    the same document in JSON."""
    template = policy_template(design, plans)
    if fmt == "json":
        return json.dumps(template, indent=2) + "\n"
    command = regenerate_command(design, [p.selection for p in plans], tenant_scope=tenant_scope)
    body = yaml.safe_dump(template, sort_keys=False, default_flow_style=False, width=100)
    return (
        f"# Generated by dynamodel from the spec; do not edit. Regenerate with: {command}\n{body}"
    )


__all__ = [
    "MAX_POLICY_CHARACTERS",
    "check_table_arn",
    "default_table_arn",
    "emit_policy_cloudformation",
    "emit_policy_json",
    "imported_arn",
    "policy_characters",
    "policy_document",
    "policy_resources",
    "policy_template",
]
