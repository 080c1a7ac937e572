"""Whether a constant from the spec (a `default`, a `where` value) fits its attribute."""

from __future__ import annotations

import datetime as dt
import math
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
    base = attribute.type.base
    if base == "datetime" and (isinstance(value, dt.datetime) or _is_datetime(str(value))):
        return "has no time zone", "add one, e.g. `2024-01-01T00:00:00Z`"
    if base in ("decimal", "float") and str(value).lower().lstrip("+-.") in ("inf", "nan"):
        return f"is not a finite {kind}", "DynamoDB stores no NaN or Infinity"
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
                number = Decimal(value)
            except ArithmeticError:
                return False
            return number.is_finite()  # DynamoDB stores no NaN or Infinity
        if isinstance(value, float):
            return math.isfinite(value)
        return isinstance(value, int) and not isinstance(value, bool)
    if base == "bool":
        return isinstance(value, bool)
    if base == "datetime":
        # Aware only: the models take AwareDatetime, and a naive time is ambiguous.
        if isinstance(value, str) and _is_datetime(value):
            value = dt.datetime.fromisoformat(value)
        return isinstance(value, dt.datetime) and value.utcoffset() is not None
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
