"""Encoding of key values into DynamoDB string keys, shared by the compiler and the runtime.

A composite key is a list of segments joined by ``DELIMITER`` ("#"). Literal segments (entity
tags such as ``Ticket``) are written by the compiler as they are; value segments go through
:func:`encode`. Every character of an encoded value is >= "%" (0x25), above "#" and "$",
and the encodings are chosen so that:

* **injective** -- distinct values of one type give distinct strings, and because no encoded
  value contains a raw "#", :func:`split` recovers the segments of a joined key;
* **order-preserving** -- ``a < b`` iff ``encode(a) < encode(b)``. Python compares strings by
  code point, which is also UTF-8 byte order, which is the order DynamoDB sorts keys in;
* **tuple-order-preserving** -- when one encoded value is a proper prefix of another, the
  shorter is followed by "#" (0x23) in a joined key and the longer continues with a character
  >= "%" (0x25), so the shorter value sorts first, as in tuple order;
* **prefix-safe** -- ``begins_with(key, encode(a) + "#")`` matches only keys whose segment is
  exactly ``a``, since an encoded value never contains "#".

``RANGE_END`` ("$") is the character right after "#" and is never raw in an encoded value, so
``upper_bound(p) == p + "$"`` is >= ``p`` and every ``p + "#..."``, and < every key whose
segment at that place is greater: a BETWEEN bound that includes whole sub-ranges.
See docs/key-encoding.md for the user-level description.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from dynamodel.runtime.errors import InvalidKeyValueError

DELIMITER = "#"
ESCAPE = "%"
RANGE_END = "$"
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
KEY_TYPES = frozenset({"str", "int", "decimal", "float", "bool", "datetime", "date", "bytes"})

# Every character up to and including the escape itself is escaped, so that the remaining raw
# characters are all greater than "%" and the escape sequence "%XX" is itself ordered.
_ESCAPED = re.compile(r"[\x00-\x25]")
# 9 - d, so that a larger magnitude sorts first among negatives.
_COMPLEMENT = str.maketrans("0123456789", "9876543210")
# DynamoDB numbers: at most 38 significant digits, magnitude 1E-130 .. 9.99...E+125. Written as
# 0.d1d2... * 10^e that is e in [-129, 126]; e + 500 then always has three digits.
_MAX_DIGITS = 38
_MIN_EXPONENT = -129
_MAX_EXPONENT = 126
_EXPONENT_BIAS = 500
# Ints strictly inside +-10**38 have at most 38 digits, so they are in range as they are.
_INT_LIMIT = 10**38
_OUT_OF_RANGE = "outside DynamoDB's number range (magnitude 1E-130 .. 9.99...E+125)"


def _shown(value: object) -> str:
    shown = repr(value)  # truncated: a key value can be a whole document
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _invalid(value: object, reason: str, attribute: str | None) -> InvalidKeyValueError:
    where = f"key attribute {attribute!r}" if attribute is not None else "a key"
    return InvalidKeyValueError(
        f"{_shown(value)} cannot be used in {where}: {reason}", attribute=attribute
    )


def encode_str(value: object, *, attribute: str | None = None) -> str:
    """Escape every character <= "%" as "%XX" (uppercase hex); keep all others.

    Raw characters that remain are > "%", an escape starts with "%" and its hex digits are in
    ascending order, so the escape is monotone per character: order, injectivity and the
    absence of raw "#"/"$" all follow. Empty strings (DynamoDB rejects empty key strings, and
    they would make "a##b" ambiguous) and lone surrogates (not UTF-8) are rejected.
    """
    if not isinstance(value, str):
        raise _invalid(value, f"expected str, got {type(value).__name__}", attribute)
    if not value:
        raise _invalid(value, "empty strings cannot be keys", attribute)
    if not value.isascii() and not _utf8(value):
        raise _invalid(value, "contains a lone surrogate (not valid UTF-8)", attribute)
    # Ids and names rarely hold a character to escape: a search costs a third of a `sub`.
    if _ESCAPED.search(value) is None:
        return value
    return _ESCAPED.sub(_escaped, value)


def _escaped(match: re.Match[str]) -> str:
    return f"{ESCAPE}{ord(match.group()):02X}"


def encode_str_prefix(value: object, *, attribute: str | None = None) -> str:
    """The encoding of a prefix of a str key part (`<attr>_prefix=`), empty allowed.

    `encode_str` maps each character to a code word on its own (a raw character > "%", or
    "%XX"), and no code word is a prefix of another, so a value starts with a prefix exactly
    when its encoding starts with the prefix's; and the encoding holds no raw "#", so a
    `begins_with` on it never reaches across the end of the value into the next key part.
    """
    if value == "":
        return ""
    return encode_str(value, attribute=attribute)


def encode_number(value: int | Decimal | float, *, attribute: str | None = None) -> str:
    """Encode a number as a string that sorts in numeric order.

    Zero is "N". A positive value 0.d1...dk * 10^e (d1 != 0, no trailing zeros) is "P", the
    three-digit e + 500, then the digits: a larger exponent means a larger value, and with equal
    exponents the digit strings compare like the values (a shorter one is a prefix, hence
    smaller). Negatives mirror this with "M", 999 - (e + 500) and complemented digits, plus a
    "~" terminator so that -1.2 ("...87~") sorts after -1.23 ("...876~"). "M" < "N" < "P".
    Numbers compare by value, so 1, 1.0 and Decimal("1.00") share one encoding.
    """
    return _encode_number(value, attribute)


def _encode_number(value: object, attribute: str | None) -> str:
    if type(value) is int and -_INT_LIMIT < value < _INT_LIMIT:
        return _encode_int(value)
    number = _to_decimal(value, attribute)
    sign, digit_tuple, exponent = number.as_tuple()
    # Only the tuple is used, never arithmetic, so the decimal context's precision is irrelevant.
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    if not digits:
        return "N"
    stripped = digits.rstrip("0")
    assert isinstance(exponent, int)  # finite, checked by _to_decimal
    e = exponent + len(digits)
    if len(stripped) > _MAX_DIGITS:
        raise _invalid(value, f"more than {_MAX_DIGITS} significant digits", attribute)
    if not _MIN_EXPONENT <= e <= _MAX_EXPONENT:
        raise _invalid(value, _OUT_OF_RANGE, attribute)
    if sign == 0:
        return f"P{e + _EXPONENT_BIAS:03d}{stripped}"
    return f"M{999 - (e + _EXPONENT_BIAS):03d}{stripped.translate(_COMPLEMENT)}~"


# The sign and exponent heads of `_encode_int`, by the number of digits (1..38).
_POSITIVE_HEADS = tuple(f"P{n + _EXPONENT_BIAS:03d}" for n in range(_MAX_DIGITS + 1))
_NEGATIVE_HEADS = tuple(f"M{999 - (n + _EXPONENT_BIAS):03d}" for n in range(_MAX_DIGITS + 1))


def _encode_int(value: int) -> str:
    """`_encode_number` for an int of at most 38 digits (always in range), without a Decimal:
    its digits are its decimal text and its exponent is the text's length. Ids and positions
    are mostly small ints, and this is most of the cost of building their keys."""
    if value > 0:
        digits = str(value)
        return _POSITIVE_HEADS[len(digits)] + digits.rstrip("0")
    if value == 0:
        return "N"
    digits = str(-value)
    return _NEGATIVE_HEADS[len(digits)] + digits.rstrip("0").translate(_COMPLEMENT) + "~"


def _to_decimal(value: object, attribute: str | None) -> Decimal:
    # bool is an int subclass, but True as a number key is almost surely a spec mistake.
    if isinstance(value, bool):
        raise _invalid(value, "bool is not a number key", attribute)
    if isinstance(value, int):
        # Reject huge ints before Decimal conversion: 2**419 > 9.99E+125 already.
        if value.bit_length() > 419:
            raise _invalid(value, _OUT_OF_RANGE, attribute)
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid(value, "NaN and infinity cannot be keys", attribute)
        # repr is the shortest string that round-trips, and it is monotone in the float.
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _invalid(value, "NaN and infinity cannot be keys", attribute)
        return value
    raise _invalid(value, f"expected a number, got {type(value).__name__}", attribute)


def encode_bool(value: object, *, attribute: str | None = None) -> str:
    """Encode as "false" / "true" (False < True, and "false" < "true")."""
    if not isinstance(value, bool):
        raise _invalid(value, f"expected bool, got {type(value).__name__}", attribute)
    return "true" if value else "false"


def encode_datetime(value: object, *, attribute: str | None = None) -> str:
    """Encode an aware datetime as fixed-width UTC "YYYY-MM-DDTHH:MM:SS.ffffffZ".

    Converting to UTC makes datetimes in different time zones sort by instant; fixed width
    makes string order chronological. Naive datetimes are ambiguous and rejected.
    """
    if type(value) is datetime and value.tzinfo is UTC:  # most of them: nothing to convert
        last = _last_utc
        if last[0] is value:
            return last[1]
        return _utc_text(value)
    if not isinstance(value, datetime):
        raise _invalid(value, f"expected datetime, got {type(value).__name__}", attribute)
    offset = value.utcoffset()
    if offset is None:
        raise _invalid(value, "naive datetime; give it a time zone", attribute)
    if offset:
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            raise _invalid(
                value, "outside years 1..9999 once converted to UTC", attribute
            ) from None
    return _utc_text(value)


def _utc_text(value: datetime) -> str:
    global _last_utc
    # isoformat zero-pads the year to four digits and writes six fraction digits unless there
    # are no microseconds (then none); the offset ("+00:00") follows. Without arguments it is
    # twice as fast as with a timespec.
    text = value.isoformat()
    text = text[:26] + "Z" if value.microsecond else text[:19] + ".000000Z"
    _last_utc = (value, text)
    return text


# The last UTC datetime encoded, and its text: an item's encoder writes a datetime attribute
# and then the keys built from it, the same object (so `is` tells, and the reference held
# here keeps its identity from being reused). One tuple, swapped whole: safe across threads.
_last_utc: tuple[datetime | None, str] = (None, "")


def encode_date(value: object, *, attribute: str | None = None) -> str:
    """Encode a date as "YYYY-MM-DD". A datetime is refused: it would silently lose its time."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _invalid(value, f"expected date, got {type(value).__name__}", attribute)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def encode_bytes(value: object, *, attribute: str | None = None) -> str:
    """Encode as uppercase hex; "0-9A-F" is ascending, so byte order is kept."""
    if not isinstance(value, bytes | bytearray):
        raise _invalid(value, f"expected bytes, got {type(value).__name__}", attribute)
    if not value:
        raise _invalid(value, "empty bytes cannot be keys", attribute)
    return bytes(value).hex().upper()


def _typed_number(accepted: tuple[type, ...], name: str) -> Callable[..., str]:
    # The spec type says which Python types are expected; an int is accepted for decimal and
    # float because it converts exactly and encodes exactly like the equal Decimal or float.
    def encoder(value: object, *, attribute: str | None = None) -> str:
        if isinstance(value, bool) or not isinstance(value, accepted):
            raise _invalid(value, f"expected {name}, got {type(value).__name__}", attribute)
        return _encode_number(value, attribute)

    return encoder


_ENCODERS: dict[str, Callable[..., str]] = {
    "str": encode_str,
    "int": _typed_number((int,), "int"),
    "decimal": _typed_number((Decimal, int), "Decimal"),
    "float": _typed_number((float, int), "float"),
    "bool": encode_bool,
    "datetime": encode_datetime,
    "date": encode_date,
    "bytes": encode_bytes,
}


# The number encoders of generated code, one per spec type: a float or Decimal given for an
# int id would address another item (or none) instead of being refused.
_checked_int = _ENCODERS["int"]


def encode_int(value: object, *, attribute: str | None = None) -> str:
    """The int key encoder: a plain int of at most 38 digits (nearly every id, position or
    count) straight to `_encode_int`; anything else through the checks of the other types."""
    if type(value) is int and 0 < value < _INT_LIMIT:  # `_encode_int`, without its call
        digits = str(value)
        return _POSITIVE_HEADS[len(digits)] + digits.rstrip("0")
    if type(value) is int and -_INT_LIMIT < value < _INT_LIMIT:
        return _encode_int(value)
    return _checked_int(value, attribute=attribute)


_ENCODERS["int"] = encode_int
encode_decimal = _ENCODERS["decimal"]
encode_float = _ENCODERS["float"]


def encode(type_name: str, value: object, *, attribute: str | None = None) -> str:
    """Encode ``value`` of spec type ``type_name`` as a key segment.

    Raises InvalidKeyValueError (naming the attribute, the value and the reason) for a bad
    value, including one of the wrong Python type; ValueError for an unknown type name.
    """
    encoder = _ENCODERS.get(type_name)
    if encoder is None:
        raise ValueError(f"unknown key type {type_name!r}; expected one of {sorted(KEY_TYPES)}")
    return encoder(value, attribute=attribute)


def join(*segments: str) -> str:
    """Join encoded values and literal segments with "#"."""
    return DELIMITER.join(segments)


def split(key: str) -> list[str]:
    """Split a key on "#"; exact because encoded values never contain a raw "#".

    A head-item marker literal such as "#Workspace" splits into "" and "Workspace".
    """
    return key.split(DELIMITER)


def upper_bound(prefix: str) -> str:
    """Return ``prefix + "$"``: >= prefix and every ``prefix + "#..."``, and < every key
    whose next segment is greater, since no encoded value contains a raw "$"."""
    return prefix + RANGE_END


def is_literal_safe(text: str) -> bool:
    """Whether ``text`` can be a literal segment without breaking the key invariants.

    Every character must be > "%" (so no "#", "$", "%", space or control character), except
    that the first may be "#" or "~", as in head-item markers like "#Workspace" ("#" sorts
    before every encoded value, and no encoded value starts with it).
    """
    # "~" is > "%" anyway; only a leading "#" needs the exception, and it must mark something.
    body = text[1:] if text.startswith(DELIMITER) else text
    return bool(body) and all(c > ESCAPE for c in body) and _utf8(body)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_key_size(key: str, *, limit: int, attribute: str) -> str:
    """Return ``key`` if it is non-empty and at most ``limit`` UTF-8 bytes; raise otherwise.

    Use MAX_PARTITION_KEY_BYTES (2048) or MAX_SORT_KEY_BYTES (1024) as the limit.
    """
    if key.isascii():
        size = len(key)
    elif _utf8(key):
        size = len(key.encode("utf-8"))
    else:
        raise _invalid(key, "contains a lone surrogate (not valid UTF-8)", attribute)
    if size == 0:
        raise _invalid(key, "DynamoDB key values cannot be empty", attribute)
    if size > limit:
        raise InvalidKeyValueError(
            f"key attribute {attribute!r} is {size} bytes in UTF-8, over the limit of "
            f"{limit} bytes: {_shown(key)}",
            attribute=attribute,
        )
    return key


def shard_of(identity_key: str, *, shards: int) -> int:
    """Return the write shard (0 .. shards - 1) of an item, stable across processes.

    Python's hash() is salted per process, so a fixed BLAKE2b digest is used instead.
    """
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    if not _utf8(identity_key):
        raise _invalid(identity_key, "contains a lone surrogate (not valid UTF-8)", None)
    digest = hashlib.blake2b(identity_key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards
