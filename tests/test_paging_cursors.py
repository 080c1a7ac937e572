"""Signed page cursors (dynamodel.runtime.paging): round trips, binding to the pattern and its
arguments, tamper detection; the generic Page model, and a cursor for another shard count.
Keys (environment, strength, rotation), table binding and maximum age:
tests/test_paging_keys.py."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dynamodel.runtime import paging
from dynamodel.runtime.errors import DynamodelError, InvalidCursorError
from dynamodel.runtime.paging import MAX_CURSOR_LENGTH, CursorSigner, Page, arguments_digest
from tests.paging_support import (
    ARGS,
    BASE64URL,
    KEY,
    NEW_KEY,
    OLD_KEY,
    OTHER_KEY,
    PATTERN,
    STATE,
    _rejected,
    _signed,
    signer,
)

__all__ = ["signer"]  # fixtures, used by name

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
