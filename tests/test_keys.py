"""Properties of the key encoding (dynamodel.runtime.keys): round trip, injectivity, order,
prefix safety, range bounds, rejections, size limits and shard stability."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.runtime.errors import InvalidKeyValueError
from dynamodel.runtime.key_decoding import decode, decode_number, decode_str
from dynamodel.runtime.keys import (
    DELIMITER,
    ESCAPE,
    KEY_TYPES,
    MAX_PARTITION_KEY_BYTES,
    MAX_SORT_KEY_BYTES,
    RANGE_END,
    check_key_size,
    encode,
    encode_bool,
    encode_bytes,
    encode_date,
    encode_datetime,
    encode_number,
    encode_str,
    is_literal_safe,
    join,
    shard_of,
    split,
    upper_bound,
)

PROPERTY = settings(max_examples=300, deadline=None)

# ---------------------------------------------------------------------------------------------
# Strategies

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


# ---------------------------------------------------------------------------------------------
# Round trip and alphabet


def test_every_spec_type_has_a_strategy() -> None:
    assert set(TYPED_VALUES) == KEY_TYPES


@PROPERTY
@given(st.data())
def test_round_trip_every_type(data: st.DataObject) -> None:
    type_name = data.draw(st.sampled_from(sorted(KEY_TYPES)))
    value = data.draw(TYPED_VALUES[type_name])
    decoded = decode(type_name, encode(type_name, value))
    assert decoded == as_instant(value)
    if type_name in ("int", "float", "bool", "str", "bytes", "date"):
        assert type(decoded) is type(value)
    if type_name == "datetime":
        assert isinstance(decoded, datetime) and decoded.tzinfo is UTC


@PROPERTY
@given(st.data())
def test_encoded_values_never_contain_delimiter_or_range_end(data: st.DataObject) -> None:
    type_name = data.draw(st.sampled_from(sorted(KEY_TYPES)))
    encoded = encode(type_name, data.draw(TYPED_VALUES[type_name]))
    assert encoded
    assert all(c >= ESCAPE for c in encoded)
    assert DELIMITER not in encoded and RANGE_END not in encoded
    if type_name != "str":  # only strings use the escape
        assert all(c > ESCAPE for c in encoded)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a b", "a%20b"),
        ("#Tag", "%23Tag"),
        ("100%", "100%25"),
        ("$x", "%24x"),
        ("\x00\n", "%00%0A"),
        ("!\"'", "%21%22'"),
        ("é~", "é~"),
    ],
)
def test_string_escapes(value: str, expected: str) -> None:
    assert encode_str(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "N"),
        (1, "P5011"),
        (Decimal("12.5"), "P502125"),
        (-1, "M4988~"),
        (Decimal("-1.2"), "M49887~"),
        (Decimal("-1.23"), "M498876~"),
        (Decimal("0.05"), "P4995"),
        (100, "P5031"),
    ],
)
def test_number_examples(value: int | Decimal, expected: str) -> None:
    assert encode_number(value) == expected


def test_other_type_examples() -> None:
    assert (encode_bool(False), encode_bool(True)) == ("false", "true")
    tz = timezone(timedelta(hours=2))
    assert encode_datetime(datetime(2024, 3, 1, 1, 2, 3, 45, tzinfo=tz)) == (
        "2024-02-29T23:02:03.000045Z"
    )
    assert encode_datetime(datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01T00:00:00.000000Z"
    assert encode_date(date(33, 7, 4)) == "0033-07-04"
    assert encode_bytes(b"\x00\xab\xff") == "00ABFF"
    assert encode_bytes(bytearray(b"\x01")) == "01"


# ---------------------------------------------------------------------------------------------
# Injectivity


@PROPERTY
@given(st.lists(st.tuples(TEXTS, TEXTS), min_size=2, max_size=8, unique=True))
def test_distinct_string_tuples_give_distinct_keys(tuples: list[tuple[str, str]]) -> None:
    encoded = {join(encode_str(a), encode_str(b)) for a, b in tuples}
    assert len(encoded) == len(tuples)


@PROPERTY
@given(st.lists(st.tuples(TEXTS, DECIMALS, TEXTS), min_size=2, max_size=8))
def test_distinct_mixed_tuples_give_distinct_keys(
    tuples: list[tuple[str, Decimal, str]],
) -> None:
    # Decimals compare (and hash) by value, so set() counts distinct values, as keys should.
    encoded = {join(encode_str(a), encode_number(n), encode_str(b)) for a, n, b in tuples}
    assert len(encoded) == len(set(tuples))


@PROPERTY
@given(TEXTS, TEXTS)
def test_split_recovers_segments(a: str, b: str) -> None:
    key = join("Ticket", encode_str(a), encode_str(b))
    assert split(key) == ["Ticket", encode_str(a), encode_str(b)]
    assert [decode_str(s) for s in split(key)[1:]] == [a, b]


@PROPERTY
@given(st.data())
def test_values_of_one_type_are_injective(data: st.DataObject) -> None:
    type_name = data.draw(st.sampled_from(sorted(KEY_TYPES)))
    a, b = data.draw(TYPED_VALUES[type_name]), data.draw(TYPED_VALUES[type_name])
    same = as_instant(a) == as_instant(b)
    assert (encode(type_name, a) == encode(type_name, b)) == same


def test_numbers_encode_by_value() -> None:
    ones: list[int | float | Decimal] = [1, 1.0, Decimal("1"), Decimal("1.00"), Decimal("0.1E1")]
    assert {encode_number(x) for x in ones} == {"P5011"}
    zeros: list[int | float | Decimal] = [
        0,
        0.0,
        -0.0,
        Decimal("-0"),
        Decimal("0.000"),
        Decimal("0E+50"),
    ]
    assert {encode_number(x) for x in zeros} == {"N"}


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


# ---------------------------------------------------------------------------------------------
# Numbers: edges and rejections


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1E-130"),
        Decimal("-1E-130"),
        Decimal("9.9999999999999999999999999999999999999E+125"),
        Decimal("-9.9999999999999999999999999999999999999E+125"),
        Decimal("1234567890123456789012345678901234567.8"),
        Decimal("0.12345678901234567890123456789012345678"),
        10**125,
        -(10**37) - 1,
        1e-129,
        -1.7976931348623157e125,
    ],
)
def test_number_range_edges_round_trip(value: int | float | Decimal) -> None:
    expected = Decimal(repr(value)) if isinstance(value, float) else value
    assert decode_number(encode_number(value)) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (float("nan"), "NaN"),
        (float("inf"), "NaN and infinity"),
        (float("-inf"), "NaN and infinity"),
        (Decimal("NaN"), "NaN"),
        (Decimal("sNaN"), "NaN"),
        (Decimal("-Infinity"), "infinity"),
        (Decimal("9.99E-131"), "range"),
        (Decimal("-1E-131"), "range"),
        (Decimal("1E+126"), "range"),
        (-(10**126), "range"),
        (2**1000, "range"),
        (5e-324, "range"),
        (Decimal("1.00000000000000000000000000000000000001"), "38 significant digits"),
        (10**38 + 1, "38 significant digits"),
        (True, "bool"),
        (False, "bool"),
        ("1", "expected a number"),
    ],
)
def test_number_rejections(value: object, reason: str) -> None:
    with pytest.raises(InvalidKeyValueError, match=reason):
        encode_number(value)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Other rejections


def test_naive_datetime_rejected() -> None:
    with pytest.raises(InvalidKeyValueError, match="naive"):
        encode_datetime(datetime(2024, 1, 1))


def test_datetime_outside_range_once_in_utc_rejected() -> None:
    with pytest.raises(InvalidKeyValueError, match=r"years 1\.\.9999"):
        encode_datetime(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))))
    with pytest.raises(InvalidKeyValueError, match=r"years 1\.\.9999"):
        encode_datetime(datetime(1, 1, 1, 1, tzinfo=timezone(timedelta(hours=5))))


@pytest.mark.parametrize(
    ("type_name", "value", "reason"),
    [
        ("str", "", "empty"),
        ("str", "ok\ud800", "surrogate"),
        ("str", "\udfff", "surrogate"),
        ("bytes", b"", "empty"),
        ("bytes", bytearray(), "empty"),
    ],
)
def test_empty_and_unencodable_rejected(type_name: str, value: object, reason: str) -> None:
    with pytest.raises(InvalidKeyValueError, match=reason):
        encode(type_name, value)


@pytest.mark.parametrize(
    ("type_name", "value"),
    [
        ("str", 5),
        ("str", b"x"),
        ("int", 1.0),
        ("int", Decimal(1)),
        ("int", True),
        ("decimal", 1.5),
        ("decimal", "1"),
        ("float", Decimal("1.5")),
        ("float", False),
        ("bool", 1),
        ("bool", "true"),
        ("datetime", date(2024, 1, 1)),
        ("datetime", "2024-01-01T00:00:00Z"),
        ("date", datetime(2024, 1, 1, tzinfo=UTC)),
        ("date", "2024-01-01"),
        ("bytes", "00"),
        ("bytes", [1, 2]),
        ("str", None),
    ],
)
def test_wrong_python_type_rejected_naming_attribute(type_name: str, value: object) -> None:
    with pytest.raises(InvalidKeyValueError, match="expected") as info:
        encode(type_name, value, attribute="owner_id")
    assert info.value.attribute == "owner_id"
    assert "'owner_id'" in str(info.value) and repr(value)[:20] in str(info.value)


def test_error_message_truncates_long_values() -> None:
    with pytest.raises(InvalidKeyValueError) as info:
        encode("int", "x" * 1000, attribute="n")
    assert len(str(info.value)) < 150 and "..." in str(info.value)


def test_unknown_type_name() -> None:
    with pytest.raises(ValueError, match="unknown key type"):
        encode("list[str]", ["a"])
    with pytest.raises(ValueError, match="unknown key type"):
        decode("uuid", "x")


@pytest.mark.parametrize(
    ("type_name", "text"),
    [
        ("str", ""),
        ("str", "%2a"),  # lowercase hex
        ("str", "%41"),  # escaped character that is never escaped
        ("str", "a#b"),
        ("str", "a b"),
        ("str", "%2"),
        ("decimal", "P5010"),  # trailing zero
        ("decimal", "P501"),
        ("decimal", "M4988"),  # missing terminator
        ("decimal", "P3701"),  # below 1E-130
        ("decimal", "P\u0665011"),  # non-ASCII digit
        ("int", "P5001"),  # 0.1 is not an int
        ("bool", "True"),
        ("bool", ""),
        ("datetime", "2024-01-01T00:00:00Z"),
        ("datetime", "2024-01-01T00:00:00.00000Z"),
        ("datetime", "2024-02-30T00:00:00.000000Z"),
        ("date", "20240101"),
        ("date", "2024-1-01"),
        ("bytes", "ab"),
        ("bytes", ""),
        ("bytes", "0"),
    ],
)
def test_decoders_reject_non_canonical_text(type_name: str, text: str) -> None:
    with pytest.raises(InvalidKeyValueError):
        decode(type_name, text)


# ---------------------------------------------------------------------------------------------
# Literals


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("Ticket", True),
        ("User.email", True),
        ("#Workspace", True),
        ("~Tail", True),
        ("~", True),
        ("é", True),
        ("", False),
        ("#", False),
        ("##W", False),
        ("a#b", False),
        ("a$", False),
        ("$a", False),
        ("a b", False),
        ("100%", False),
        ("a\x00", False),
        ("\ud800", False),
    ],
)
def test_is_literal_safe(text: str, safe: bool) -> None:
    assert is_literal_safe(text) is safe


@PROPERTY
@given(TEXTS)
def test_encoded_strings_without_escapes_are_safe_literals(value: str) -> None:
    encoded = encode_str(value)
    assert is_literal_safe(encoded) == (ESCAPE not in encoded)


# ---------------------------------------------------------------------------------------------
# Key size


@pytest.mark.parametrize(
    ("unit", "limit"),
    [("é", MAX_PARTITION_KEY_BYTES), ("\u20ac", MAX_SORT_KEY_BYTES), ("\U0001f600", 1024)],
)
def test_check_key_size_at_the_byte_limit(unit: str, limit: int) -> None:
    width = len(unit.encode("utf-8"))
    at_limit = unit * (limit // width) + "a" * (limit % width)
    assert len(at_limit.encode("utf-8")) == limit
    assert check_key_size(at_limit, limit=limit, attribute="PK") == at_limit
    over = at_limit + unit
    size = len(over.encode("utf-8"))
    assert size == limit + width and (width == 1 or len(over) < limit)  # bytes, not characters
    with pytest.raises(InvalidKeyValueError) as info:
        check_key_size(over, limit=limit, attribute="SK")
    message = str(info.value)
    assert str(size) in message and str(limit) in message and "'SK'" in message
    assert info.value.attribute == "SK"


@PROPERTY
@given(st.text(CHARS, max_size=40), st.integers(1, 80))
def test_check_key_size_counts_utf8_bytes(key: str, limit: int) -> None:
    size = len(key.encode("utf-8"))
    if 0 < size <= limit:
        assert check_key_size(key, limit=limit, attribute="PK") is key
    else:
        with pytest.raises(InvalidKeyValueError):
            check_key_size(key, limit=limit, attribute="PK")


# ---------------------------------------------------------------------------------------------
# Shards


def test_shard_of_is_pinned() -> None:
    # Computed once; a change here would move every existing item to another shard.
    assert shard_of("Ticket#01HZX2", shards=8) == 6
    assert shard_of("User#alice@example.com", shards=16) == 8
    assert shard_of("Order#é#42", shards=1000) == 308


def test_shard_of_spreads_ids_evenly() -> None:
    counts = Counter(shard_of(f"Ticket#{i:06d}", shards=8) for i in range(10_000))
    assert set(counts) == set(range(8))
    assert min(counts.values()) > 500


@PROPERTY
@given(TEXT, st.integers(1, 64))
def test_shard_in_range(identity: str, shards: int) -> None:
    assert 0 <= shard_of(identity, shards=shards) < shards
    assert shard_of(identity, shards=1) == 0


def test_shard_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="shards"):
        shard_of("x", shards=0)
    with pytest.raises(ValueError, match="shards"):
        shard_of("x", shards=-3)


# ---------------------------------------------------------------------------------------------
# Fast paths give the general encodings


@PROPERTY
@given(st.one_of(INTS, st.integers(-(10**40), 10**40), st.sampled_from([0, 10**38 - 1, -(10**38)])))
def test_int_fast_path_equals_the_decimal_encoding(value: int) -> None:
    try:
        expected = encode_number(Decimal(value))
    except InvalidKeyValueError:
        with pytest.raises(InvalidKeyValueError):
            encode_number(value)
        return
    assert encode_number(value) == expected


@PROPERTY
@given(DATETIMES)
def test_datetime_encoding_is_the_fixed_width_utc_time(value: datetime) -> None:
    t = value.astimezone(UTC)
    expected = (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T"
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{t.microsecond:06d}Z"
    )
    assert encode_datetime(value) == expected


def test_early_years_and_utc_offsets_of_zero() -> None:
    from pydantic import TypeAdapter

    early = datetime(7, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert encode_datetime(early) == "0007-01-02T03:04:05.000000Z"
    parsed = TypeAdapter(datetime).validate_python("2026-01-02T03:04:05Z")  # pydantic's UTC
    assert encode_datetime(parsed) == "2026-01-02T03:04:05.000000Z"
    london = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(0), "GMT"))
    assert encode_datetime(london) == "2026-01-02T03:04:05.000000Z"
