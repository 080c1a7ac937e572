"""Snippets: the resources of dynamodel's stacks, for a template of your own (`--snippet`).

`dynamodel cloudformation` prints whole stacks: the table with a `Stage` parameter and
exports, the copies handler and the managed policies importing those exports. A team with a
SAM or CloudFormation template of its own wants the resources alone, in that template, with
the table under a logical id of its choosing. A snippet is a template holding only
`Resources`:

- the table's: the table resource, named as the user asks (a literal, a parameter, or a
  `Fn::Sub` of both), tagged without a stage;
- the policies' and the copies handler's: the same resources as their stacks, reaching the
  table through `Ref`/`Fn::GetAtt` of its logical id instead of the table stack's exports.

Merged into a template (pasted under its `Resources:`, or deep-merged with `yq`/`jq`), it
needs nothing else than what its header names: the table resource, the parameters its table
name references, and for the copies handler the SAM transform.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import yaml

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.cloudformation import staged_name, table_resource
from dynamodel.compiler.emit.copies_stack import NoCopiesError, copies_resources
from dynamodel.compiler.emit.iam import policy_resources
from dynamodel.compiler.emit.iam_plan import PolicyPlan, copies_selection
from dynamodel.compiler.emit.table_link import TABLE_ID, same_template

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
# DynamoDB table names: 3 to 255 of these characters.
_NAME_CHARACTERS = re.compile(r"^[A-Za-z0-9_.-]*$")
_LITERAL_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
# `${Parameter}`, `${Resource.Attribute}` or `${AWS::StackName}` in a Fn::Sub string.
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_NAME = re.compile(r"^(AWS::[A-Za-z]+|[A-Za-z0-9]+(\.[A-Za-z0-9.]+)?)$")


def table_name_value(text: str) -> Any:
    """The `TableName` of `--table-name TEXT`: a literal name, `Ref` of a parameter for
    `${Name}`, or a `Fn::Sub` of text and `${...}` variables (`Tracker-${Stage}`)."""
    if "${" not in text:
        if not _LITERAL_NAME.match(text):
            raise ValueError(
                f"--table-name {text!r} is not a DynamoDB table name: use 3-255 letters, "
                "digits, `_`, `-` or `.`, or reference a parameter as ${Name}"
            )
        return text
    variables = _VARIABLE.findall(text)
    literal = _VARIABLE.sub("", text)
    bad = [v for v in variables if not _VARIABLE_NAME.match(v)]
    if bad or "$" in literal or not _NAME_CHARACTERS.match(literal):
        raise ValueError(
            f"--table-name {text!r}: write the name as letters, digits, `_`, `-`, `.` and "
            "${Parameter} (or ${AWS::StackName}) references, e.g. Tracker-${Stage}"
        )
    if text == f"${{{variables[0]}}}" and "." not in variables[0]:
        return {"Ref": variables[0]}
    return {"Fn::Sub": text}


def table_snippet(
    design: Design, *, table_id: str = TABLE_ID, table_name: str | None = None
) -> dict[str, Any]:
    """The table resource under `table_id`, named `table_name` (see `table_name_value`;
    default `<Name>-${Stage}`, as in the table stack)."""
    link = same_template(table_id)
    name = staged_name(design) if table_name is None else table_name_value(table_name)
    return {"Resources": {table_id: table_resource(design, table_name=name, link=link)}}


def policy_snippet(
    design: Design, plans: Sequence[PolicyPlan], *, table_id: str = TABLE_ID
) -> dict[str, Any]:
    """The managed policies of `dynamodel iam --format cloudformation`, on the table
    resource `table_id`."""
    return {"Resources": policy_resources(design, plans, link=same_template(table_id))}


def copies_snippet(design: Design, *, package: str, table_id: str = TABLE_ID) -> dict[str, Any]:
    """The copies handler's resources, on the stream of the table resource `table_id`;
    NoCopiesError for a spec without copies."""
    if copies_selection(design) is None:
        raise NoCopiesError(
            f"--copies: the spec declares no `copy_of` attribute, so table {design.table_name} "
            "has no copies handler to deploy"
        )
    link = same_template(table_id)
    return {"Resources": copies_resources(design, package=package, link=link)}


def _names(node: Any) -> Iterator[str]:
    """The logical ids and parameters a template fragment refers to."""
    if isinstance(node, list):
        for item in node:
            yield from _names(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt" and isinstance(value, list):
                yield str(value[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                yield from (v.split(".")[0] for v in _VARIABLE.findall(text))
                yield from _names(value if isinstance(value, str) else value[1:])
            else:
                yield from _names(value)


def references(snippet: dict[str, Any]) -> list[str]:
    """What the snippet needs from the template it is merged into: the logical ids and
    parameters it refers to without defining them (pseudo parameters left out)."""
    defined = set(snippet["Resources"])
    found = (n for n in _names(snippet) if n not in defined and not n.startswith("AWS::"))
    return sorted(set(found))


def needs_sam(snippet: dict[str, Any]) -> bool:
    return any(r["Type"].startswith("AWS::Serverless::") for r in snippet["Resources"].values())


def emit_snippet(
    snippet: dict[str, Any], *, command: str, fmt: Literal["yaml", "json"] = "yaml"
) -> str:
    """The snippet as text, deterministic. YAML starts with comments naming what it needs;
    JSON, which has no comments, is the bare document."""
    if fmt == "json":
        return json.dumps(snippet, indent=2) + "\n"
    if fmt != "yaml":
        raise ValueError(f"unknown CloudFormation format {fmt!r}: use yaml or json")
    names = ", ".join(f"`{name}`" for name in references(snippet))
    lines = ["A snippet: merge these resources into the Resources of your template."]
    if names:
        lines.append(f"It refers to {names}, which your template must define.")
    if needs_sam(snippet):
        lines.append(f"It needs `Transform: {SAM_TRANSFORM}`.")
    body = yaml.safe_dump(snippet, sort_keys=False, default_flow_style=False, width=100)
    return (
        f"# Generated by dynamodel from the spec; do not edit. Regenerate with: {command}\n"
        + "".join(f"# {line}\n" for line in lines)
        + body
    )


__all__ = [
    "TABLE_ID",
    "copies_snippet",
    "emit_snippet",
    "needs_sam",
    "policy_snippet",
    "references",
    "table_name_value",
    "table_snippet",
]
