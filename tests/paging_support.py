"""Shared by the tests of signed page cursors (tests/test_paging_cursors.py,
tests/test_paging_keys.py, tests/test_paging_mutants.py): keys, a pattern, its arguments and
a resume state; `_signed` (a cursor only a key holder can make), `_rejected` (the error of a
refused cursor), and the `signer` fixture (the tests import it
by name)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import pytest

from dynamodel.runtime import paging
from dynamodel.runtime.errors import InvalidCursorError
from dynamodel.runtime.paging import CursorSigner

KEY = b"k" * 32
OTHER_KEY = b"another key, also 32 bytes long!"
OLD_KEY, NEW_KEY = "old-secret-key-" + "o" * 17, "new-secret-key-" + "n" * 17
PATTERN = "ticketsByCustomer"
ARGS: dict[str, object] = {"customer_id": "c-1", "since": datetime(2024, 5, 1, tzinfo=UTC)}
STATE = {"PK": {"S": "Customer#c-1"}, "SK": {"S": "Ticket#2024-05-02#t-9"}}
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _signed(payload: bytes, key: bytes = KEY) -> str:
    """A cursor with a valid signature over an arbitrary payload, as only a key holder can make."""
    signature = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{paging._b64encode(payload)}.{paging._b64encode(signature)}"


def _rejected(signer: CursorSigner, cursor: Any, **binding: Any) -> InvalidCursorError:
    binding = {"pattern": PATTERN, "arguments": ARGS, **binding}
    with pytest.raises(InvalidCursorError) as caught:
        signer.decode(cursor, **binding)
    return caught.value


@pytest.fixture
def signer() -> CursorSigner:
    return CursorSigner(KEY)
