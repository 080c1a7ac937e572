"""Python expressions the generated modules are made of: argument types, keys from their
templates (and the size-checked key attributes of items), encoded key parts, the sort parts
`by` or `where` fix, view roles' constants, and the checks of a GetItem."""

from __future__ import annotations

from dynamodel.compiler.codegen.layout_tree import LINE_LENGTH
from dynamodel.compiler.codegen.python import KEY_ENCODER, annotation, py, typed_literal
from dynamodel.compiler.design.ir import KeyTemplate, PatternPlan, ViewPart
from dynamodel.compiler.spec.model import Entity, Presence, Spec


def attribute_type(entity: Entity, name: str) -> str:
    attribute = entity.attribute(name)
    assert attribute is not None
    return annotation(attribute.type, attribute.enum)


def key_type(entity: Entity, name: str) -> str:
    attribute = entity.attribute(name)
    assert attribute is not None
    return attribute.type.base


def encoded(entity: Entity, name: str, value: str) -> str:
    return f"keys.{KEY_ENCODER[key_type(entity, name)]}({value}, attribute={py(name)})"


def fixed_sort_parts(entity: Entity, plan: PatternPlan) -> list[str]:
    """The encoded leading sort parts `by` arguments or `where` constants fix."""
    constants = dict(plan.where)
    parts = []
    for name in plan.fixed_sort:
        if name in constants:
            value = typed_literal(key_type(entity, name), constants[name])
            parts.append(encoded(entity, name, value))
        else:
            parts.append(encoded(entity, name, name))
    return parts


def _role_constant(entity: Entity, name: str, value: object) -> str:
    if isinstance(value, Presence):  # None: absent; PRESENT: any value
        return "PRESENT" if value.present else "None"
    return typed_literal(key_type(entity, name), value)


def role_where(spec: Spec, part: ViewPart) -> str:
    """A role's constants as typed Python literals, compared with the decoded item."""
    entity = spec.entity(part.entity)
    assert entity is not None
    pairs = [f"({py(name)}, {_role_constant(entity, name, value)})" for name, value in part.where]
    return "(" + ", ".join(pairs) + ("," if len(pairs) == 1 else "") + ")"


def differences(entity: Entity, plan: PatternPlan) -> list[str]:
    """Tests that the item read does not match the `by` values beyond its id or `where`."""
    tests = []
    for name in plan.checked:
        attribute = entity.attribute(name)
        if attribute is not None and attribute.optional:
            tests.append(f"found.{name} is None")
        tests.append(f"{encoded(entity, name, 'found.' + name)} != wanted_{name}")
    for name, value in plan.where:
        if isinstance(value, Presence):  # the item read lacks (or has) the attribute
            tests.append(f"found.{name} is {'' if value.present else 'not '}None")
            continue
        attribute = entity.attribute(name)
        operator = "is not" if isinstance(value, bool) else "!="
        constant = typed_literal(attribute.type.base, value) if attribute else py(value)
        tests.append(f"found.{name} {operator} {constant}")
    return tests


def template_expression(entity: Entity, template: KeyTemplate, source: str) -> str:
    """`keys.join(...)` for a template, reading attribute values from `source` (obj or args)."""
    return "keys.join(" + ", ".join(template_parts(entity, template, source)) + ")"


def checked_key(
    indent: str, head: str, parts: list[str], *, limit: str, attribute: str, tail: str = ""
) -> list[str]:
    """`head{"S": keys.check_key_size(keys.join(parts), ...)}tail`, on one line when it fits,
    else opened one bracket at a time (the dict, then the size check, then the join), each
    opened one ending with a magic trailing comma: a layout `ruff format` keeps as written, so
    the layout pass has nothing to split (splitting cost more than generating, at a thousand
    entities)."""
    joined = f"keys.join({', '.join(parts)})"
    checked = f"keys.check_key_size({joined}, limit={limit}, attribute={attribute})"
    line = f'{indent}{head}{{"S": {checked}}}{tail}'
    if len(line) <= LINE_LENGTH:
        return [line]
    inner = indent + "        "
    if len(element := f'{indent}    "S": {checked},') <= LINE_LENGTH:
        body = [element]
    else:
        if len(f"{inner}{joined},") <= LINE_LENGTH:
            join = [f"{inner}{joined},"]
        else:
            join = [f"{inner}keys.join(", *(f"{inner}    {p}," for p in parts), f"{inner}),"]
        body = [
            f'{indent}    "S": keys.check_key_size(',
            *join,
            f"{inner}limit={limit},",
            f"{inner}attribute={attribute},",
            f"{indent}    ),",
        ]
    return [f"{indent}{head}{{", *body, f"{indent}}}{tail}"]


def template_parts(entity: Entity, template: KeyTemplate, source: str) -> list[str]:
    """The arguments of `keys.join` for a template."""
    parts = []
    for segment in template.segments:
        if segment.kind == "literal":
            parts.append(py(segment.text))
        elif segment.kind == "shard":
            parts.append("str(shard)")
        else:
            value = f"{source}.{segment.text}" if source else segment.text
            encoder = KEY_ENCODER[segment.type or "str"]
            parts.append(f"keys.{encoder}({value}, attribute={py(segment.text)})")
    return parts
