"""Properties of the key encoding (dynamodel.runtime.keys): round trip, alphabet, examples of
every type, injectivity, shard stability, and the fast paths giving the general encodings.
Order, prefix safety and range bounds: tests/test_keys_order.py; rejections, literals and
size limits: tests/test_keys_rejections.py."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynamodel.runtime.errors import InvalidKeyValueError
from dynamodel.runtime.key_decoding import decode, decode_str
from dynamodel.runtime.keys import (
    DELIMITER,
    ESCAPE,
    KEY_TYPES,
    RANGE_END,
    encode,
    encode_bool,
    encode_bytes,
    encode_date,
    encode_datetime,
    encode_number,
    encode_str,
    join,
    shard_of,
    split,
)
from tests.key_strategies import (
    DATETIMES,
    DECIMALS,
    INTS,
    PROPERTY,
    TEXT,
    TEXTS,
    TYPED_VALUES,
    as_instant,
)

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
