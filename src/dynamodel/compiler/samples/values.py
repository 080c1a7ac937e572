"""Natural values of spec types for sample records (see `dynamodel.compiler.samples`).

Values follow from the attribute's type and name and the record's number: ids and references
read `"workspace-1"`, names `"Ticket 3"`, emails `"user1@example.com"`; numbers come from a
`random.Random` the caller seeds, datetimes are fixed instants (TTL attributes ten years on).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

from dynamodel.compiler.names import snake_case
from dynamodel.compiler.spec.model import TypeRef

_BASE_TIME = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
_BASE_TTL = dt.datetime(2035, 1, 1, tzinfo=dt.UTC)
_BASE_DATE = dt.date(2025, 3, 3)
# Types whose values may come from a pool shared by entities; references to an identity
# (the leading parts of an id) are pooled only for these.
POOLED_TYPES = frozenset({"str", "int", "decimal", "date", "datetime"})
REFERENCE_TYPES = frozenset({"str", "int"})
SHARED_POOL_SIZE = 2  # values in a pool that no entity owns, and the few most draws take
# Values that read better than "<name>-1" for some common attribute names.
_CYCLES = {
    "country": ("DE", "FR", "US", "JP"),
    "currency": ("EUR", "USD", "JPY"),
    "timezone": ("Europe/Berlin", "America/New_York", "Asia/Tokyo"),
    "time_zone": ("Europe/Berlin", "America/New_York", "Asia/Tokyo"),
    "locale": ("de-DE", "en-US", "ja-JP"),
    "language": ("de", "en", "ja"),
    "color": ("red", "green", "blue"),
    "colour": ("red", "green", "blue"),
}
_NAME_LIKE = ("name", "title", "label", "display_name")
_TEXT_LIKE = ("text", "body", "message", "description", "notes", "comment", "summary", "content")


def ttl_instant(i: int, position: int) -> dt.datetime:
    """A TTL attribute's value: far enough ahead that no emulator expires the samples."""
    return _BASE_TTL + dt.timedelta(days=i, hours=position)


def _words(entity: str) -> str:
    words = snake_case(entity).replace("_", " ")
    return words[:1].upper() + words[1:]


class Draws(Protocol):
    """What the values draw from: `random.Random`, or `SeededLater`."""

    def randint(self, a: int, b: int) -> int: ...

    def choice(self, seq: Sequence[Any]) -> Any: ...


class SeededLater:
    """A `random.Random(seed)` made on the first draw: most values (text, ids, instants)
    draw nothing, and seeding a generator from a string costs more than making the value."""

    def __init__(self, seed: str) -> None:
        self._seed = seed
        self._rng: random.Random | None = None

    def _random(self) -> random.Random:
        if self._rng is None:
            self._rng = random.Random(self._seed)
        return self._rng

    def randint(self, a: int, b: int) -> int:
        return self._random().randint(a, b)

    def choice(self, seq: Sequence[Any]) -> Any:
        return self._random().choice(seq)


def value_of(
    type_ref: TypeRef,
    name: str,
    entity: str,
    i: int,
    rng: Draws,
    *,
    position: int = 0,
    is_id: bool = False,
) -> Any:
    """A natural value of a type for record `i` (0-based)."""
    n = i + 1
    base = type_ref.base
    if base == "str":
        return _text(name, entity, i, is_id=is_id)
    if base == "int":
        return n if is_id else rng.randint(1, 99)
    if base == "decimal":
        if is_id:
            return Decimal(n)
        cents = rng.randint(100, 99999)
        return Decimal(cents + (1 if cents % 10 == 0 else 0)).scaleb(-2)
    if base == "float":
        return rng.randint(1, 999) + rng.choice((0.25, 0.5, 0.75))
    if base == "bool":
        return i % 2 == 1
    if base == "datetime":
        return _BASE_TIME + dt.timedelta(hours=6 * i + position, minutes=13 * i)
    if base == "date":
        return _BASE_DATE + dt.timedelta(days=3 * i + position)
    if base == "bytes":
        return hashlib.blake2b(f"{entity}.{name}.{n}".encode(), digest_size=8).digest()
    if base == "dict":
        return {"kind": f"{name}-{n}", "count": n, "enabled": i % 2 == 0}
    item = type_ref.item or TypeRef("str")
    singular = name[:-1] if name.endswith("s") and len(name) > 1 else name
    length = (i + 1) % 3  # 1, 2, 0, 1, ...: an empty list (or set: not stored) now and then
    if base == "set":
        return {value_of(item, singular, entity, j, rng, is_id=True) for j in range(length)}
    return [_element(item, singular, entity, j, rng) for j in range(length)]


def _element(type_ref: TypeRef, name: str, entity: str, j: int, rng: Draws) -> Any:
    if type_ref.base == "set":  # a set in a list is never empty: DynamoDB could not store it
        inner = type_ref.item or TypeRef("str")
        return {value_of(inner, name, entity, j, rng, is_id=True)}
    return value_of(type_ref, name, entity, j, rng, is_id=True)


def _text(name: str, entity: str, i: int, *, is_id: bool) -> str:
    n = i + 1
    if name in _CYCLES:
        cycle = _CYCLES[name]
        value = cycle[i % len(cycle)]
        return value if i < len(cycle) else f"{value}-{n}"
    if name == "email" or name.endswith("_email"):
        return f"{snake_case(entity).replace('_', '.')}{n}@example.com"
    if is_id or name.endswith("_id"):
        stem = name[: -len("_id")] if name.endswith("_id") and len(name) > 3 else name
        return f"{stem.replace('_', '-')}-{n}"
    if name in _NAME_LIKE or name.endswith("_name") or name.endswith("_title"):
        return f"{_words(entity)} {n}"
    if name in _TEXT_LIKE:
        return f"{name.capitalize()} {n} of {_words(entity).lower()}"
    if name == "address":
        return f"{n} Example Street"
    if name == "url" or name.endswith("_url"):
        return f"https://example.com/{snake_case(entity)}/{n}"
    return f"{name.replace('_', '-')}-{n}"
