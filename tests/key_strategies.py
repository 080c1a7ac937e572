"""Hypothesis strategies and settings of the key encoding's tests (tests/test_keys_encoding.py,
tests/test_keys_order.py, tests/test_keys_rejections.py): values of every key type, with
characters around the delimiter, escape and range end, and numbers over DynamoDB's whole
range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

PROPERTY = settings(max_examples=300, deadline=None)

# Characters around the delimiter, escape and range end, controls, and non-ASCII up to the
# astral planes; mixed with arbitrary non-surrogate characters.
TRICKY = ["#", "%", "$", " ", "!", '"', "&", "\x00", "\x1f", "~", "\x7f", "0", "A", "F", "a"]
TRICKY += ["é", "\u20ac", "\uffff", "\U0001f600", "\U0010ffff"]
CHARS = st.one_of(st.sampled_from(TRICKY), st.characters(exclude_categories=["Cs"]))
TEXT = st.text(CHARS, min_size=1, max_size=10)
# A tiny alphabet, so that equal strings and strings that are prefixes of each other are common.
SMALL_TEXT = st.text(st.sampled_from(["#", "%", "$", " ", "a", "é"]), min_size=1, max_size=4)
TEXTS = st.one_of(SMALL_TEXT, TEXT)


@st.composite
def dynamo_decimals(draw: st.DrawFn) -> Decimal:
    """Any finite Decimal DynamoDB accepts: 1..38 digits, 1E-130 <= |x| <= 9.99..E+125."""
    digits = str(draw(st.integers(1, 10**38 - 1)))
    # coefficient * 10**exp == 0.ddd * 10**(exp + len(digits)), and DynamoDB's range is
    # exactly -129 <= exp + len(digits) <= 126 in that form.
    exp = draw(st.integers(-129 - len(digits), 126 - len(digits)))
    sign = draw(st.integers(0, 1))
    return Decimal((sign, tuple(int(d) for d in digits), exp))


SMALL_DECIMALS = st.decimals(
    min_value=-1000, max_value=1000, places=3, allow_nan=False, allow_infinity=False
)
DECIMALS = st.one_of(dynamo_decimals(), SMALL_DECIMALS, st.integers(-50, 50).map(Decimal))
INTS = st.one_of(st.integers(-(10**38) + 1, 10**38 - 1), st.integers(-300, 300))
FLOATS = st.floats(min_value=-1e125, max_value=1e125, allow_nan=False).filter(
    lambda x: x == 0 or abs(x) >= 1e-129
)
OFFSETS = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
ZONES = st.one_of(st.just(UTC), OFFSETS, st.timezones())
DATETIMES = st.datetimes(
    min_value=datetime(1, 1, 3), max_value=datetime(9999, 12, 29), timezones=ZONES
)
DATES = st.dates()
BYTES = st.binary(min_size=1, max_size=8)

TYPED_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "str": TEXTS,
    "int": INTS,
    "decimal": DECIMALS,
    "float": FLOATS,
    "bool": st.booleans(),
    "datetime": DATETIMES,
    "date": DATES,
    "bytes": BYTES,
}


def as_instant(value: object) -> object:
    """Aware datetimes compare by instant; others as they are."""
    return value.astimezone(UTC) if isinstance(value, datetime) else value
