"""Signed page cursors (dynamodel.runtime.paging): what mutation testing found untested —
blobs and sets in the arguments, non-canonical base64url, the 8,192-character limit, a
rotating signer's own cursors, and each refusal's exact reason."""

from __future__ import annotations

import base64
import json
from datetime import date
from decimal import Decimal

import pytest

from dynamodel.runtime import paging
from dynamodel.runtime.paging import CursorSigner, arguments_digest
from tests.paging_support import (
    ARGS,
    BASE64URL,
    NEW_KEY,
    OLD_KEY,
    PATTERN,
    STATE,
    _rejected,
    _signed,
    signer,
)

__all__ = ["signer"]  # fixtures, used by name

# -- what mutation testing found untested ----------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (b"\x00", b"\x01"),
        (b"", b"\x00"),
        (bytearray(b"ab"), b"ac"),
        ({"a"}, {"b"}),
        (frozenset({1, 2}), frozenset({1, 3})),
        ({1}, {"1"}),
    ],
)
def test_a_cursor_for_one_blob_or_set_is_refused_for_another(
    signer: CursorSigner, one: object, other: object
) -> None:
    assert arguments_digest({"x": one}) != arguments_digest({"x": other})
    cursor = signer.encode(pattern=PATTERN, arguments={"x": one}, state=STATE)
    assert signer.decode(cursor, pattern=PATTERN, arguments={"x": one}) == STATE
    assert "arguments" in _rejected(signer, cursor, arguments={"x": other}).reason


def test_a_non_canonical_encoding_of_the_same_bytes_is_refused(signer: CursorSigner) -> None:
    # A 32-byte signature is 43 base64url characters; the last carries 4 bits and 2 unused
    # ones, so flipping its lowest bit gives another string that decodes to the same bytes.
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    payload, signature = cursor.split(".")
    last = BASE64URL.index(signature[-1])
    twin = signature[:-1] + BASE64URL[last ^ 1]
    assert paging._b64decode(signature) == base64.urlsafe_b64decode(twin + "=")
    assert _rejected(signer, f"{payload}.{twin}").reason == "cursor is malformed"


@pytest.mark.parametrize("junk", ["!", "+", "/", "=", " ", "\n", "é"])
def test_characters_outside_unpadded_base64url_are_refused(signer: CursorSigner, junk: str) -> None:
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    payload, signature = cursor.split(".")
    for tampered in (
        f"{payload[:5]}{junk}{payload[5:]}.{signature}",
        f"{payload}.{signature}{junk}",
    ):
        assert _rejected(signer, tampered).reason == "cursor is malformed"


def _cursor_of_length(signer: CursorSigner, length: int) -> str | None:
    for size in range(length):
        try:
            cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state="x" * size)
        except ValueError:
            return None
        if len(cursor) >= length:
            return cursor if len(cursor) == length else None
    return None


def test_a_cursor_of_exactly_8192_characters_is_accepted(signer: CursorSigner) -> None:
    cursor = _cursor_of_length(signer, 8192)  # DynamoDB's limit, pinned here as a literal
    assert cursor is not None and len(cursor) == 8192
    state = signer.decode(cursor, pattern=PATTERN, arguments=ARGS)
    assert isinstance(state, str) and set(state) == {"x"}
    # One state character more makes the cursor longer than 8,192: encode refuses it, and a
    # validly signed cursor of that length is refused before its signature is checked.
    payload = json.loads(paging._b64decode(cursor.split(".")[0]))
    longer = json.dumps({**payload, "s": state + "x"}, separators=(",", ":")).encode()
    assert len(_signed(longer)) > 8192
    assert _rejected(signer, _signed(longer)).reason == "cursor is too long"
    with pytest.raises(ValueError, match="exceeds 8192"):
        signer.encode(pattern=PATTERN, arguments=ARGS, state=state + "xx")


def test_a_rotating_signer_reads_its_own_new_cursors() -> None:
    # The new key signs and comes first: a later key that does not match must not undo the match.
    rotating = CursorSigner([NEW_KEY, OLD_KEY])
    cursor = rotating.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert rotating.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE


def test_sets_of_bytes_decimals_and_dates_are_canonicalized_element_by_element() -> None:
    blobs = arguments_digest({"s": frozenset({b"\x00", b"\xff"})})
    assert blobs != arguments_digest({"s": frozenset({b"\x00", b"\xfe"})})
    numbers = arguments_digest({"s": {Decimal("1.5"), Decimal("2")}})
    assert numbers != arguments_digest({"s": {Decimal("1.5"), Decimal("3")}})
    assert arguments_digest({"s": {date(2026, 1, 1)}}) != arguments_digest(
        {"s": {date(2026, 1, 2)}}
    )


def test_an_uncanonicalizable_argument_names_its_type() -> None:
    with pytest.raises(TypeError, match=r"^query argument of type object cannot be canonicalized$"):
        arguments_digest({"x": object()})


def test_an_oversize_cursor_says_the_resume_state_is_too_large(signer: CursorSigner) -> None:
    with pytest.raises(ValueError, match=r"the resume state is too large$"):
        signer.encode(pattern=PATTERN, arguments=ARGS, state="x" * 8192)


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_cursor_parts_are_unpadded_base64url_whatever_their_last_character(size: int) -> None:
    # The oracle is the standard library's own base64url with its "=" padding removed; the last
    # byte runs through all 256 values so that every last character (e.g. "X") appears.
    for last in range(256):
        data = bytes(size - 1) + bytes([last])
        expected = base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
        assert paging._b64encode(data) == expected
        assert paging._b64decode(expected) == data


def test_each_refusal_gives_its_exact_reason(signer: CursorSigner) -> None:
    bound = {"v": 2, "t": "", "p": PATTERN, "a": arguments_digest(ARGS), "i": 0, "s": 1}
    cases = (
        ("no-dot-here", "cursor is malformed"),
        (_signed(b"\xff\xfe"), "cursor payload is malformed"),
        (_signed(b"[1,2]"), "cursor payload is malformed"),
        (_signed(json.dumps({**bound, "v": 3}).encode()), "cursor version is not supported"),
        (_signed(json.dumps({**bound, "p": "other"}).encode()), "cursor belongs to another query"),
        (
            _signed(json.dumps({**bound, "a": "other"}).encode()),
            "cursor belongs to other query arguments",
        ),
    )
    for cursor, reason in cases:
        assert _rejected(signer, cursor).reason == reason
