"""Python spellings of spec types and values, shared by the code generators."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache

from dynamodel.compiler.codegen.layout_tree import string_literal
from dynamodel.compiler.spec.model import Attribute, Entity, Spec, TypeRef

_SIMPLE = {
    "str": "str",
    "int": "int",
    "decimal": "Decimal",
    "float": "float",
    "bool": "bool",
    "datetime": "AwareDatetime",
    "date": "date",
    "bytes": "bytes",
    "dict": "dict[str, Any]",
}

# marshal.put_*/get_* per scalar type
_CODEC = {
    "str": "str",
    "int": "int",
    "decimal": "decimal",
    "float": "float",
    "bool": "bool",
    "datetime": "datetime",
    "date": "date",
    "bytes": "bytes",
    "dict": "map",
}
_SET_CODEC = {"str": "str_set", "int": "int_set", "decimal": "decimal_set", "bytes": "bytes_set"}
# keys.encode_* per key type
KEY_ENCODER = {
    "str": "encode_str",
    "int": "encode_int",
    "decimal": "encode_decimal",
    "float": "encode_float",
    "bool": "encode_bool",
    "datetime": "encode_datetime",
    "date": "encode_date",
    "bytes": "encode_bytes",
}


# Printable ASCII but for quotes and backslashes: written between double quotes as it is.
_PLAIN = re.compile(r"[ !#-&(-\[\]-~]*")


def py(value: object) -> str:
    """The Python source of a constant (str, bool, None, number, or a tuple, list, dict or
    frozenset of them) as `ruff format` writes it: strings in double quotes unless that needs
    more escapes, so a generated line needs no reformatting for its quotes."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, tuple):
        inner = ", ".join(py(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(py(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, frozenset):
        return f"frozenset({py(sorted(value))})" if value else "frozenset()"
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    raise TypeError(f"no constant spelling for {type(value).__name__}")


@cache  # names and tags recur in every method of their entity
def _string(value: str) -> str:
    if _PLAIN.fullmatch(value):
        return f'"{value}"'  # nothing to escape
    return string_literal(repr(value))


def annotation(type_ref: TypeRef, enum: tuple[str, ...] = ()) -> str:
    if enum:
        return "Literal[" + ", ".join(py(v) for v in enum) + "]"
    if type_ref.base == "list" and type_ref.item is not None:
        return f"list[{annotation(type_ref.item)}]"
    if type_ref.base == "set" and type_ref.item is not None:
        return f"set[{annotation(type_ref.item)}]"
    return _SIMPLE[type_ref.base]


def attribute_annotation(attribute: Attribute) -> str:
    text = annotation(attribute.type, attribute.enum)
    return f"{text} | None" if attribute.optional else text


def literal(value: object) -> str:
    """A Python expression for a YAML default value."""
    if isinstance(value, bool) or value is None or isinstance(value, int | float | str):
        return py(value)
    if isinstance(value, Decimal):
        return f'Decimal("{value}")'
    if isinstance(value, dt.datetime):
        return f"datetime.fromisoformat({py(value.isoformat())})"
    if isinstance(value, dt.date):
        return f"date.fromisoformat({py(value.isoformat())})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return py(value)


def typed_literal(base: str, value: object) -> str:
    """A Python expression for a constant of an attribute of type `base`: YAML gives dates
    and times as text or as naive/aware objects, and decimals as text or floats."""
    if base == "decimal" and not isinstance(value, Decimal):
        return f'Decimal("{value}")'
    if base == "datetime" and isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if base == "date" and isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return literal(value)


def default_expression(attribute: Attribute) -> str | None:
    """The `= ...` part of a model field, or None for a required field."""
    base = attribute.type.base
    if attribute.auto == "ulid":
        return "Field(default_factory=new_ulid)"
    if attribute.auto == "uuid":
        return "Field(default_factory=new_uuid)"
    if attribute.auto == "now":
        return "Field(default_factory=utc_now)"
    if attribute.has_default:
        value = attribute.default
        if base == "set" and isinstance(value, list):
            return f"Field(default_factory=lambda: {{{', '.join(literal(v) for v in value)}}})"
        if isinstance(value, list | dict):
            return f"Field(default_factory=lambda: {literal(value)})"
        return typed_literal(base, value)
    if attribute.optional:
        return "None"
    if base == "set":
        return "Field(default_factory=set)"  # DynamoDB cannot store an empty set: absent = empty
    return None


def default_value(attribute: Attribute) -> str:
    """An expression for the value a model field takes when its attribute is not stored."""
    expression = default_expression(attribute)
    if expression is None:
        return "None"
    if expression == "Field(default_factory=set)":
        return "set()"
    prefix = "Field(default_factory=lambda: "
    if expression.startswith(prefix):
        return expression[len(prefix) : -1]
    return expression


def writer(type_ref: TypeRef, value: str, *, ttl: bool = False) -> str:
    """An expression turning `value` into an AttributeValue."""
    if ttl and type_ref.base == "datetime":
        return f"m.put_ttl({value})"
    if type_ref.base == "list" and type_ref.item is not None:
        inner = writer(type_ref.item, "v")
        return f"m.put_list({value}, lambda v: {inner})"
    if type_ref.base == "set" and type_ref.item is not None:
        return f"m.put_{_SET_CODEC[type_ref.item.base]}({value})"
    return f"m.put_{_CODEC[type_ref.base]}({value})"


def reader(type_ref: TypeRef, value: str, *, ttl: bool = False) -> str:
    """An expression turning the AttributeValue `value` into a Python value."""
    if ttl and type_ref.base == "datetime":
        return f"m.get_ttl({value})"
    if type_ref.base == "list" and type_ref.item is not None:
        inner = reader(type_ref.item, "v")
        return f"m.get_list({value}, lambda v: {inner})"
    if type_ref.base == "set" and type_ref.item is not None:
        return f"m.get_{_SET_CODEC[type_ref.item.base]}({value})"
    if type_ref.base == "str":
        return f'{value}["S"]'  # no call: already a str, and the most common read
    return f"m.get_{_CODEC[type_ref.base]}({value})"


def import_from(module: str, names: list[str]) -> str:
    """`from module import a, b` sorted the way isort (ruff's I rules) wants it."""

    def kind(name: str) -> tuple[int, str]:  # isort: CONSTANTS, then Classes, then functions
        rank = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
        return rank, name

    ordered = sorted(set(names), key=kind)
    line = f"from {module} import {', '.join(ordered)}"
    if len(line) <= 88:
        return line
    return f"from {module} import (\n" + "".join(f"    {n},\n" for n in ordered) + ")"


def all_list(names: list[str]) -> str:
    ordered = sorted(set(names))
    line = "__all__ = [" + ", ".join(f'"{n}"' for n in ordered) + "]"
    if len(line) <= 88:
        return line
    return "__all__ = [\n" + "".join(f'    "{n}",\n' for n in ordered) + "]"


def union_with(annotation_text: str, extra: str) -> str:
    """`T | extra`, keeping `None` last (ruff RUF036)."""
    if annotation_text.endswith(" | None"):
        return annotation_text[: -len(" | None")] + f" | {extra} | None"
    return f"{annotation_text} | {extra}"


def members_first(spec: Spec) -> list[Entity]:
    """Every entity, members before their roots (so each annotation names a class defined
    above it), otherwise in the spec's order. Visited names are a set: a list made this
    quadratic in the number of entities."""
    ordered: list[Entity] = []
    visited: set[str] = set()

    def visit(entity: Entity) -> None:
        if entity.name in visited:
            return
        visited.add(entity.name)
        for member in entity.members:
            child = spec.entity(member.entity.name)
            if child is not None:
                visit(child)
        ordered.append(entity)

    for entity in spec.entities:
        visit(entity)
    return ordered
