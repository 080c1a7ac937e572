"""The order of a copied source's stored states (`runtime/copies.py`, the copies handler):
its incarnation, then its version. Imports nothing heavy: the compiler's sample items use it
without importing pydantic or botocore."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dynamodel.runtime.names import VERSION_ATTRIBUTE

INCARNATION_ATTRIBUTE = "_incarnation"
# The incarnation of a source written before it had one: older than every ULID.
_NO_INCARNATION = "0" * 26


def stamp_of(source: Mapping[str, Any]) -> str:
    """The order of a stored source state: incarnation, then version (fixed width)."""
    incarnation = source.get(INCARNATION_ATTRIBUTE, {}).get("S", _NO_INCARNATION)
    version = int(source.get(VERSION_ATTRIBUTE, {}).get("N", "0"))
    return f"{incarnation}.{version:020d}"


def incarnation_of(item: Mapping[str, Any]) -> str:
    """Which life of a source an item is (its stamp without the version)."""
    return stamp_of(item).split(".", 1)[0]
