"""Pages of query results and the signed, opaque cursors that resume them.

A cursor is ``base64url(payload).base64url(hmac_sha256(key, payload))`` without padding, where
the payload is compact JSON ``{"v": version, "t": table name, "p": pattern, "a": digest of the
arguments, "i": issue time (Unix seconds), "s": state}``. The signature makes the cursor
tamper-proof and binds it to one table, one access pattern and one set of arguments, so a
client cannot resume a query with a key it chose, nor replay a cursor against another query or
another table (a production cursor on staging, when both share a key). With a maximum age,
cursors older than it are refused. Cursors are signed, **not encrypted**: the client can read
the state (the last evaluated key), which must therefore hold nothing secret.

Keys shorter than 32 bytes are refused: an HMAC key is only as strong as its guessability, and
a short one is recovered offline from a single cursor.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from time import time as unix_time
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from dynamodel.runtime.errors import InvalidCursorError

T = TypeVar("T")

CURSOR_KEY_ENV = "DYNAMODEL_CURSOR_KEY"
# 2: the table name and the issue time are signed too (version 1 cursors are refused).
CURSOR_VERSION = 2
MAX_CURSOR_LENGTH = 8192
MIN_KEY_BYTES = 32
KEY_ADVICE = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'

_LOG = logging.getLogger(__name__)
_SIGNATURE_BYTES = hashlib.sha256().digest_size
_PAYLOAD_FIELDS = frozenset({"v", "t", "p", "a", "i", "s"})


class Page(BaseModel, Generic[T]):
    """One page of results.

    ``cursor`` is opaque: pass it back unchanged to get the next page. It is None on the last
    page (and only there, though a page before it may be empty).
    """

    # Built without validation by the runtime (`marshal.construct`): its validator and
    # serializer are made on first use (a `Page[M]` validated, a page dumped), not at import.
    model_config = ConfigDict(frozen=True, defer_build=True)

    items: list[T]
    cursor: str | None = None


@functools.cache
def _process_key() -> bytes:
    # One key per process, shared by every signer, so that two repositories in one process
    # accept each other's cursors. The warning is logged once, when the key is made.
    _LOG.warning(
        "%s is not set: page cursors are signed with a random per-process key and will be "
        "rejected by any other process (another Lambda instance, a restart). Set %s, or "
        "pass cursor_key= to the generated repository (<Table>Repository(cursor_key=...)); %s.",
        CURSOR_KEY_ENV,
        CURSOR_KEY_ENV,
        KEY_ADVICE,
    )
    return secrets.token_bytes(32)


def _as_key(key: str | bytes) -> bytes:
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if len(raw) < MIN_KEY_BYTES:
        # The length only, never the key: this message may end up in a log.
        raise ValueError(
            f"a cursor key must be at least {MIN_KEY_BYTES} bytes, got {len(raw)}; {KEY_ADVICE}"
        )
    return raw


class CursorSigner:
    """Signs and verifies page cursors.

    ``keys``: the first key signs, every key verifies, so a key is rotated by putting the new
    key first and dropping the old one once its cursors have expired from use. A str key is
    used as its UTF-8 bytes; each must be at least 32 bytes (ValueError otherwise): use
    ``secrets.token_urlsafe(32)``.

    ``table``: the table name signed into every cursor; a cursor of another table is refused.
    ``max_age``: when set, cursors issued longer ago than this are refused (None: no limit).
    ``clock``: the current Unix time in seconds (injectable for tests).

    When ``keys`` is None they are read from the environment variable ``DYNAMODEL_CURSOR_KEY``
    (comma-separated, first signs). **When that is unset too, a random key is generated for
    this process only: its cursors are rejected by every other process, so a Lambda (whose
    instances come and go) must set the variable or pass a key**; a warning is logged then.
    """

    def __init__(
        self,
        keys: Sequence[str | bytes] | str | bytes | None = None,
        *,
        table: str = "",
        max_age: timedelta | None = None,
        clock: Callable[[], float] = unix_time,
    ) -> None:
        if max_age is not None and max_age <= timedelta(0):
            raise ValueError(f"a cursor max_age must be positive, got {max_age}")
        self._table = table
        self._max_age = None if max_age is None else max_age.total_seconds()
        self._clock = clock
        self._ephemeral = False
        if keys is None:
            configured = os.environ.get(CURSOR_KEY_ENV)
            if configured is None:
                self._keys: tuple[bytes, ...] = (_process_key(),)
                self._ephemeral = True
                return
            keys = [key.strip() for key in configured.split(",") if key.strip()]
            if not keys:
                # Set but blank is a deployment mistake; a silent per-process key would only
                # show up later as cursors that fail on other Lambda instances.
                raise ValueError(f"{CURSOR_KEY_ENV} is set but holds no key")
        if isinstance(keys, str | bytes):
            keys = [keys]
        self._keys = tuple(_as_key(key) for key in keys)
        if not self._keys:
            raise ValueError("CursorSigner needs at least one key")

    @property
    def is_ephemeral(self) -> bool:
        """True when signing with the random per-process key (cursors die with the process)."""
        return self._ephemeral

    def encode(self, *, pattern: str, arguments: Mapping[str, object], state: object) -> str:
        """Return a cursor that resumes ``pattern`` called with ``arguments`` from ``state``.

        ``state`` must be JSON data (dicts with str keys, lists, str, int, finite float, bool,
        None), e.g. a LastEvaluatedKey in AttributeValue form ``{"PK": {"S": "..."}}``; binary
        or Decimal values must be converted by the caller. Raises TypeError or ValueError
        when it is not, and ValueError when the cursor would exceed ``MAX_CURSOR_LENGTH``.
        """
        payload = {
            "v": CURSOR_VERSION,
            "t": self._table,
            "p": pattern,
            "a": arguments_digest(arguments),
            "i": int(self._clock()),
            "s": state,
        }
        payload_bytes = _encode_payload(payload).encode("utf-8")
        signature = hmac.new(self._keys[0], payload_bytes, hashlib.sha256).digest()
        cursor = f"{_b64encode(payload_bytes)}.{_b64encode(signature)}"
        if len(cursor) > MAX_CURSOR_LENGTH:
            # Fail here rather than hand out a cursor that decode would refuse.
            raise ValueError(
                f"cursor of {len(cursor)} characters exceeds {MAX_CURSOR_LENGTH}: "
                "the resume state is too large"
            )
        return cursor

    def decode(self, cursor: str, *, pattern: str, arguments: Mapping[str, object]) -> object:
        """Return the state of a cursor made by :meth:`encode` for this pattern and arguments.

        Raises InvalidCursorError when the cursor is malformed, forged, tampered with, signed
        by an unknown key, made for another table, pattern or other arguments, or older than
        the maximum age.
        """
        if not isinstance(cursor, str):
            raise InvalidCursorError("cursor must be a string")
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise InvalidCursorError("cursor is too long")
        parts = cursor.split(".")
        if len(parts) != 2:
            raise InvalidCursorError("cursor is malformed")
        payload_bytes = _b64decode(parts[0])
        signature = _b64decode(parts[1])
        if len(signature) != _SIGNATURE_BYTES or not self._verifies(payload_bytes, signature):
            raise InvalidCursorError("cursor signature is invalid")
        # From here on the payload is known to be one this service signed.
        try:
            payload = json.loads(payload_bytes.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise InvalidCursorError("cursor payload is malformed") from None
        if not isinstance(payload, dict) or payload.keys() != _PAYLOAD_FIELDS:
            raise InvalidCursorError("cursor payload is malformed")
        if payload["v"] != CURSOR_VERSION:
            raise InvalidCursorError("cursor version is not supported")
        if payload["t"] != self._table:
            raise InvalidCursorError("cursor belongs to another table")
        if self._max_age is not None and self._clock() - payload["i"] > self._max_age:
            raise InvalidCursorError("cursor has expired")
        if payload["p"] != pattern:
            raise InvalidCursorError("cursor belongs to another query")
        if payload["a"] != arguments_digest(arguments):
            raise InvalidCursorError("cursor belongs to other query arguments")
        return payload["s"]

    def _verifies(self, payload: bytes, signature: bytes) -> bool:
        # Every key is tried (no early exit), so timing does not reveal which key matched.
        matched = False
        for key in self._keys:
            expected = hmac.new(key, payload, hashlib.sha256).digest()
            matched |= hmac.compare_digest(expected, signature)
        return matched


def arguments_digest(arguments: Mapping[str, object]) -> str:
    """SHA-256 (base64url) of the canonical JSON of a query's arguments.

    Canonical: sorted keys, no whitespace, datetimes/dates/times as ISO 8601, Decimal as str,
    bytes as base64, sets as sorted lists, tuples as lists. Raises TypeError on other types.
    """
    canonical = _encode_arguments(dict(arguments)).encode("utf-8")
    return _b64encode(hashlib.sha256(canonical).digest())


def _canonical(value: object) -> object:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, set | frozenset):
        # Elements may be of mixed types, so they are ordered by their own canonical form.
        encoded = [json.dumps(item, sort_keys=True, default=_canonical) for item in value]
        return [json.loads(item) for item in sorted(encoded)]
    raise TypeError(f"query argument of type {type(value).__name__} cannot be canonicalized")


# Encoders built once (json.dumps with options builds a new one per call).
_encode_payload = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_encode_arguments = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), default=_canonical
).encode


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCursorError("cursor is malformed") from None
    # urlsafe_b64decode silently drops characters outside its alphabet (and reads "+" and "/"
    # too), and unused trailing bits make several strings decode to the same bytes. Only the
    # canonical unpadded base64url text of the bytes is accepted, which rules out all of that,
    # so that every altered character of a cursor is detected.
    if _b64encode(data) != text:
        raise InvalidCursorError("cursor is malformed")
    return data
