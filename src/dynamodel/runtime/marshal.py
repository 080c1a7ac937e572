"""Fast, type-specific conversion between Python values and DynamoDB AttributeValue dicts.

Generated code calls one ``put_<type>``/``get_<type>`` per field instead of boto3's
TypeSerializer/TypeDeserializer, which dispatch on the value at run time and are slow. None is
never stored as NULL: generated code omits the attribute (also when a set writer returns None).
Readers are only given attributes generated code wrote; a wrong type tag raises KeyError.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from dynamodel.runtime.construct import construct as construct  # generated decoders: m.construct
from dynamodel.runtime.errors import InvalidKeyValueError
from dynamodel.runtime.keys import encode_date, encode_datetime

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


_T = TypeVar("_T")

# DynamoDB numbers: at most 38 significant digits, magnitude 1E-130 .. 9.99...E+125, i.e. an
# adjusted exponent (that of the leading digit) in [-130, 125].
_MAX_DIGITS = 38
_MIN_ADJUSTED = -130
_MAX_ADJUSTED = 125
# Ints strictly inside +-10**38 have at most 38 digits and are in range: str() is enough.
_INT_LIMIT = 10**38
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
# Guards put_map against cyclic containers; DynamoDB itself rejects nesting deeper than 32.
_MAX_DEPTH = 64


def _number_text(value: Decimal) -> str:
    """Validate a Decimal against DynamoDB's number limits; return positional text."""
    if not value.is_finite():
        raise ValueError(f"{value!r:.60} cannot be stored: DynamoDB has no NaN or Infinity")
    # Checked before formatting: positional text of 1E+999999 would be a megabyte long.
    if not _MIN_ADJUSTED <= value.adjusted() <= _MAX_ADJUSTED:
        if not value:
            return "0"  # a zero with an extreme exponent is still just zero
        raise ValueError(
            f"{value!r:.60} is outside DynamoDB's number range (magnitude 1E-130 .. 9.99...E+125)"
        )
    # "f" never uses an exponent: Decimal("1E+2") is written "100", and reads back as an int.
    text = format(value, "f")
    # Text of <= 38 characters cannot hold more than 38 digits; only longer text is counted.
    if len(text) > _MAX_DIGITS:
        digits = "".join(map(str, value.as_tuple().digits)).rstrip("0")
        if len(digits) > _MAX_DIGITS:
            raise ValueError(
                f"{value!r:.60} has {len(digits)} significant digits; DynamoDB allows {_MAX_DIGITS}"
            )
    return text


def _int_text(value: int) -> str:
    # bool is an int subclass; a bool in an int field is a bug, not the number 0 or 1.
    if isinstance(value, bool):
        raise TypeError(f"expected int, got bool {value!r}")
    if -_INT_LIMIT < value < _INT_LIMIT:
        return str(value)
    if value.bit_length() > 419:  # 2**419 > 9.99E+125: reject before building a Decimal
        raise ValueError(f"{value!r:.60} is outside DynamoDB's number range")
    return _number_text(Decimal(value))


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"{value!r} cannot be stored: DynamoDB has no NaN or Infinity")
    # repr is the shortest text that reads back as the same float.
    return _number_text(Decimal(repr(value)))


def put_str(value: str) -> AttributeValue:
    return {"S": value}


def put_int(value: int) -> AttributeValue:
    if type(value) is int and -_INT_LIMIT < value < _INT_LIMIT:  # not a bool, in range
        return {"N": str(value)}
    return {"N": _int_text(value)}


def put_decimal(value: Decimal) -> AttributeValue:
    return {"N": _number_text(value)}


def put_float(value: float) -> AttributeValue:
    return {"N": _float_text(value)}


def put_bool(value: bool) -> AttributeValue:
    return {"BOOL": value}


def put_datetime(value: datetime) -> AttributeValue:
    """Store an aware datetime as UTC text "YYYY-MM-DDTHH:MM:SS.ffffffZ" (sorts by instant)."""
    if value.tzinfo is not UTC and value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r} cannot be stored; give it a time zone")
    try:
        # The key encoder, so that an attribute and a key segment of one instant agree.
        return {"S": encode_datetime(value)}
    except InvalidKeyValueError:  # the only remaining failure for an aware datetime
        raise ValueError(f"{value!r} is outside years 1..9999 once converted to UTC") from None


def put_date(value: date) -> AttributeValue:
    return {"S": encode_date(value)}


def put_bytes(value: bytes) -> AttributeValue:
    return {"B": bytes(value)}  # bytes(b) is b itself; a bytearray is copied


# DynamoDB rejects empty sets, so the set writers return None and the attribute is omitted.


def put_str_set(values: AbstractSet[str]) -> AttributeValue | None:
    return {"SS": list(values)} if values else None


def put_int_set(values: AbstractSet[int]) -> AttributeValue | None:
    return {"NS": [_int_text(v) for v in values]} if values else None


def put_decimal_set(values: AbstractSet[Decimal]) -> AttributeValue | None:
    return {"NS": [_number_text(v) for v in values]} if values else None


def put_bytes_set(values: AbstractSet[bytes]) -> AttributeValue | None:
    return {"BS": [bytes(v) for v in values]} if values else None


def put_list(values: Iterable[_T], put_item: Callable[[_T], AttributeValue]) -> AttributeValue:
    return {"L": [put_item(v) for v in values]}


def put_ttl(value: datetime) -> AttributeValue:
    """Store an aware datetime as whole epoch seconds, the format DynamoDB TTL requires."""
    if value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r} cannot be a TTL; give it a time zone")
    # Exact integer arithmetic (floor), unlike float timestamp().
    return {"N": str((value - _EPOCH) // _SECOND)}


class _BadValue(Exception):
    # Raised inside put_map; each container on the way out adds its path segment, so that
    # paths are only built for errors, not for every value written.
    def __init__(self, error: type[Exception], reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason
        self.path: list[str] = []  # innermost first


def put_map(value: Mapping[str, Any], *, path: str = "$") -> AttributeValue:
    """Store the spec's free-form ``dict``: str, bool, int/Decimal/float, None, bytes,
    list/tuple, Mapping, non-empty sets of str/numbers/bytes, and aware datetime or date (as
    ISO text, read back as str). Others raise TypeError, values DynamoDB cannot hold (NaN,
    naive datetime, empty set) ValueError; the message names the value's path from ``path``.
    """
    try:
        return _put_map(value, 0)
    except _BadValue as bad:
        where = path + "".join(reversed(bad.path))
        raise bad.error(f"{where}: {bad.reason}") from None


def _put_map(value: Mapping[Any, Any], depth: int) -> AttributeValue:
    out: dict[str, AttributeValue] = {}
    for key, item in value.items():
        try:
            if not isinstance(key, str):
                raise _BadValue(TypeError, f"map keys must be str, got {type(key).__name__}")
            out[key] = _put_any(item, depth)
        except _BadValue as bad:
            bad.path.append(
                f".{key}" if isinstance(key, str) and key.isidentifier() else f"[{key!r}]"
            )
            raise
    return {"M": out}


def _put_any(value: object, depth: int) -> AttributeValue:
    if depth > _MAX_DEPTH:
        raise _BadValue(ValueError, f"nested more than {_MAX_DEPTH} levels (a cycle?)")
    # Most common types first; bool before int, since bool is an int subclass.
    try:
        if isinstance(value, str):
            return {"S": value}
        if isinstance(value, bool):
            return {"BOOL": value}
        if isinstance(value, int | Decimal | float):
            return {"N": _free_number_text(value)}
        if value is None:
            return {"NULL": True}
        if isinstance(value, Mapping):
            return _put_map(value, depth + 1)
        if isinstance(value, list | tuple):
            return _put_list(value, depth + 1)
        if isinstance(value, bytes | bytearray):
            return {"B": bytes(value)}
        if isinstance(value, AbstractSet):
            return _put_set(value)
        if isinstance(value, datetime):
            return put_datetime(value)
        if isinstance(value, date):
            return put_date(value)
    except (ValueError, TypeError) as error:  # a number, datetime or set DynamoDB cannot hold
        raise _BadValue(type(error), str(error)) from None
    raise _BadValue(TypeError, f"unsupported value of type {type(value).__name__}")


def storage_error(value: object) -> str | None:
    """Why DynamoDB cannot store `value` as an attribute (None when it can): the check of
    `put_map` applied to one value, used to name the attribute an encoder refused."""
    try:
        _put_any(value, 0)
    except _BadValue as bad:
        return f"{''.join(reversed(bad.path)).lstrip('.')} {bad.reason}".strip()
    return None


def _free_number_text(value: int | Decimal | float) -> str:
    if isinstance(value, int):
        return _int_text(value)
    return _float_text(value) if isinstance(value, float) else _number_text(value)


def _put_list(values: list[Any] | tuple[Any, ...], depth: int) -> AttributeValue:
    out: list[AttributeValue] = []
    for index, item in enumerate(values):
        try:
            out.append(_put_any(item, depth))
        except _BadValue as bad:
            bad.path.append(f"[{index}]")
            raise
    return {"L": out}


def _put_set(values: AbstractSet[Any]) -> AttributeValue:
    if not values:
        raise ValueError("DynamoDB cannot store an empty set")
    if all(isinstance(v, str) for v in values):
        return {"SS": list(values)}
    if all(isinstance(v, bytes | bytearray) for v in values):
        return {"BS": [bytes(v) for v in values]}
    if all(isinstance(v, int | Decimal | float) and not isinstance(v, bool) for v in values):
        # 0.1 != Decimal("0.1"), yet both are written "0.1"; DynamoDB rejects duplicates.
        return {"NS": list(dict.fromkeys(map(_free_number_text, values)))}
    raise TypeError("a set must hold only str, only numbers (not bool) or only bytes")


def get_str(av: AttributeValue) -> str:
    return str(av["S"])  # str() of a str is that same object; it tells mypy the type


def get_int(av: AttributeValue) -> int:
    return int(av["N"])


def get_decimal(av: AttributeValue) -> Decimal:
    return Decimal(av["N"])


def get_float(av: AttributeValue) -> float:
    return float(av["N"])


def get_bool(av: AttributeValue) -> bool:
    return bool(av["BOOL"])


def get_datetime(av: AttributeValue) -> datetime:
    """Read ISO text with an offset ("Z" included) as an aware datetime in UTC."""
    value = datetime.fromisoformat(av["S"])
    if value.tzinfo is UTC:  # the "...Z" text the runtime writes
        return value
    if value.tzinfo is None:
        raise ValueError(f"stored datetime {av['S']!r} has no time zone")
    return value.astimezone(UTC)


def get_date(av: AttributeValue) -> date:
    return date.fromisoformat(av["S"])


def get_bytes(av: AttributeValue) -> bytes:
    # The low-level client has already decoded the base64 of the wire format.
    value = av["B"]
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    raise TypeError(f"expected bytes for a B attribute, got {type(value).__name__}")


def get_str_set(av: AttributeValue) -> set[str]:
    return set(av["SS"])


def get_int_set(av: AttributeValue) -> set[int]:
    return {int(v) for v in av["NS"]}


def get_decimal_set(av: AttributeValue) -> set[Decimal]:
    return {Decimal(v) for v in av["NS"]}


def get_bytes_set(av: AttributeValue) -> set[bytes]:
    return {bytes(v) for v in av["BS"]}


def get_list(av: AttributeValue, get_item: Callable[[AttributeValue], _T]) -> list[_T]:
    return [get_item(v) for v in av["L"]]


def get_ttl(av: AttributeValue) -> datetime:
    return _EPOCH + timedelta(seconds=int(av["N"]))


def get_map(av: AttributeValue) -> dict[str, Any]:
    """Inverse of put_map: numbers come back as int when integral, else Decimal."""
    return {key: _get_any(value) for key, value in av["M"].items()}


def _get_number(text: str) -> int | Decimal:
    # Integral text as DynamoDB returns it has no point or exponent; anything else is Decimal.
    if "." in text or "e" in text or "E" in text:
        return Decimal(text)
    return int(text)


def _get_any(av: AttributeValue) -> Any:
    tag, value = next(iter(av.items()))  # an AttributeValue has exactly one type tag
    reader = _READERS.get(tag)
    if reader is None:
        raise TypeError(f"unknown DynamoDB type tag {tag!r}")
    return reader(value)


_READERS: dict[str, Callable[[Any], Any]] = {
    "S": str,
    "N": _get_number,
    "BOOL": bool,
    "NULL": lambda _: None,
    "B": bytes,
    "M": lambda value: {k: _get_any(v) for k, v in value.items()},
    "L": lambda value: [_get_any(v) for v in value],
    "SS": set,
    "NS": lambda value: {_get_number(v) for v in value},
    "BS": lambda value: {bytes(v) for v in value},
}
