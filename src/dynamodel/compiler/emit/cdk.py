"""The design as a Python AWS CDK construct (`dynamodel cdk`).

The construct creates the table of `dynamodel cloudformation` (the same keys, GSIs, billing,
stream, TTL, point-in-time recovery, encryption, deletion protection and tags, retained when
its stack is deleted or the table replaced) and has one grant method per function group of
the spec's `functions:`, attaching to a grantee exactly the statements `dynamodel iam
--format cloudformation` plans for that group, rather than CDK's broad
`grant_read_write_data`.

The module is plain data and a little code: readable, deterministic, and laid out as `ruff
format` lays it out (every multi-line bracket ends in a trailing comma), so that it passes
ruff and `mypy --strict` in the project that holds it. Described in docs/cloudformation.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from dynamodel.compiler.codegen import default_package_name
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.cloudformation import MAX_TABLE_NAME, encryption_key
from dynamodel.compiler.emit.iam import LEADING_KEYS
from dynamodel.compiler.emit.iam_plan import PolicyPlan, plan_policy, selections
from dynamodel.compiler.names import pascal_case
from dynamodel.compiler.spec.fields import STREAM_VIEWS

LINE = 88  # ruff format's default line length
INDENT = "    "
# TableEncryption member per `encryption_key()` of the table template.
_ENCRYPTION = {"aws_owned": "DEFAULT", "aws_managed": "AWS_MANAGED"}


def class_name(design: Design) -> str:
    """`<Table>Table`; a table name may start with a digit, a class name may not."""
    name = f"{pascal_case(design.table_name)}Table"
    return name if name[0].isalpha() else f"Table{name}"


def module_name(design: Design) -> str:
    """The file the construct is written to: `tracker_table.py`."""
    return f"{default_package_name(design)}_table.py"


def _text(value: str) -> str:
    """A Python string literal (JSON's double-quoted escapes are Python's too)."""
    return json.dumps(value)


def _call(
    head: str, arguments: Sequence[str], indent: str, tail: str = "", *, hug: bool = True
) -> list[str]:
    """`head(arguments)tail` as ruff format writes it: on one line when it fits, else the
    arguments on one line of their own when they fit, else one per line with a trailing
    comma."""
    joined = ", ".join(arguments)
    one_line = f"{indent}{head}({joined}){tail}"
    if len(one_line) <= LINE:
        return [one_line]
    if hug and len(f"{indent}{INDENT}{joined}") <= LINE:
        return [f"{indent}{head}(", f"{indent}{INDENT}{joined}", f"{indent}){tail}"]
    return [
        f"{indent}{head}(",
        *(f"{indent}{INDENT}{argument}," for argument in arguments),
        f"{indent}){tail}",
    ]


def _strings(values: Sequence[str], indent: str, head: str) -> list[str]:
    """A tuple of string literals as `head(...),`, one line when it fits."""
    literals = [_text(v) for v in values]
    if len(literals) == 1:
        line = f"{indent}{head}({literals[0]},),"
        if len(line) <= LINE:
            return [line]
    return _call(head, literals, indent, ",", hug=False)  # a split tuple: one item a line


def _wrapped(text: str, indent: str, width: int = LINE) -> list[str]:
    """`text` in lines of words, each within `width` after `indent`."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(f"{indent}{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return [f"{indent}{line}" for line in lines]


def _docstring(text: str, indent: str) -> list[str]:
    """A docstring of one paragraph, wrapped (the closing quotes on a line of their own
    when it takes more than one)."""
    text = text.replace("\\", "\\\\").replace('"', "'")
    lines = _wrapped(text, indent, LINE - 3)
    if len(lines) == 1:
        return [f'{indent}"""{lines[0].strip()}"""']
    return [f'{indent}"""{lines[0].strip()}', *lines[1:], f'{indent}"""']


def _plans(design: Design, *, tenant_scope: bool) -> list[PolicyPlan]:
    """One plan per function group of `functions:` (one for everything without groups), as
    `dynamodel iam --format cloudformation` makes them."""
    return [plan_policy(design, s, tenant_scope=tenant_scope) for s in selections(design)]


def statement_id(group: str, sid: str) -> str:
    """A grant's statement id: the group's prefix keeps ids unique in a role's one policy
    when the role gets several groups' grants (IAM rejects a policy with repeated Sids)."""
    return f"{pascal_case(group)}{sid}"


def _grants(plans: Sequence[PolicyPlan]) -> list[str]:
    lines = [
        "# Per function group: the statements of `dynamodel iam SPEC --format cloudformation`.",
        "_GRANTS: dict[str, tuple[_Statement, ...]] = {",
    ]
    for plan in plans:
        lines.append(f"{INDENT}{_text(plan.selection.name)}: (")
        for statement in plan.statements:
            inner = INDENT * 3
            lines.append(f"{INDENT * 2}_Statement(")
            lines.append(f"{inner}sid={_text(statement_id(plan.selection.name, statement.sid))},")
            lines += _strings([f"dynamodb:{a}" for a in statement.actions], inner, "actions=")
            index = "None" if statement.index is None else _text(statement.index)
            lines.append(f"{inner}index={index},")
            lines += _strings(statement.leading_keys, inner, "leading_keys=")
            lines.append(f"{INDENT * 2}),")
        lines.append(f"{INDENT}),")
    lines.append("}")
    return lines


def _attribute(name: str) -> str:
    return f"dynamodb.Attribute(name={_text(name)}, type=dynamodb.AttributeType.STRING)"


def _arguments(arguments: Sequence[str], indent: str) -> list[str]:
    """Keyword arguments one per line; `name=call(...)` too long for one is split too."""
    lines: list[str] = []
    for argument in arguments:
        if len(f"{indent}{argument},") <= LINE or "(" not in argument:
            lines.append(f"{indent}{argument},")
        else:
            head, _, rest = argument.partition("(")
            lines += _call(head, rest[:-1].split(", "), indent, ",")
    return lines


def _table_arguments(design: Design) -> list[str]:
    table = design.spec.table
    arguments = [
        "self",
        '"Table"',
        f'table_name=f"{design.table_name}-{{stage}}"',
        f"partition_key={_attribute(design.partition_key)}",
        f"sort_key={_attribute(design.sort_key)}",
    ]
    if table.billing == "provisioned":
        arguments += [
            "billing_mode=dynamodb.BillingMode.PROVISIONED",
            f"read_capacity={table.read_capacity}",
            f"write_capacity={table.write_capacity}",
        ]
    else:
        arguments.append("billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST")
    if table.stream:
        arguments.append(f"stream=dynamodb.StreamViewType.{STREAM_VIEWS[table.stream]}")
    if design.ttl_attribute:
        arguments.append(f"time_to_live_attribute={_text(design.ttl_attribute)}")
    arguments.append(
        "point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification("
        f"point_in_time_recovery_enabled={table.point_in_time_recovery})"
    )
    key = encryption_key()
    if key not in _ENCRYPTION:
        raise ValueError(f"the CDK construct has no encryption for a {key} key")
    arguments += [
        f"encryption=dynamodb.TableEncryption.{_ENCRYPTION[key]}",
        f"deletion_protection={table.deletion_protection}",
        # Never deleted with the stack, nor on a replacing update, as in the template.
        "removal_policy=RemovalPolicy.RETAIN",
    ]
    return arguments


def _table(design: Design) -> list[str]:
    body = INDENT * 3
    lines = [
        f"{INDENT * 2}self.table = dynamodb.Table(",
        *_arguments(_table_arguments(design), body),
        f"{INDENT * 2})",
    ]
    table = design.spec.table
    for index in design.indexes:
        arguments = [
            f"index_name={_text(index.name)}",
            f"partition_key={_attribute(index.partition_key)}",
            f"sort_key={_attribute(index.sort_key)}",
            f"projection_type=dynamodb.ProjectionType.{index.projection}",
        ]
        if table.billing == "provisioned":
            # As in the template: a throttled GSI throttles writes to the table.
            arguments += [
                f"read_capacity={table.read_capacity}",
                f"write_capacity={table.write_capacity}",
            ]
        lines += [
            f"{INDENT * 2}self.table.add_global_secondary_index(",
            *_arguments(arguments, body),
            f"{INDENT * 2})",
        ]
    tag = f"{INDENT * 2}Tags.of(self.table).add"
    lines += _call(tag, ['"dynamodel:table"', _text(design.table_name)], "")
    lines.append(f'{tag}("dynamodel:stage", stage)')
    return lines


def _grant_method(plan: PolicyPlan) -> list[str]:
    selection = plan.selection
    what = [selection.description.rstrip(".") + "." if selection.description else ""]
    if selection.patterns:
        what.append("Patterns: " + ", ".join(selection.patterns) + ".")
    if selection.writes:
        what.append("Writes: " + ", ".join(selection.writes) + ".")
    summary = f"Allow `grantee` exactly the requests of {selection.name}. " + " ".join(
        w for w in what if w
    )
    signature = f"{INDENT}def grant_{selection.name}(self, grantee: iam.IGrantable) -> _Grant:"
    if len(signature) > LINE:
        signature = "\n".join(
            [
                f"{INDENT}def grant_{selection.name}(",
                f"{INDENT * 2}self, grantee: iam.IGrantable",
                f"{INDENT}) -> _Grant:",
            ]
        )
    return [
        "",
        signature,
        *_docstring(summary, INDENT * 2),
        f"{INDENT * 2}return self._grant(grantee, {_text(selection.name)})",
    ]


def regenerate_command(*, tenant_scope: bool) -> str:
    return "dynamodel cdk SPEC" + ("" if tenant_scope else " --no-tenant-scope")


_PRELUDE = '''
from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import RemovalPolicy, Tags, Token
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

_Grant = list[iam.PolicyStatement]


@dataclass(frozen=True)
class _Statement:
    """One statement of a grant: `actions` on the table (`index` None) or one of its
    indexes, for the partition key values `leading_keys` (dynamodb:LeadingKeys)."""

    sid: str
    actions: tuple[str, ...]
    index: str | None
    leading_keys: tuple[str, ...]


'''

_GRANT = '''
    def _grant(self, grantee: iam.IGrantable, group: str) -> _Grant:
        """Add the group's statements to the grantee's policy, and return them."""
        statements = [
            iam.PolicyStatement(
                sid=statement.sid,
                actions=list(statement.actions),
                resources=[self._arn(statement.index)],
                conditions={
                    # ForAllValues also holds for a request without keys: demand some.
                    "Null": {"LEADING_KEYS": "false"},
                    "ForAllValues:StringLike": {
                        "LEADING_KEYS": list(statement.leading_keys),
                    },
                },
            )
            for statement in _GRANTS[group]
        ]
        for statement in statements:
            added = grantee.grant_principal.add_to_principal_policy(statement)
            if not added.statement_added:
                raise ValueError(f"{grantee.grant_principal} takes no identity policy")
        return statements

    def _arn(self, index: str | None) -> str:
        if index is None:
            return self.table.table_arn
        return f"{self.table.table_arn}/index/{index}"
'''.replace("LEADING_KEYS", LEADING_KEYS)


def emit_cdk(design: Design, *, tenant_scope: bool = True) -> str:
    """The construct's module. Deterministic: the same design always gives the same text."""
    name = design.table_name
    plans = _plans(design, tenant_scope=tenant_scope)
    command = regenerate_command(tenant_scope=tenant_scope)
    header = (
        f"The {name} table as an AWS CDK construct: {class_name(design)}. Generated by "
        f"dynamodel from the spec; do not edit. Regenerate with: {command}"
    )
    stage_room = MAX_TABLE_NAME - len(name) - 1
    lines = [
        *_docstring(header, ""),
        *_PRELUDE.splitlines(),
        f"TABLE = {_text(name)}",
        f"# The stage names the table {name}-<stage>: at most {stage_room} of these characters.",
        f'_STAGE = re.compile(r"^[a-z0-9-]{{1,{stage_room}}}$")',
        "",
        *_grants(plans),
        "",
        "",
        f"class {class_name(design)}(Construct):",
        *_docstring(
            f"The {name} table of one stage, `{name}-<stage>`, as `dynamodel cloudformation` "
            "makes it, and a grant method per function group of the spec (the statements "
            f"of `dynamodel iam`{'' if tenant_scope else ' --no-tenant-scope'}).",
            INDENT,
        ),
        "",
        f"{INDENT}def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:",
        f"{INDENT * 2}super().__init__(scope, construct_id)",
        f"{INDENT * 2}if not Token.is_unresolved(stage) and not _STAGE.match(stage):",
        f'{INDENT * 3}raise ValueError(f"stage {{stage!r}}: use lowercase letters, digits, -")',
        f"{INDENT * 2}self.stage = stage",
        *_table(design),
    ]
    for plan in plans:
        lines += _grant_method(plan)
    lines += _GRANT.splitlines()
    return "\n".join(lines) + "\n"


def cdk_files(design: Design, *, tenant_scope: bool = True) -> dict[str, str]:
    """`{module file: text}`: the construct, to write into a CDK app."""
    return {module_name(design): emit_cdk(design, tenant_scope=tenant_scope)}


__all__ = ["cdk_files", "class_name", "emit_cdk", "module_name", "statement_id"]
