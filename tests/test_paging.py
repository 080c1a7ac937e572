"""Signed page cursors (dynamodel.runtime.paging): round trips, binding to the pattern and its
arguments, tamper detection, key rotation and the environment key; the generic Page model."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dynamodel.runtime import paging
from dynamodel.runtime.errors import DynamodelError, InvalidCursorError
from dynamodel.runtime.paging import (
    CURSOR_KEY_ENV,
    MAX_CURSOR_LENGTH,
    CursorSigner,
    Page,
    arguments_digest,
)

KEY = b"k" * 32
OTHER_KEY = b"another key, also 32 bytes long!"
OLD_KEY, NEW_KEY = "old-secret-key-" + "o" * 17, "new-secret-key-" + "n" * 17
PATTERN = "ticketsByCustomer"
ARGS: dict[str, object] = {"customer_id": "c-1", "since": datetime(2024, 5, 1, tzinfo=UTC)}
STATE = {"PK": {"S": "Customer#c-1"}, "SK": {"S": "Ticket#2024-05-02#t-9"}}
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
argument_values = st.one_of(
    st.text(max_size=20),
    st.integers(),
    st.booleans(),
    st.none(),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.binary(max_size=16),
    st.frozensets(st.integers(), max_size=4),
)
arguments = st.dictionaries(st.text(min_size=1, max_size=10), argument_values, max_size=5)


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


# -- round trips -----------------------------------------------------------------------------


def test_round_trip_of_a_last_evaluated_key(signer: CursorSigner) -> None:
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert signer.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE
    assert "=" not in cursor and cursor.count(".") == 1


def test_round_trip_of_a_sharded_state(signer: CursorSigner) -> None:
    state = [None, {"PK": {"S": "T#1"}, "SK": {"S": "x"}}, None, {"PK": {"S": "T#3"}}]
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=state)
    assert signer.decode(cursor, pattern=PATTERN, arguments=ARGS) == state


@settings(max_examples=150)
@given(state=json_values, args=arguments, pattern=st.text(max_size=30))
def test_round_trip_any_state_arguments_and_pattern(
    state: object, args: dict[str, object], pattern: str
) -> None:
    signer = CursorSigner(KEY)
    cursor = signer.encode(pattern=pattern, arguments=args, state=state)
    assert cursor.isascii()
    assert signer.decode(cursor, pattern=pattern, arguments=args) == state


def test_unicode_pattern_arguments_and_state(signer: CursorSigner) -> None:
    args = {"name": "Zoë 🚀", "城市": "東京", "when": date(2024, 2, 29)}
    state = {"PK": {"S": "Kunde#Zoë 🚀"}, "note": "\u0000\uffff"}
    cursor = signer.encode(pattern="suche_nach_Straße", arguments=args, state=state)
    assert signer.decode(cursor, pattern="suche_nach_Straße", arguments=args) == state


def test_argument_order_and_set_order_do_not_matter(signer: CursorSigner) -> None:
    cursor = signer.encode(pattern=PATTERN, arguments={"a": 1, "tags": {"x", "y", "z"}}, state=1)
    same = {"tags": frozenset({"z", "y", "x"}), "a": 1}
    assert signer.decode(cursor, pattern=PATTERN, arguments=same) == 1


def test_canonical_arguments_cover_the_documented_types() -> None:
    args = {
        "at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "on": date(2024, 1, 2),
        "amount": Decimal("12.50"),
        "blob": b"\x00\xff",
        "mixed": {1, "1", None},
        "pair": (1, 2),
    }
    assert arguments_digest(args) == arguments_digest(dict(reversed(list(args.items()))))
    assert arguments_digest(args) != arguments_digest({**args, "amount": Decimal("12.5")})
    with pytest.raises(TypeError):
        arguments_digest({"x": object()})


def test_state_must_be_json(signer: CursorSigner) -> None:
    with pytest.raises(TypeError):
        signer.encode(pattern=PATTERN, arguments=ARGS, state={"PK": {"B": b"\x01"}})
    with pytest.raises(ValueError):
        signer.encode(pattern=PATTERN, arguments=ARGS, state=float("nan"))


def test_encode_refuses_a_cursor_decode_would_reject(signer: CursorSigner) -> None:
    with pytest.raises(ValueError, match="exceeds"):
        signer.encode(pattern=PATTERN, arguments=ARGS, state="x" * MAX_CURSOR_LENGTH)


# -- rejections ------------------------------------------------------------------------------


@settings(max_examples=200)
@given(data=st.data())
def test_any_changed_character_is_rejected(data: st.DataObject) -> None:
    signer = CursorSigner(KEY)
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    position = data.draw(st.integers(0, len(cursor) - 1), label="position")
    replacement = data.draw(
        st.sampled_from(BASE64URL + ".=+/ é").filter(lambda c: c != cursor[position]),
        label="replacement",
    )
    tampered = cursor[:position] + replacement + cursor[position + 1 :]
    _rejected(signer, tampered)


@settings(max_examples=100)
@given(data=st.data())
def test_any_flipped_bit_of_the_decoded_parts_is_rejected(data: st.DataObject) -> None:
    signer = CursorSigner(KEY)
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    parts = [
        bytearray(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in cursor.split(".")
    ]
    which = data.draw(st.integers(0, 1), label="part")
    position = data.draw(st.integers(0, len(parts[which]) - 1), label="byte")
    parts[which][position] ^= 1 << data.draw(st.integers(0, 7), label="bit")
    _rejected(signer, ".".join(paging._b64encode(bytes(p)) for p in parts))


def test_every_truncation_is_rejected(signer: CursorSigner) -> None:
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    for length in range(len(cursor)):
        _rejected(signer, cursor[:length])
    _rejected(signer, cursor[1:])


def test_extra_characters_are_rejected(signer: CursorSigner) -> None:
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    for tampered in (cursor + "A", cursor + "=", cursor + ".", "A" + cursor, cursor + "\n"):
        _rejected(signer, tampered)


def test_modified_payload_with_the_old_signature_is_rejected(signer: CursorSigner) -> None:
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    encoded_payload, signature = cursor.split(".")
    payload = json.loads(
        base64.urlsafe_b64decode(encoded_payload + "=" * (-len(encoded_payload) % 4))
    )
    for field, value in (
        ("s", {"PK": {"S": "Customer#someone-else"}}),
        ("p", "allTickets"),
        ("a", arguments_digest({"customer_id": "c-2"})),
        ("v", 1),
        ("t", "Tracker-staging"),
        ("i", 0),
    ):
        forged = json.dumps({**payload, field: value}, separators=(",", ":")).encode()
        error = _rejected(signer, f"{paging._b64encode(forged)}.{signature}")
        assert error.reason == "cursor signature is invalid"


def test_cursor_of_another_pattern_is_rejected(signer: CursorSigner) -> None:
    cursor = signer.encode(pattern="openTickets", arguments=ARGS, state=STATE)
    assert "another query" in _rejected(signer, cursor).reason


@pytest.mark.parametrize(
    "other",
    [
        {"customer_id": "c-2", "since": datetime(2024, 5, 1, tzinfo=UTC)},
        {"customer_id": "c-1", "since": datetime(2024, 5, 1, tzinfo=timezone(timedelta(hours=2)))},
        {"customer_id": "c-1"},
        {"customer_id": "c-1", "since": datetime(2024, 5, 1, tzinfo=UTC), "limit": 10},
    ],
)
def test_cursor_of_other_arguments_is_rejected(
    signer: CursorSigner, other: dict[str, object]
) -> None:
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert "arguments" in _rejected(signer, cursor, arguments=other).reason


def test_cursor_signed_with_another_key_is_rejected() -> None:
    cursor = CursorSigner(OTHER_KEY).encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert _rejected(CursorSigner(KEY), cursor).reason == "cursor signature is invalid"


def test_key_rotation() -> None:
    old, new = OLD_KEY, NEW_KEY
    old_cursor = CursorSigner(old).encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    rotating = CursorSigner([new, old])
    assert rotating.decode(old_cursor, pattern=PATTERN, arguments=ARGS) == STATE
    new_cursor = rotating.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert CursorSigner(new).decode(new_cursor, pattern=PATTERN, arguments=ARGS) == STATE
    _rejected(CursorSigner(old), new_cursor)  # the first key signs
    _rejected(CursorSigner([new]), old_cursor)  # the old key removed: its cursors die


def test_str_and_bytes_keys_are_the_same_key() -> None:
    cursor = CursorSigner("clé" * 11).encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    signer = CursorSigner([("clé" * 11).encode()])
    assert signer.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "..", "a.b", "a.b.c", "not a cursor", "====.====", "e30.e30", "\x00" * 10, "é.é"],
)
def test_garbage_is_rejected(signer: CursorSigner, garbage: str) -> None:
    _rejected(signer, garbage)


@pytest.mark.parametrize("value", [None, 42, b"abc.def", ["a.b"], {"cursor": "a.b"}])
def test_non_str_is_rejected(signer: CursorSigner, value: object) -> None:
    assert _rejected(signer, value).reason == "cursor must be a string"


def test_oversize_input_is_rejected_before_parsing(signer: CursorSigner) -> None:
    assert _rejected(signer, "A" * (MAX_CURSOR_LENGTH + 1)).reason == "cursor is too long"
    valid = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    _rejected(signer, valid + "A" * MAX_CURSOR_LENGTH)


def test_wrong_shape_or_version_with_a_valid_signature_is_rejected(signer: CursorSigner) -> None:
    digest = arguments_digest(ARGS)
    bound = {"v": 2, "t": "", "p": PATTERN, "a": digest, "i": 0}
    for payload, reason in (
        (b"not json", "cursor payload is malformed"),
        (b"\xff\xfe", "cursor payload is malformed"),
        (b"[1,2]", "cursor payload is malformed"),
        (json.dumps({"v": 2, "p": PATTERN, "a": digest}).encode(), "cursor payload is malformed"),
        # Version 1 (no table, no issue time): signed with the right key, still refused.
        (json.dumps({"v": 1, "p": PATTERN, "a": digest, "s": 1}).encode(), "malformed"),
        (json.dumps({**bound, "v": 1, "s": 1}).encode(), "version"),
        (json.dumps({**bound, "v": 3, "s": 1}).encode(), "version"),
    ):
        assert reason in _rejected(signer, _signed(payload)).reason
    good = json.dumps({**bound, "s": [1]}).encode()
    assert signer.decode(_signed(good), pattern=PATTERN, arguments=ARGS) == [1]


def test_error_is_a_value_error_and_never_shows_the_key(signer: CursorSigner) -> None:
    error = _rejected(
        signer, CursorSigner(OTHER_KEY).encode(pattern=PATTERN, arguments={}, state=1)
    )
    assert isinstance(error, ValueError) and isinstance(error, DynamodelError)
    assert "k" * 8 not in str(error) and len(str(error)) < 80


# -- keys from the environment ---------------------------------------------------------------


def test_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CURSOR_KEY_ENV, f"{NEW_KEY}, {OLD_KEY}")
    signer = CursorSigner()
    assert not signer.is_ephemeral
    previous = CursorSigner(OLD_KEY).encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert signer.decode(previous, pattern=PATTERN, arguments=ARGS) == STATE
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert CursorSigner(NEW_KEY).decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE


def test_blank_environment_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CURSOR_KEY_ENV, " , ")
    with pytest.raises(ValueError, match=CURSOR_KEY_ENV):
        CursorSigner()


def test_without_any_key_a_per_process_key_is_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(CURSOR_KEY_ENV, raising=False)
    paging._process_key.cache_clear()
    with caplog.at_level(logging.WARNING, logger=paging.__name__):
        first, second = CursorSigner(), CursorSigner()
    assert first.is_ephemeral
    assert [r.levelno for r in caplog.records] == [logging.WARNING]  # logged once
    message = caplog.records[0].getMessage()
    assert CURSOR_KEY_ENV in message
    # What users pass: the generated repository's `cursor_key=`, not CursorSigner's `keys=`.
    assert "cursor_key=" in message and "keys=" not in message.replace("cursor_key=", "")
    cursor = first.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert second.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE
    _rejected(CursorSigner(KEY), cursor)
    paging._process_key.cache_clear()  # another process: a new key
    _rejected(CursorSigner(), cursor)


@pytest.mark.parametrize("keys", [[], [""], [b""], "", [KEY, ""]])
def test_empty_keys_are_refused(keys: Any) -> None:
    with pytest.raises(ValueError):
        CursorSigner(keys)


# -- Page ------------------------------------------------------------------------------------


def test_page_is_a_generic_frozen_model() -> None:
    page = Page[int](items=[1], cursor=None)
    assert page.items == [1] and page.cursor is None
    assert Page[int](items=[]).cursor is None
    assert Page[int].model_validate({"items": ["2"], "cursor": "c"}).items == [2]
    with pytest.raises(ValidationError):
        Page[int](items=["not a number"])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        page.cursor = "x"  # type: ignore[misc, unused-ignore]


def test_page_json_round_trip() -> None:
    page = Page[dict[str, int]](items=[{"a": 1}], cursor="abc.def")
    assert Page[dict[str, int]].model_validate_json(page.model_dump_json()) == page


def test_a_cursor_for_another_shard_count_is_refused() -> None:
    from dynamodel.runtime.retry import RetryPolicy
    from dynamodel.runtime.schema import SortCondition
    from dynamodel.runtime.table import Table

    class NoCalls:
        def query(self, **_: object) -> None:
            raise AssertionError("an invalid cursor must not read anything")

    signer = CursorSigner(KEY)
    table = Table(
        client=NoCalls(),
        name="t",
        retry=RetryPolicy(),
        signer=signer,
        index_keys={None: ("PK", "SK")},
    )
    everything = SortCondition(kind="all")
    # Signed by this service, for this pattern and arguments, when it had two shards.
    two = signer.encode(pattern="p", arguments={}, state=[{"start": None}, {"start": None}])
    single = signer.encode(pattern="p", arguments={}, state=[{"start": None}])
    for cursor, partitions in ((two, ["a#0", "a#1", "a#2"]), (single, ["a"])):
        with pytest.raises(InvalidCursorError):
            table.query_page(
                None,  # type: ignore[arg-type]  # no item is ever decoded
                pattern="p",
                arguments={},
                index=None,
                partitions=partitions,
                sort=everything,
                forward=True,
                limit=5,
                cursor=cursor,
            )


# -- key strength, table binding, maximum age (issue 11, finding 7) --------------------------


@pytest.mark.parametrize("length", [1, 16, 31])
def test_keys_under_32_bytes_are_refused_with_advice(length: int) -> None:
    for key in (b"x" * length, "x" * length, [KEY, b"x" * length]):
        with pytest.raises(ValueError, match=r"at least 32 bytes") as caught:
            CursorSigner(key)
        assert "secrets.token_urlsafe(32)" in str(caught.value)
    CursorSigner(b"x" * 32)  # 32 bytes is enough
    CursorSigner("é" * 16)  # a str key counts its UTF-8 bytes: 32


def test_a_short_key_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CURSOR_KEY_ENV, f"{NEW_KEY},short")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        CursorSigner()


def test_a_cursor_of_another_table_is_refused_with_the_same_key() -> None:
    production = CursorSigner(KEY, table="Tracker-prod")
    staging = CursorSigner(KEY, table="Tracker-staging")
    cursor = production.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert production.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE
    assert _rejected(staging, cursor).reason == "cursor belongs to another table"
    assert _rejected(CursorSigner(KEY), cursor).reason == "cursor belongs to another table"


def test_cursors_older_than_the_maximum_age_are_refused() -> None:
    now = [1_000_000.0]
    signer = CursorSigner(KEY, max_age=timedelta(minutes=10), clock=lambda: now[0])
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    now[0] += 600  # exactly the maximum age: still valid
    assert signer.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE
    now[0] += 1
    assert _rejected(signer, cursor).reason == "cursor has expired"
    # Without a maximum age the same cursor, a day old, still resumes.
    now[0] += 86_400
    unlimited = CursorSigner(KEY, clock=lambda: now[0])
    assert unlimited.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE


def test_the_issue_time_is_signed_so_it_cannot_be_refreshed() -> None:
    now = [2_000_000.0]
    signer = CursorSigner(KEY, max_age=timedelta(seconds=60), clock=lambda: now[0])
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    encoded_payload, signature = cursor.split(".")
    payload = json.loads(paging._b64decode(encoded_payload))
    assert payload["i"] == 2_000_000 and payload["t"] == ""
    now[0] += 3600
    refreshed = json.dumps({**payload, "i": int(now[0])}, separators=(",", ":")).encode()
    error = _rejected(signer, f"{paging._b64encode(refreshed)}.{signature}")
    assert error.reason == "cursor signature is invalid"


@pytest.mark.parametrize("age", [timedelta(0), timedelta(seconds=-1)])
def test_a_non_positive_maximum_age_is_refused(age: timedelta) -> None:
    with pytest.raises(ValueError, match="max_age"):
        CursorSigner(KEY, max_age=age)


def test_rotation_keeps_table_binding_and_age() -> None:
    now = [0.0]
    old = CursorSigner(OLD_KEY, table="T", clock=lambda: now[0])
    rotating = CursorSigner([NEW_KEY, OLD_KEY], table="T", max_age=timedelta(hours=1))
    rotating = CursorSigner(
        [NEW_KEY, OLD_KEY], table="T", max_age=timedelta(hours=1), clock=lambda: now[0]
    )
    cursor = old.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert rotating.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE
    now[0] += 3601
    assert _rejected(rotating, cursor).reason == "cursor has expired"


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
