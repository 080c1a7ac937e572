"""Python expressions the repository's methods are made of: argument types, encoded key parts,
the sort parts `by` or `where` fix, view roles' constants, and the checks of a GetItem."""

from __future__ import annotations

from dynamodel.compiler.codegen.python import KEY_ENCODER, annotation, typed_literal
from dynamodel.compiler.design.ir import PatternPlan, ViewPart
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
    return f"keys.{KEY_ENCODER[key_type(entity, name)]}({value}, attribute={name!r})"


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
    pairs = [f"({name!r}, {_role_constant(entity, name, value)})" for name, value in part.where]
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
        constant = typed_literal(attribute.type.base, value) if attribute else repr(value)
        tests.append(f"found.{name} {operator} {constant}")
    return tests
