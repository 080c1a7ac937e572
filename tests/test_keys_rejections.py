"""What the key encoding (dynamodel.runtime.keys) refuses and where its limits are: the ends
of DynamoDB's number range, numbers outside it, naive or out-of-range datetimes, empty,
unencodable and wrong-typed values, non-canonical text for the decoders, unsafe literals,
and key sizes in UTF-8 bytes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynamodel.runtime.errors import InvalidKeyValueError
from dynamodel.runtime.key_decoding import decode, decode_number
from dynamodel.runtime.keys import (
    ESCAPE,
    MAX_PARTITION_KEY_BYTES,
    MAX_SORT_KEY_BYTES,
    check_key_size,
    encode,
    encode_datetime,
    encode_number,
    encode_str,
    is_literal_safe,
)
from tests.key_strategies import CHARS, PROPERTY, TEXTS

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
