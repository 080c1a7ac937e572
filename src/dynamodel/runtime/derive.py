"""Derived attributes (spec 1.1 `derived:`): the functions generated models compute them
with, and the check that a caller never sets one to another value.

A derived attribute is a read-only property of the model (pydantic's `computed_field`), so it
always follows its source, also after an assignment; it is stored with the item like any
attribute, so keys, `where` and `unique` can use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

M = TypeVar("M")


def lower(value: str) -> str:
    return value.lower()


def upper(value: str) -> str:
    return value.upper()


def prefix(value: str, length: int) -> str:
    """The first `length` characters (all of a shorter value)."""
    return value[:length]


def _utc(value: datetime | date) -> datetime | date:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def date_of(value: datetime) -> date:
    """The UTC day of a timestamp."""
    return value.astimezone(UTC).date()


def month_of(value: datetime | date) -> str:
    """`YYYY-MM`, in UTC for a timestamp."""
    moment = _utc(value)
    return f"{moment.year:04d}-{moment.month:02d}"


def year_of(value: datetime | date) -> int:
    return _utc(value).year


def hour_of(value: datetime) -> str:
    """`YYYY-MM-DDTHH` of a timestamp, in UTC."""
    moment = value.astimezone(UTC)
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}"


# The spec's `derived:` function names -> the functions (prefix also takes the length).
BY_NAME: dict[str, Callable[..., Any]] = {
    "lower": lower,
    "upper": upper,
    "prefix": prefix,
    "date": date_of,
    "month": month_of,
    "year": year_of,
    "hour": hour_of,
}


def validated(data: Any, handler: Callable[[Any], M], names: tuple[str, ...]) -> M:
    """Build the model without the derived attributes a caller (or a stored item) gave, then
    refuse any that differs from what the model computes: a derived value is never set."""
    given: dict[str, Any] = {}
    if isinstance(data, Mapping) and any(name in data for name in names):
        data = dict(data)
        given = {name: data.pop(name) for name in names if name in data}
    model = handler(data)
    for name, value in given.items():
        computed = getattr(model, name)
        if value != computed:
            raise ValueError(
                f"{name} is derived: it is {computed!r} for these values, not {value!r}"
            )
    return model
