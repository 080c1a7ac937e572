"""Properties of the key encoding (dynamodel.runtime.keys): encoded keys sort as their values
do (every type, tuples, across time zones, as DynamoDB's UTF-8 bytes), begins_with matches
exactly one segment (prefix safety), and the range bounds of sort conditions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dynamodel.runtime.keys import (
    DELIMITER,
    RANGE_END,
    encode,
    encode_bool,
    encode_datetime,
    encode_number,
    encode_str,
    join,
    upper_bound,
)
from tests.key_strategies import (
    BYTES,
    DATES,
    DATETIMES,
    DECIMALS,
    FLOATS,
    INTS,
    PROPERTY,
    TEXTS,
    TYPED_VALUES,
    as_instant,
)

# ---------------------------------------------------------------------------------------------
# Order


def check_order(a: object, b: object, ea: str, eb: str) -> None:
    assert (a < b) == (ea < eb)  # type: ignore[operator]
    assert (a == b) == (ea == eb)
    # DynamoDB compares UTF-8 bytes; for these strings that agrees with code-point order.
    assert (ea < eb) == (ea.encode("utf-8") < eb.encode("utf-8"))


@PROPERTY
@given(TEXTS, TEXTS)
def test_string_order(a: str, b: str) -> None:
    check_order(a, b, encode_str(a), encode_str(b))
    assert (a < b) == (a.encode("utf-8") < b.encode("utf-8"))


@PROPERTY
@given(st.one_of(st.tuples(DECIMALS, DECIMALS), st.tuples(INTS, INTS)))
def test_decimal_and_int_order(pair: tuple[Decimal | int, Decimal | int]) -> None:
    a, b = pair
    check_order(a, b, encode_number(a), encode_number(b))


@PROPERTY
@given(FLOATS, FLOATS)
def test_float_order(a: float, b: float) -> None:
    check_order(a, b, encode_number(a), encode_number(b))


@PROPERTY
@given(DATETIMES, DATETIMES)
def test_datetimes_sort_by_instant_across_zones(a: datetime, b: datetime) -> None:
    check_order(as_instant(a), as_instant(b), encode_datetime(a), encode_datetime(b))


@PROPERTY
@given(st.one_of(st.tuples(DATES, DATES), st.tuples(BYTES, BYTES)))
def test_date_and_bytes_order(pair: tuple[date, date] | tuple[bytes, bytes]) -> None:
    a, b = pair
    type_name = "date" if isinstance(a, date) else "bytes"
    check_order(a, b, encode(type_name, a), encode(type_name, b))


def test_bool_order() -> None:
    assert encode_bool(False) < encode_bool(True)


def test_number_classes_and_negative_terminator() -> None:
    assert "M" < "N" < "P"
    assert encode_number(-1) < encode_number(Decimal("-0.5")) < encode_number(0)
    assert encode_number(Decimal("-1.23")) < encode_number(Decimal("-1.2"))
    assert encode_number(Decimal("-10")) < encode_number(-9)
    assert encode_number(Decimal("1E-130")) < encode_number(Decimal("1.5E-130"))


@PROPERTY
@given(st.tuples(TEXTS, DECIMALS), st.tuples(TEXTS, DECIMALS))
def test_tuple_order_equals_joined_key_order(
    x: tuple[str, Decimal], y: tuple[str, Decimal]
) -> None:
    kx = join("Ticket", encode_str(x[0]), encode_number(x[1]))
    ky = join("Ticket", encode_str(y[0]), encode_number(y[1]))
    assert (x < y) == (kx < ky)
    assert (x == y) == (kx == ky)
    assert (kx < ky) == (kx.encode("utf-8") < ky.encode("utf-8"))


@PROPERTY
@given(st.tuples(DECIMALS, TEXTS), st.tuples(DECIMALS, TEXTS))
def test_tuple_order_with_number_first(x: tuple[Decimal, str], y: tuple[Decimal, str]) -> None:
    kx = join(encode_number(x[0]), encode_str(x[1]))
    ky = join(encode_number(y[0]), encode_str(y[1]))
    assert (x < y) == (kx < ky)


# ---------------------------------------------------------------------------------------------
# Prefix safety and range bounds


@PROPERTY
@given(st.tuples(TEXTS, TEXTS), st.tuples(TEXTS, TEXTS))
def test_begins_with_matches_only_the_exact_segment(
    ab: tuple[str, str], cd: tuple[str, str]
) -> None:
    (a, b), (c, d) = ab, cd
    key, other = join(encode_str(a), encode_str(b)), join(encode_str(c), encode_str(d))
    assert key.startswith(encode_str(c) + DELIMITER) == (a == c)
    assert other.startswith(encode_str(a) + DELIMITER) == (a == c)
    assert join("Ticket", key).startswith(join("Ticket", encode_str(c), "")) == (a == c)


@PROPERTY
@given(DECIMALS, DECIMALS, TEXTS)
def test_begins_with_on_numbers(a: Decimal, c: Decimal, b: str) -> None:
    key = join(encode_number(a), encode_str(b))
    assert key.startswith(encode_number(c) + DELIMITER) == (a == c)


def test_begins_with_on_string_prefixes() -> None:
    key = join(encode_str("ab"), encode_str("x"))
    assert not key.startswith(encode_str("a") + DELIMITER)
    assert key.startswith(encode_str("ab") + DELIMITER)
    assert not join(encode_str("a#b"), "x").startswith(encode_str("a") + DELIMITER)


@PROPERTY
@given(st.data(), st.sampled_from(["", "Ticket"]))
def test_upper_bound(data: st.DataObject, literal: str) -> None:
    kind = data.draw(st.sampled_from(["str", "decimal"]))
    values = TYPED_VALUES[kind]
    v, u, w = data.draw(values), data.draw(values), data.draw(TEXTS)

    def key(*segments: str) -> str:
        return join(literal, *segments) if literal else join(*segments)

    ev, eu = encode(kind, v), encode(kind, u)
    bound = upper_bound(key(ev))
    assert bound == key(ev) + RANGE_END
    # Everything with segment v, alone or followed by more segments, is inside.
    assert key(ev) <= bound and key(ev, encode_str(w)) <= bound
    # Greater values are outside; smaller ones are below the lower bound key(ev).
    if u > v:
        assert key(eu) > bound and key(eu, encode_str(w)) > bound
    if u < v:
        assert key(eu, encode_str(w)) < key(ev) and key(eu) < key(ev)


@PROPERTY
@given(TEXTS, TEXTS)
def test_head_marker_sorts_before_every_item_in_the_partition(v: str, w: str) -> None:
    head = join("Ticket", "#Workspace")
    assert head < join("Ticket", encode_str(v), encode_str(w))
    assert not join("Ticket", encode_str(v)).startswith(head)
