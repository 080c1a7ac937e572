"""Whether a constant from the spec (a `default`, a `where` value) fits its attribute."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from dynamodel.compiler.spec.model import Attribute
from dynamodel.compiler.spec.read.base import yaml_kind


def value_problem(attribute: Attribute, value: object) -> tuple[str, str] | None:
    """What is wrong with a constant for `attribute` (message tail, hint), or None."""
    if attribute.enum and value not in attribute.enum:
        return "is not in its enum", "use one of " + ", ".join(attribute.enum)
    if value_fits(attribute, value):
        if not _within_number_range(attribute, value):
            return (
                "is outside DynamoDB's number range",
                "DynamoDB numbers hold at most 38 significant digits, magnitudes from 1E-130 "
                "to below 1E+126",
            )
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


# DynamoDB's number type: up to 38 significant digits; a non-zero magnitude from 1E-130 up
# to 9.99...E+125. A default or `where` constant outside it could never be written.
_MAX_DIGITS = 38
_MAX_ADJUSTED_EXPONENT = 125
_MIN_ADJUSTED_EXPONENT = -130


def _within_number_range(attribute: Attribute, value: object) -> bool:
    """Whether every number in a constant that fits `attribute` is one DynamoDB can store."""
    if attribute.type.base in ("list", "set") and isinstance(value, list):
        return all(_storable_number(v) for v in value if not isinstance(v, bool))
    if attribute.type.base in ("int", "decimal", "float") and not isinstance(value, bool):
        return _storable_number(value)
    return True


def _storable_number(value: object) -> bool:
    if isinstance(value, int):
        number = Decimal(value)  # exact, and free of int-to-str's digit limit
    elif isinstance(value, float | str):
        try:  # a float as written (`0.1`), not its binary expansion
            number = Decimal(repr(value) if isinstance(value, float) else value)
        except ArithmeticError:
            return True  # not a number at all: value_fits has said so already
    else:
        return True
    if not number.is_finite() or number.is_zero():
        return True  # value_fits reports non-finite values
    significant = "".join(map(str, number.as_tuple().digits)).rstrip("0")
    return (
        len(significant) <= _MAX_DIGITS
        and _MIN_ADJUSTED_EXPONENT <= number.adjusted() <= _MAX_ADJUSTED_EXPONENT
    )


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
