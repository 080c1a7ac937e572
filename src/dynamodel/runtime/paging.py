"""Pages of query results and the signed, opaque cursors that resume them.

A cursor is ``base64url(payload).base64url(hmac_sha256(key, payload))`` without padding, where
the payload is compact JSON ``{"v": version, "p": pattern, "a": digest of the arguments,
"s": state}``. The signature makes the cursor tamper-proof and binds it to one access pattern
and one set of arguments, so a client cannot resume a query with a key it chose, nor replay
a cursor against another query. Cursors are signed, **not encrypted**: the client can read the
state (the last evaluated key), which must therefore hold nothing secret.
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
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from dynamodel.runtime.errors import InvalidCursorError

T = TypeVar("T")

CURSOR_KEY_ENV = "DYNAMODEL_CURSOR_KEY"
CURSOR_VERSION = 1
MAX_CURSOR_LENGTH = 8192

_LOG = logging.getLogger(__name__)
_SIGNATURE_BYTES = hashlib.sha256().digest_size
# Only the unpadded URL-safe alphabet: urlsafe_b64decode silently drops other characters, so
# without this check a cursor with inserted junk would still verify.
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_PAYLOAD_FIELDS = frozenset({"v", "p", "a", "s"})


class Page(BaseModel, Generic[T]):
    """One page of results.

    ``cursor`` is opaque: pass it back unchanged to get the next page. It is None on the last
    page (and only there, though a page before it may be empty).
    """

    model_config = ConfigDict(frozen=True)

    items: list[T]
    cursor: str | None = None


@functools.cache
def _process_key() -> bytes:
    # One key per process, shared by every signer, so that two repositories in one process
    # accept each other's cursors. The warning is logged once, when the key is made.
    _LOG.warning(
        "%s is not set: page cursors are signed with a random per-process key and will be "
        "rejected by any other process (another Lambda instance, a restart). Set %s or pass "
        "keys= to CursorSigner.",
        CURSOR_KEY_ENV,
        CURSOR_KEY_ENV,
    )
    return secrets.token_bytes(32)


def _as_key(key: str | bytes) -> bytes:
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if not raw:
        raise ValueError("a cursor key must not be empty")
    return raw


class CursorSigner:
    """Signs and verifies page cursors.

    ``keys``: the first key signs, every key verifies, so a key is rotated by putting the new
    key first and dropping the old one once its cursors have expired from use. A str key is
    used as its UTF-8 bytes; use at least 32 random bytes (``secrets.token_urlsafe(32)``).

    When ``keys`` is None they are read from the environment variable ``DYNAMODEL_CURSOR_KEY``
    (comma-separated, first signs). **When that is unset too, a random key is generated for
    this process only: its cursors are rejected by every other process, so a Lambda (whose
    instances come and go) must set the variable or pass a key**; a warning is logged then.
    """

    def __init__(self, keys: Sequence[str | bytes] | str | bytes | None = None) -> None:
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
            "p": pattern,
            "a": arguments_digest(arguments),
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
        by an unknown key, or made for another pattern or other arguments.
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
    if not _BASE64URL.fullmatch(text):
        raise InvalidCursorError("cursor is malformed")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCursorError("cursor is malformed") from None
    # Unused trailing bits make several strings decode to the same bytes; only the canonical
    # one is accepted, so that every altered character of a cursor is detected.
    if _b64encode(data) != text:
        raise InvalidCursorError("cursor is malformed")
    return data
