"""Properties of dynamodel.runtime.marshal: round trips for every spec type, agreement with
boto3's TypeSerializer/TypeDeserializer where they overlap, and that the hot path does not
load boto3's generic serializer. Rejections and item sizes: tests/test_marshal_limits.py."""

from __future__ import annotations

import inspect
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import (  # type: ignore[import-untyped, unused-ignore]
    Binary,
    TypeDeserializer,
    TypeSerializer,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.runtime import keys, marshal
from dynamodel.runtime.marshal import (
    AttributeValue,
    get_bool,
    get_bytes,
    get_bytes_set,
    get_date,
    get_datetime,
    get_decimal,
    get_decimal_set,
    get_float,
    get_int,
    get_int_set,
    get_list,
    get_map,
    get_str,
    get_str_set,
    get_ttl,
    put_bool,
    put_bytes,
    put_bytes_set,
    put_date,
    put_datetime,
    put_decimal,
    put_decimal_set,
    put_float,
    put_int,
    put_int_set,
    put_list,
    put_map,
    put_str,
    put_str_set,
    put_ttl,
)

PROPERTY = settings(max_examples=200, deadline=None)
SERIALIZER = TypeSerializer()
DESERIALIZER = TypeDeserializer()

# ---------------------------------------------------------------------------------------------
# Strategies

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)  # no lone surrogates
# Ints that boto3 accepts too (its context has 38 digits of precision, trailing zeros included).
SMALL_INTS = st.integers(-(10**38) + 1, 10**38 - 1)
# Any int DynamoDB accepts: up to 38 significant digits, the rest trailing zeros.
INTS = st.one_of(
    SMALL_INTS,
    st.builds(lambda i, e: i * 10**e, st.integers(-(10**38) + 1, 10**38 - 1), st.integers(0, 87)),
)
BYTES = st.binary(max_size=20)


@st.composite
def decimals(draw: st.DrawFn, *, boto3_safe: bool = False) -> Decimal:
    """A finite Decimal DynamoDB accepts: 1..38 digits, 1E-130 <= |x| < 1E+126, or zero.

    With boto3_safe, also one boto3's TypeSerializer accepts (its context: Emin -128)."""
    digits = draw(st.integers(0, 10**38 - 1))
    if digits == 0:
        return Decimal((draw(st.integers(0, 1)), (0,), draw(st.integers(-20, 20))))
    length = len(str(digits))
    low = -128 if boto3_safe else -130
    adjusted = draw(st.one_of(st.integers(-10, 10), st.integers(low, 125)))
    sign = draw(st.integers(0, 1))
    return Decimal((sign, tuple(map(int, str(digits))), adjusted - length + 1))


# Floats inside DynamoDB's range (subnormals and huge floats are outside it).
FLOATS = st.floats(min_value=-1e125, max_value=1e125).filter(lambda f: f == 0 or abs(f) >= 1e-129)
# Offsets within a day; years kept away from 1 and 9999 so conversion to UTC cannot overflow.
ZONES = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
AWARE = st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31), timezones=ZONES)


def _boto3_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        SMALL_INTS,
        decimals(boto3_safe=True),
        TEXT,
        BYTES,
        st.frozensets(TEXT, min_size=1, max_size=4),
        st.frozensets(SMALL_INTS, min_size=1, max_size=4),
        st.frozensets(decimals(boto3_safe=True), min_size=1, max_size=3),
        st.frozensets(BYTES, min_size=1, max_size=4),
    )


# JSON-like documents that both TypeSerializer and put_map accept.
DOCUMENTS = st.recursive(
    _boto3_scalars(),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
).map(lambda value: {"root": value})


def _plain(value: Any) -> bool:
    """Whether every number's str() in ``value`` is positional (boto3 then writes our text)."""
    if isinstance(value, Decimal):
        return "E" not in str(value)
    if isinstance(value, dict):
        return all(_plain(v) for v in value.values())
    if isinstance(value, list | frozenset):
        return all(_plain(v) for v in value)
    return True


def _canonical(av: AttributeValue) -> Any:
    """An AttributeValue with numbers as Decimal and sets unordered: equal iff same data."""
    ((tag, value),) = av.items()
    if tag == "N":
        return ("N", Decimal(value))
    if tag == "NS":
        return ("NS", frozenset(map(Decimal, value)))
    if tag in ("SS", "BS"):
        return (tag, frozenset(value))
    if tag == "L":
        return ("L", [_canonical(v) for v in value])
    if tag == "M":
        return ("M", {k: _canonical(v) for k, v in value.items()})
    return (tag, value)


def _same_data(ours: Any, theirs: Any) -> bool:
    """Equality of get_map output and TypeDeserializer output: numbers compare by value
    (boto3 reads every number as Decimal, get_map integral text as int), Binary as bytes."""
    if isinstance(theirs, Decimal):
        return type(ours) in (int, Decimal) and bool(ours == theirs)
    if isinstance(theirs, Binary):
        return type(ours) is bytes and bool(ours == theirs.value)
    if isinstance(theirs, dict):
        return bool(ours.keys() == theirs.keys()) and all(
            _same_data(ours[k], theirs[k]) for k in theirs
        )
    if isinstance(theirs, list):
        return len(ours) == len(theirs) and all(map(_same_data, ours, theirs))
    if isinstance(theirs, set):
        return bool(ours == {t.value if isinstance(t, Binary) else t for t in theirs})
    return type(ours) is type(theirs) and bool(ours == theirs)


# ---------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize(
    ("put", "get", "values"),
    [
        (put_str, get_str, TEXT),
        (put_int, get_int, INTS),
        (put_bool, get_bool, st.booleans()),
        (put_date, get_date, st.dates()),
        (put_bytes, get_bytes, BYTES),
        (put_str_set, get_str_set, st.sets(TEXT, min_size=1, max_size=5)),
        (put_int_set, get_int_set, st.sets(INTS, min_size=1, max_size=5)),
        (put_bytes_set, get_bytes_set, st.sets(BYTES, min_size=1, max_size=5)),
    ],
)
@PROPERTY
@given(data=st.data())
def test_round_trip_is_exact(
    put: Callable[[Any], AttributeValue | None],
    get: Callable[[AttributeValue], Any],
    values: st.SearchStrategy[Any],
    data: st.DataObject,
) -> None:
    value = data.draw(values)
    av = put(value)
    assert av is not None
    back = get(av)
    assert back == value and type(back) is type(value)


@PROPERTY
@given(decimals())
def test_decimal_round_trip_is_numeric_and_positional(value: Decimal) -> None:
    av = put_decimal(value)
    assert "E" not in av["N"] and "e" not in av["N"]
    assert get_decimal(av) == value
    assert get_decimal_set(put_decimal_set({value}) or {}) == {value}


@PROPERTY
@given(FLOATS)
def test_float_round_trip_is_exact(value: float) -> None:
    back = get_float(put_float(value))
    assert back == value and str(back) == str(value)  # also keeps the sign of -0.0


@PROPERTY
@given(AWARE)
def test_datetime_round_trip_is_the_same_instant_in_utc(value: datetime) -> None:
    av = put_datetime(value)
    assert av == {"S": keys.encode_datetime(value)}  # attributes and key segments agree
    back = get_datetime(av)
    assert back == value and back.utcoffset() == timedelta(0)


@PROPERTY
@given(AWARE)
def test_ttl_is_whole_epoch_seconds(value: datetime) -> None:
    # Floored on the UTC instant (offsets can have seconds and microseconds of their own).
    whole = value.astimezone(UTC).replace(microsecond=0)
    av = put_ttl(value)
    assert av == {"N": str(int(whole.timestamp()))}
    assert get_ttl(av) == whole and get_ttl(av).tzinfo is UTC


@PROPERTY
@given(st.lists(st.lists(SMALL_INTS, max_size=3), max_size=4))
def test_list_round_trip_and_matches_boto3(value: list[list[int]]) -> None:
    av = put_list(value, lambda inner: put_list(inner, put_int))
    assert av == SERIALIZER.serialize(value)
    assert get_list(av, lambda inner: get_list(inner, get_int)) == value


# ---------------------------------------------------------------------------------------------
# Agreement with boto3


@PROPERTY
@given(
    st.one_of(
        st.tuples(st.just(put_str), TEXT),
        st.tuples(st.just(put_int), SMALL_INTS),
        st.tuples(st.just(put_bool), st.booleans()),
        st.tuples(st.just(put_bytes), BYTES),
        st.tuples(st.just(put_str_set), st.sets(TEXT, min_size=1, max_size=5)),
        st.tuples(st.just(put_int_set), st.sets(SMALL_INTS, min_size=1, max_size=5)),
        st.tuples(st.just(put_bytes_set), st.sets(BYTES, min_size=1, max_size=5)),
    )
)
def test_writers_match_type_serializer(case: tuple[Callable[[Any], Any], Any]) -> None:
    put, value = case
    assert put(value) == SERIALIZER.serialize(value)


@PROPERTY
@given(BYTES)
def test_bytes_match_type_serializer_of_binary(value: bytes) -> None:
    assert put_bytes(value) == SERIALIZER.serialize(Binary(value)) == {"B": value}


@PROPERTY
@given(decimals(boto3_safe=True))
def test_decimals_match_type_serializer(value: Decimal) -> None:
    ours, theirs = put_decimal(value), SERIALIZER.serialize(value)
    if "E" in theirs["N"]:  # boto3 keeps str()'s exponent, we write positional text
        assert Decimal(ours["N"]) == Decimal(theirs["N"])
    else:
        assert ours == theirs
    assert _canonical(put_decimal_set({value}) or {}) == _canonical(SERIALIZER.serialize({value}))


@PROPERTY
@given(FLOATS)
def test_floats_match_type_serializer_of_their_repr(value: float) -> None:
    theirs = SERIALIZER.serialize(Decimal(repr(value)))
    assert Decimal(put_float(value)["N"]) == Decimal(theirs["N"])
    if "E" not in theirs["N"]:
        assert put_float(value) == theirs


@PROPERTY
@given(DOCUMENTS)
def test_put_map_matches_type_serializer(document: dict[str, Any]) -> None:
    ours, theirs = put_map(document), SERIALIZER.serialize(document)
    assert _canonical(ours) == _canonical(theirs)
    if _plain(document):
        assert ours == theirs  # the very same text and element order


@PROPERTY
@given(DOCUMENTS)
def test_get_map_inverts_type_deserializer(document: dict[str, Any]) -> None:
    av = SERIALIZER.serialize(document)
    assert _same_data(get_map(av), DESERIALIZER.deserialize(av))
    assert _same_data(get_map(put_map(document)), DESERIALIZER.deserialize(av))


@PROPERTY
@given(INTS, decimals())
def test_get_map_reads_integral_numbers_as_int(integer: int, number: Decimal) -> None:
    back = get_map(put_map({"i": integer, "l": [integer], "s": {integer}, "d": number}))
    assert back["i"] == integer and type(back["i"]) is int
    assert type(back["l"][0]) is int and back["s"] == {integer}
    assert back["d"] == number
    # Positional text: integral iff no decimal point, so exactly the integral values are int.
    assert type(back["d"]) is (int if "." not in format(number, "f") else Decimal)


def test_put_map_converts_what_boto3_does_not() -> None:
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    av = put_map({"f": 0.1, "t": (1, "a"), "when": moment, "day": date(2024, 5, 1)})
    assert av == {
        "M": {
            "f": {"N": "0.1"},
            "t": {"L": [{"N": "1"}, {"S": "a"}]},
            "when": {"S": "2024-05-01T10:00:00.000000Z"},
            "day": {"S": "2024-05-01"},
        }
    }
    # 0.1 and Decimal("0.1") are different set members but the same DynamoDB number.
    assert put_map({"s": {0.1, Decimal("0.1")}}) == {"M": {"s": {"NS": ["0.1"]}}}
    assert get_map({"M": {"n": {"N": "1E+2"}, "i": {"N": "-7"}}}) == {"n": 100, "i": -7}
    assert type(get_map({"M": {"i": {"N": "-7"}}})["i"]) is int


# ---------------------------------------------------------------------------------------------
# Hot path


def test_writers_and_readers_are_plain_functions() -> None:
    accessors = [n for n in dir(marshal) if n.startswith(("put_", "get_"))]
    assert len(accessors) == 30  # 15 spec types (incl. list, map, ttl) x writer and reader
    for name in accessors:
        assert inspect.isfunction(getattr(marshal, name)), name


def test_marshal_does_not_load_boto3_serializers() -> None:
    code = (
        "import sys, dynamodel.runtime.marshal\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(('boto3', 'botocore')))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
