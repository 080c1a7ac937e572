"""Item sizes as DynamoDB counts them, for the limits checked before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dynamodel.runtime.schema import Item

AttributeValue = dict[str, Any]

MAX_ITEM_BYTES = 400 * 1024


def item_size(item: Item) -> int:
    """Size of an item in bytes, by the rules in DynamoDB's documentation ("Item sizes and
    formats"): the sum over attributes of the UTF-8 length of the name plus the value's size.

    Values: S is its UTF-8 length; B its raw length; BOOL and NULL 1; N about 1 byte per two
    significant digits plus 1 (the documented approximation, so this may differ from what
    DynamoDB counts by a byte or so per number); a set is the sum of its elements; L and M are
    3 bytes plus, per element, 1 byte plus its size (and, in a map, its name's UTF-8 length).
    Compare with MAX_ITEM_BYTES (400 KB); key and index overhead for storage billing is not
    included.
    """
    return sum(_utf8_len(name) + _value_size(value) for name, value in item.items())


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _number_size(text: str) -> int:
    # Leading and trailing zeros are not significant; an exponent does not change the digits.
    digits = text.partition("e")[0].partition("E")[0].lstrip("+-").replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1


def _value_size(av: AttributeValue) -> int:
    tag, value = next(iter(av.items()))
    sizer = _SIZES.get(tag)
    if sizer is None:
        raise TypeError(f"unknown DynamoDB type tag {tag!r}")
    return sizer(value)


_SIZES: dict[str, Callable[[Any], int]] = {
    "S": _utf8_len,
    "N": _number_size,
    "B": len,
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
    "M": lambda value: 3 + sum(1 + _utf8_len(k) + _value_size(v) for k, v in value.items()),
    "L": lambda value: 3 + sum(1 + _value_size(v) for v in value),
    "SS": lambda value: sum(map(_utf8_len, value)),
    "NS": lambda value: sum(map(_number_size, value)),
    "BS": lambda value: sum(map(len, value)),
}
