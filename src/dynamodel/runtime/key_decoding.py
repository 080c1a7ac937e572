"""Decoding of key segments written by `dynamodel.runtime.keys`: the inverse of each encoder.

Kept apart from the encoders because the read and write paths never read values back out of
keys (the runtime stores every attribute as an attribute too): only tools, tests and stream
parsing (`streams.py`, for records of KEYS_ONLY streams, which carry nothing but the key) do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar

from dynamodel.runtime.errors import InvalidKeyValueError
from dynamodel.runtime.keys import (  # the encoding's own constants: one definition
    _COMPLEMENT,
    _EXPONENT_BIAS,
    KEY_TYPES,
    _shown,
    encode_bool,
    encode_bytes,
    encode_date,
    encode_datetime,
    encode_number,
    encode_str,
)

_T = TypeVar("_T")

_ESCAPE_SEQUENCE = re.compile(r"%([0-9A-F]{2})")
# [0-9] rather than \d, which also matches non-ASCII digits that int() would accept.
_NUMBER = re.compile(r"N|P([0-9]{3})([0-9]+)|M([0-9]{3})([0-9]+)~")
_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # the text encode_datetime writes


# Decoders are strict: the decoded value is encoded again and must give back the same text, so
# each text has at most one decoding and non-canonical text ("%2a", "P5010", "20240101") fails.


def _strict(text: str, parse: Callable[[str], _T], encoder: Callable[..., str], kind: str) -> _T:
    try:
        value = parse(text)
        ok = encoder(value) == text
    except ValueError:  # includes InvalidKeyValueError
        ok = False
    if not ok:
        raise InvalidKeyValueError(f"{_shown(text)} is not a canonical {kind} key encoding")
    return value


def _unescape(text: str) -> str:
    return _ESCAPE_SEQUENCE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _parse_number(text: str) -> Decimal:
    m = _NUMBER.fullmatch(text)
    if m is None:
        raise ValueError(text)
    if text == "N":
        return Decimal(0)
    if m.group(1) is not None:
        sign, e, digits = 0, int(m.group(1)) - _EXPONENT_BIAS, m.group(2)
    else:
        sign, e, digits = 1, 999 - _EXPONENT_BIAS - int(m.group(3)), m.group(4)
        digits = digits.translate(_COMPLEMENT)
    return Decimal((sign, tuple(int(d) for d in digits), e - len(digits)))


def _parse_datetime(text: str) -> datetime:
    return datetime.strptime(text, _DATETIME_FORMAT).replace(tzinfo=UTC)


def decode_str(text: str) -> str:
    """Undo :func:`encode_str`."""
    return _strict(text, _unescape, encode_str, "str")


def decode_number(text: str) -> Decimal:
    """Undo :func:`encode_number`; the result is a Decimal without trailing zeros."""
    return _strict(text, _parse_number, encode_number, "number")


def decode_bool(text: str) -> bool:
    """Undo :func:`encode_bool`."""
    # Anything but "true" parses as False, and then fails the re-encoding unless it is "false".
    return _strict(text, lambda t: t == "true", encode_bool, "bool")


def decode_datetime(text: str) -> datetime:
    """Undo :func:`encode_datetime`; the result is in UTC (equal, as an instant, to the input)."""
    return _strict(text, _parse_datetime, encode_datetime, "datetime")


def decode_date(text: str) -> date:
    """Undo :func:`encode_date`."""
    return _strict(text, date.fromisoformat, encode_date, "date")


def decode_bytes(text: str) -> bytes:
    """Undo :func:`encode_bytes`."""
    return _strict(text, bytes.fromhex, encode_bytes, "bytes")


def _decode_int(text: str) -> int:
    number = decode_number(text)
    # Trailing zeros are stripped by the encoding, so an integer has a non-negative exponent.
    if not isinstance(exponent := number.as_tuple().exponent, int) or exponent < 0:
        raise InvalidKeyValueError(f"{_shown(text)} is not an int key encoding")
    return int(number)


def _decode_float(text: str) -> float:
    # Exact: the encoding came from repr(x), which float() reads back to x.
    return float(decode_number(text))


_DECODERS: dict[str, Callable[[str], object]] = {
    "str": decode_str,
    "int": _decode_int,
    "decimal": decode_number,
    "float": _decode_float,
    "bool": decode_bool,
    "datetime": decode_datetime,
    "date": decode_date,
    "bytes": decode_bytes,
}


def decode(type_name: str, text: str) -> object:
    """Decode one value segment of spec type ``type_name`` (int -> int, float -> float)."""
    decoder = _DECODERS.get(type_name)
    if decoder is None:
        raise ValueError(f"unknown key type {type_name!r}; expected one of {sorted(KEY_TYPES)}")
    return decoder(text)
