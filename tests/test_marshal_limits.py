"""What dynamodel.runtime.marshal refuses and measures: numbers, floats, datetimes, sets and
documents DynamoDB cannot hold are rejected naming the path, `storage_error` says which value
an encoder refused and why, and item sizes follow AWS's documented rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from dynamodel.runtime import marshal
from dynamodel.runtime.marshal import (
    get_bytes,
    get_datetime,
    put_bytes,
    put_bytes_set,
    put_datetime,
    put_decimal,
    put_decimal_set,
    put_float,
    put_int,
    put_int_set,
    put_map,
    put_str,
    put_str_set,
    put_ttl,
)
from dynamodel.runtime.sizes import MAX_ITEM_BYTES, item_size

# ---------------------------------------------------------------------------------------------
# Rejections


@pytest.mark.parametrize(
    "value",
    [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity")],
    ids=str,
)
def test_decimal_rejects_nan_and_infinity(value: Decimal) -> None:
    with pytest.raises(ValueError, match="NaN or Infinity"):
        put_decimal(value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (Decimal("1E+126"), "range"),
        (Decimal("-1E+126"), "range"),
        (Decimal("1E-131"), "range"),
        (Decimal("1E+999999999"), "range"),  # checked before writing a billion zeros
        (Decimal("1." + "1" * 38), "39 significant digits"),
        (Decimal(10**38 + 1), "39 significant digits"),
    ],
    ids=str,
)
def test_decimal_rejects_what_dynamodb_cannot_hold(value: Decimal, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        put_decimal(value)


def test_number_limits_are_inclusive() -> None:
    assert put_decimal(Decimal("9" * 38 + "E+88"))["N"] == "9" * 38 + "0" * 88
    assert put_decimal(Decimal("1E-130"))["N"] == "0." + "0" * 129 + "1"
    assert put_decimal(Decimal("1E+2")) == {"N": "100"}
    assert put_decimal(Decimal("1." + "0" * 60)) == {"N": "1." + "0" * 60}  # 1 significant digit
    assert put_decimal(Decimal("0E-999999")) == {"N": "0"}
    assert put_int(10**125) == {"N": "1" + "0" * 125}
    with pytest.raises(ValueError, match="range"):
        put_int(10**126)
    with pytest.raises(ValueError, match="range"):
        put_int(2**5000)
    with pytest.raises(ValueError, match="significant digits"):
        put_int_set({10**38 + 1})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 1e300, 5e-324])
def test_float_rejects_nan_infinity_and_out_of_range(value: float) -> None:
    with pytest.raises(ValueError):
        put_float(value)


def test_bool_is_not_an_int() -> None:
    with pytest.raises(TypeError, match="bool"):
        put_int(True)
    with pytest.raises(TypeError, match="bool"):
        put_int_set({True})


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2024, 1, 1, 12, 0)
    with pytest.raises(ValueError, match="naive"):
        put_datetime(naive)
    with pytest.raises(ValueError, match="naive"):
        put_ttl(naive)
    with pytest.raises(ValueError, match=r"\$\.a\[0\]: naive"):
        put_map({"a": [naive]})
    with pytest.raises(ValueError, match="no time zone"):
        get_datetime({"S": "2024-01-01T12:00:00"})
    with pytest.raises(ValueError, match=r"years 1\.\.9999"):
        put_datetime(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))


@pytest.mark.parametrize(
    ("document", "error", "message"),
    [
        (
            {"a": {"b": [1, object()]}},
            TypeError,
            r"^meta\.a\.b\[1\]: unsupported value of type object",
        ),
        ({"a": {"my key": 1.5j}}, TypeError, r"^meta\.a\['my key'\]: unsupported .* complex"),
        ({"a": {1: "x"}}, TypeError, r"^meta\.a\[1\]: map keys must be str, got int"),
        ({"a": [float("nan")]}, ValueError, r"^meta\.a\[0\]: nan .*NaN or Infinity"),
        ({"a": Decimal("1E+200")}, ValueError, r"^meta\.a: .*range"),
        ({"a": set()}, ValueError, r"^meta\.a: DynamoDB cannot store an empty set"),
        ({"a": {1, "x"}}, TypeError, r"^meta\.a: a set must hold only"),
        ({"a": {True}}, TypeError, r"^meta\.a: a set must hold only"),
    ],
)
def test_put_map_rejections_name_the_path(
    document: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        put_map(document, path="meta")


def test_put_map_rejects_cycles() -> None:
    cyclic: dict[str, Any] = {}
    cyclic["self"] = [cyclic]
    with pytest.raises(ValueError, match=r"^\$\.self\[0\]\.self.*nested more than"):
        put_map(cyclic)


def test_get_bytes_accepts_only_binary() -> None:
    assert get_bytes({"B": bytearray(b"\x00\xff")}) == b"\x00\xff"
    with pytest.raises(TypeError, match="str"):
        get_bytes({"B": "AP8="})


def test_empty_sets_are_omitted() -> None:
    assert put_str_set(set()) is None
    assert put_int_set(frozenset()) is None
    assert put_decimal_set(set()) is None
    assert put_bytes_set(set()) is None


# ---------------------------------------------------------------------------------------------
# Item size (AWS "DynamoDB item sizes and formats": name bytes + value bytes; a number is
# ceil(significant digits / 2) + 1; BOOL/NULL 1; L/M 3 + 1 per element + contents)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"pk": {"S": "USER#1"}}, 8),  # 2 + 6
        ({"é": {"S": "€"}}, 5),  # 2 + 3 (UTF-8)
        ({"n": {"N": "12345"}}, 5),  # 1 + (ceil(5/2)=3 + 1)
        ({"n": {"N": "-0.00120"}}, 3),  # 1 + (digits "12": 1 + 1)
        ({"n": {"N": "1E+2"}}, 3),  # 1 + (digit "1": 1 + 1)
        ({"n": {"N": "0"}}, 2),  # 1 + (no significant digit: 0 + 1)
        ({"b": {"B": b"\x00\x01\x02"}}, 4),  # 1 + 3 raw bytes
        ({"ok": {"BOOL": False}, "x": {"NULL": True}}, 5),  # (2 + 1) + (1 + 1)
        ({"l": {"L": []}}, 4),  # 1 + 3
        ({"l": {"L": [{"S": "ab"}, {"NULL": True}]}}, 9),  # 1 + 3 + (1 + 2) + (1 + 1)
        ({"m": {"M": {"a": {"N": "1"}, "bb": {"BOOL": True}}}}, 12),  # 1+3 + (1+1+2) + (1+2+1)
        ({"m": {"M": {"in": {"M": {}}}}}, 10),  # 1 + 3 + (1 + 2 + 3)
        ({"ss": {"SS": ["a", "bc"]}}, 5),  # 2 + 1 + 2
        ({"ns": {"NS": ["1", "-0.0012", "100"]}}, 8),  # 2 + 2 + 2 + 2
        ({"bs": {"BS": [b"\x00\x01", b""]}}, 4),  # 2 + 2 + 0
    ],
)
def test_item_size_follows_the_documented_rules(item: marshal.Item, expected: int) -> None:
    assert item_size(item) == expected


def test_max_item_bytes() -> None:
    assert MAX_ITEM_BYTES == 409_600
    big = {"pk": put_str("x"), "blob": put_bytes(b"\x00" * (MAX_ITEM_BYTES - 7))}
    assert item_size(big) == MAX_ITEM_BYTES  # 2 + 1 + 4 + (MAX - 7)


# -- storage_error: which value an encoder refused (names the attribute of InvalidValueError) ---


@pytest.mark.parametrize(
    "value",
    [
        "",
        "x",
        0,
        -(10**37),
        Decimal("1E-130"),
        1.5,
        True,
        b"",
        [1, "a"],
        {"a": {"b": None}},
        {"x"},
        datetime(2026, 1, 1, tzinfo=UTC),
        date(2026, 1, 1),
    ],
)
def test_storable_values_have_no_storage_error(value: object) -> None:
    assert marshal.storage_error(value) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (float("nan"), "NaN"),
        (10**38 + 1, "39 significant digits"),  # DynamoDB: at most 38
        (Decimal("1E+126"), "outside DynamoDB's number range"),  # over 9.99E+125
        (datetime(2026, 1, 1), "naive"),
        (set(), "empty set"),
        ({"a": [1, float("inf")]}, "a[1]"),
        (object(), "unsupported value"),
    ],
)
def test_unstorable_values_say_why(value: object, reason: str) -> None:
    error = marshal.storage_error(value)
    assert error is not None and reason in error
