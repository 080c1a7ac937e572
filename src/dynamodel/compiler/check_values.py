"""Whether a constant from the spec (a `default`, a `where` value) fits its attribute."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dynamodel.compiler.read_base import yaml_kind
from dynamodel.compiler.spec import Attribute


def value_problem(attribute: Attribute, value: object) -> tuple[str, str] | None:
    """What is wrong with a constant for `attribute` (message tail, hint), or None."""
    if attribute.enum and value not in attribute.enum:
        return "is not in its enum", "use one of " + ", ".join(attribute.enum)
    if value_fits(attribute, value):
        return None
    kind = attribute.type.render()
    article = "an" if kind[0] in "aeiou" else "a"
    if attribute.type.base == "str" and not isinstance(value, str):
        return (
            f"is not {article} {kind}",
            f'YAML reads it as {yaml_kind(value)}: quote it, e.g. `"{value}"`',
        )
    return f"is not {article} {kind}", "give a value of the attribute's type"


def value_fits(attribute: Attribute, value: object) -> bool:
    base = attribute.type.base
    item = attribute.type.item
    if base in ("list", "set") and item is not None:
        if not isinstance(value, list):
            return False
        inner = Attribute(name=attribute.name, type=item, pos=attribute.pos)
        return all(v is not None and value_fits(inner, v) for v in value)
    if value is None:
        return attribute.optional
    if base == "str":
        return isinstance(value, str)
    if base == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if base in ("decimal", "float"):
        if isinstance(value, str):
            try:
                Decimal(value)
            except ArithmeticError:
                return False
            return True
        return isinstance(value, int | float) and not isinstance(value, bool)
    if base == "bool":
        return isinstance(value, bool)
    if base == "datetime":
        return isinstance(value, dt.datetime) or (isinstance(value, str) and _is_datetime(value))
    if base == "date":
        return (isinstance(value, dt.date) and not isinstance(value, dt.datetime)) or (
            isinstance(value, str) and _is_date(value)
        )
    if base == "list":
        return isinstance(value, list)
    if base == "set":
        return isinstance(value, list)
    if base == "dict":
        return isinstance(value, dict)
    return isinstance(value, str)  # bytes: written as text in YAML


def _is_datetime(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
