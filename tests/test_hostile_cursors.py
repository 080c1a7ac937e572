"""Hostile cursors, end to end through the generated repositories of the examples (tracker and
iot) on moto in-process, with every request the client sends counted: flipped characters and
bits, arbitrary text, re-encoded payloads, cursors of another pattern or of other arguments,
of a rotated-out key, of another table, older than the repository's maximum age, and (on a
sharded pattern) of another shard count are refused with
`InvalidCursorError` before any request is sent; the genuine cursors keep working.

Unit-level properties of the cursor encoding are in tests/test_paging_cursors.py,
tests/test_paging_keys.py and tests/test_paging_mutants.py.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dynamodel import InvalidCursorError
from dynamodel.runtime.paging import CursorSigner, arguments_digest
from tests.hostile_fixtures import (
    CURSOR_KEY,
    NOW,
    PROPERTY,
    Client,
    Requests,
    client_fixture,  # noqa: F401  (the pytest fixture "client")
    collect,
    fresh,
    raised,
    requests_fixture,  # noqa: F401  (the pytest fixture "requests")
    ticket_of,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/iot/generated"))

from fleet import Alert, FleetRepository
from tracker import Membership, TrackerRepository

BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
CURSOR_CHARS = [*BASE64URL, ".", "=", "+", "/", " ", "%", "é", "\x00", "\n"]
CURSORS = settings(PROPERTY, max_examples=60)
W1, W2 = "w#1", "w%231"  # a workspace and one whose id spells the first one's encoding


@dataclass
class Pages:
    repo: TrackerRepository
    requests: Requests
    cursor: str  # page 1 of members_of_workspace(workspace_id=W1, limit=2)

    def refused(self, cursor: Any, **arguments: Any) -> InvalidCursorError:
        """Resume members_of_workspace with `cursor`: it must raise InvalidCursorError and
        send nothing."""
        arguments = {"workspace_id": W1, "limit": 2, **arguments}
        self.requests.clear()
        error = raised(lambda: self.repo.members_of_workspace(cursor=cursor, **arguments))
        assert isinstance(error, InvalidCursorError), f"{cursor!r}: {error!r}"
        assert self.requests.calls == [], self.requests.calls
        return error


@pytest.fixture
def pages(client: Client, requests: Requests) -> Pages:
    repo = fresh(TrackerRepository, client, requests)
    for workspace in (W1, W2):
        for user in ("u1", "u2", "u3", "u#4", "u%5"):
            repo.create_membership(
                Membership(workspace_id=workspace, user_id=user, role="member", joined_at=NOW)
            )
    first = repo.members_of_workspace(workspace_id=W1, limit=2)
    assert first.cursor is not None
    requests.clear()
    second = repo.members_of_workspace(workspace_id=W1, limit=2, cursor=first.cursor)
    # Escaped characters sort first: "u%234" (u#4) < "u%255" (u%5) < "u1" < "u2" < "u3".
    assert [m.user_id for m in first.items] == ["u#4", "u%5"]
    assert [m.user_id for m in second.items] == ["u1", "u2"] and requests.calls == ["Query"]
    return Pages(repo, requests, first.cursor)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _payload(cursor: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(_unb64(cursor.split(".")[0]))
    return decoded


def _with_payload(cursor: str, payload: dict[str, Any]) -> str:
    """The cursor with its payload re-encoded as the runtime encodes it, signature kept."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{_b64(text.encode('utf-8'))}.{cursor.split('.')[1]}"


def test_flipped_cursor_characters_are_refused_unsent(pages: Pages) -> None:
    cursor = pages.cursor

    @CURSORS
    @given(position=st.integers(0, len(cursor) - 1), char=st.sampled_from(CURSOR_CHARS))
    def flipped(position: int, char: str) -> None:
        assume(cursor[position] != char)
        pages.refused(cursor[:position] + char + cursor[position + 1 :])

    flipped()


def test_flipped_bits_of_payload_or_signature_are_refused_unsent(pages: Pages) -> None:
    parts = pages.cursor.split(".")

    @CURSORS
    @given(part=st.sampled_from([0, 1]), data=st.data())
    def flipped(part: int, data: st.DataObject) -> None:
        raw = bytearray(_unb64(parts[part]))
        bit = data.draw(st.integers(0, len(raw) * 8 - 1), label="bit")
        raw[bit // 8] ^= 1 << (bit % 8)
        changed = list(parts)
        changed[part] = _b64(bytes(raw))
        pages.refused(".".join(changed))

    flipped()


@CURSORS
@given(garbage=st.text(max_size=40).filter(bool) | st.binary(max_size=40).map(_b64).filter(bool))
def test_arbitrary_text_is_refused_as_a_cursor_unsent(pages: Pages, garbage: str) -> None:
    pages.refused(garbage)
    pages.refused(garbage + "." + garbage)


def _reencoded(pages: Pages) -> dict[str, str]:
    cursor = pages.cursor
    payload = _payload(cursor)
    assert set(payload) == {"v", "t", "p", "a", "i", "s"}
    assert payload["s"]["PK"]["S"] == "Workspace#w%231"
    other_partition = json.loads(json.dumps(payload))
    other_partition["s"]["PK"]["S"] = "Workspace#w%25231"  # W2's partition: another tenant
    changes: dict[str, dict[str, Any]] = {
        "another partition in the state": other_partition,
        "another pattern": {**payload, "p": "workspaces_of_user"},
        "other arguments": {**payload, "a": arguments_digest({"workspace_id": W2})},
        "another version": {**payload, "v": 1},
        "another table": {**payload, "t": "Tracker-prod"},
        "a later issue time": {**payload, "i": payload["i"] + 3600},
        "an extra field": {**payload, "x": 1},
        "no state": {k: v for k, v in payload.items() if k != "s"},
        "a null state": {**payload, "s": None},
    }
    return {name: _with_payload(cursor, changed) for name, changed in changes.items()}


def test_reencoded_payloads_are_refused_unsent(pages: Pages) -> None:
    # The re-encoding itself is faithful: unchanged, it gives back the very cursor.
    assert _with_payload(pages.cursor, _payload(pages.cursor)) == pages.cursor
    for name, cursor in _reencoded(pages).items():
        error = pages.refused(cursor)
        assert "signature" in error.reason, (name, error.reason)
    # Re-encoded as standard base64 with padding, or with its parts swapped.
    payload, signature = pages.cursor.split(".")
    padded = base64.b64encode(_unb64(payload)).decode() + "." + signature
    if padded != pages.cursor:  # equal when the payload needs no padding and has no "-" or "_"
        pages.refused(padded)
    pages.refused(f"{payload}==.{signature}")
    pages.refused(f"{signature}.{payload}")
    pages.refused(pages.cursor + "=")
    pages.refused(pages.cursor.upper())
    pages.refused(f" {pages.cursor}")
    pages.refused(pages.cursor[:-1])
    pages.refused(pages.cursor + ".x")
    pages.refused(payload)
    pages.refused("x" * 9000)
    pages.refused(12345)
    pages.refused(pages.cursor.encode())


def test_cursors_of_other_patterns_and_other_arguments_are_refused_unsent(pages: Pages) -> None:
    repo = pages.repo
    own = pages.cursor
    for user in ("u1", "u2"):
        repo.create_membership(
            Membership(workspace_id="w3", user_id=user, role="admin", joined_at=NOW)
        )
    for n in range(3):
        repo.create_ticket(ticket_of(W1, n, "open", "u1", n, n, 0))
    other = {
        "workspaces_of_user": repo.workspaces_of_user(user_id="u1", limit=1).cursor,
        "tickets_by_status": repo.tickets_by_status(workspace_id=W1, status="open", limit=1).cursor,
        "open_tickets": repo.open_tickets(workspace_id=W1, limit=1).cursor,
    }
    for name, cursor in other.items():
        assert cursor is not None, name
        assert "another query" in pages.refused(cursor).reason, name
    w3 = repo.members_of_workspace(workspace_id="w3", limit=1).cursor
    assert "other query arguments" in pages.refused(w3).reason
    # This pattern's own cursor, with other arguments: another workspace, whose id is the
    # encoding of this one's ("w%231" for "w#1").
    assert "other query arguments" in pages.refused(own, workspace_id=W2).reason
    # And used by other patterns.
    ticket_cursor = other["tickets_by_status"]
    calls: list[Callable[[], object]] = [
        lambda: repo.workspaces_of_user(user_id="u1", cursor=own),
        lambda: repo.open_tickets(workspace_id=W1, cursor=own),
        lambda: repo.tickets_by_status(workspace_id=W1, status="closed", cursor=ticket_cursor),
        lambda: repo.tickets_by_status(
            workspace_id=W1, status="open", updated_at_from=NOW, cursor=ticket_cursor
        ),
        lambda: repo.tickets_for_assignee(assignee_id="u1", cursor=ticket_cursor),
    ]
    for call in calls:
        pages.requests.clear()
        assert isinstance(raised(call), InvalidCursorError)
        assert pages.requests.calls == []


def test_a_cursor_of_another_table_is_refused_unsent(client: Client, pages: Pages) -> None:
    # Production and staging sharing a key: a cursor of one table does not resume on another.
    staging = TrackerRepository(client=client, table_name="Tracker-staging", cursor_key=CURSOR_KEY)
    pages.requests.clear()
    error = raised(lambda: staging.members_of_workspace(workspace_id=W1, cursor=pages.cursor))
    assert isinstance(error, InvalidCursorError), repr(error)
    assert error.reason == "cursor belongs to another table"
    assert pages.requests.calls == []


def test_a_cursor_older_than_the_maximum_age_is_refused_unsent(
    client: Client, pages: Pages
) -> None:
    table = pages.repo.table_name
    aged = TrackerRepository(
        client=client, table_name=table, cursor_key=CURSOR_KEY, cursor_max_age=timedelta(hours=1)
    )
    # The page-1 cursor was just issued: it resumes.
    assert len(aged.members_of_workspace(workspace_id=W1, limit=2, cursor=pages.cursor).items) == 2
    issued = json.loads(_unb64(pages.cursor.split(".")[0]))["i"]
    aged.table.signer._clock = lambda: issued + 3601.0  # an hour and a second later
    pages.requests.clear()
    error = raised(lambda: aged.members_of_workspace(workspace_id=W1, limit=2, cursor=pages.cursor))
    assert isinstance(error, InvalidCursorError) and error.reason == "cursor has expired"
    assert pages.requests.calls == []
    with pytest.raises(ValueError, match="at least 32 bytes"):
        TrackerRepository(client=client, table_name=table, cursor_key="short")


def test_cursor_of_a_rotated_out_key_is_refused_unsent(client: Client, pages: Pages) -> None:
    old = pages.cursor
    table = pages.repo.table_name
    rotated = TrackerRepository(
        client=client, table_name=table, cursor_key=["new" * 11, CURSOR_KEY]
    )
    dropped = TrackerRepository(client=client, table_name=table, cursor_key="new" * 11)
    # During the rotation both keys verify; once the old key is dropped its cursors are refused.
    assert [m.user_id for m in rotated.members_of_workspace(workspace_id=W1, cursor=old).items]
    pages.requests.clear()
    error = raised(lambda: dropped.members_of_workspace(workspace_id=W1, limit=2, cursor=old))
    assert isinstance(error, InvalidCursorError) and "signature" in error.reason
    new = rotated.members_of_workspace(workspace_id=W1, limit=2).cursor
    assert new is not None
    pages.requests.clear()
    error = raised(lambda: pages.repo.members_of_workspace(workspace_id=W1, limit=2, cursor=new))
    assert isinstance(error, InvalidCursorError)  # the old deployment cannot read the new key
    assert pages.requests.calls == []


@pytest.fixture
def alerts(client: Client, requests: Requests) -> tuple[FleetRepository, str]:
    repo = fresh(FleetRepository, client, requests)
    for n in range(12):
        repo.create_alert(
            Alert(
                alert_id=f"a#{n}",
                site_id="s%1",
                device_id="d",
                rule="r",
                severity="info",
                message="m",
                raised_at=NOW + timedelta(seconds=n),
            )
        )
    page = repo.all_open_alerts(limit=3)
    assert page.cursor is not None
    return repo, page.cursor


def test_sharded_cursors_refuse_tampering_and_other_patterns_unsent(
    requests: Requests, alerts: tuple[FleetRepository, str]
) -> None:
    repo, cursor = alerts

    def refused(call: Callable[[], object]) -> None:
        requests.clear()
        error = raised(call)
        assert isinstance(error, InvalidCursorError), repr(error)
        assert requests.calls == [], requests.calls

    @CURSORS
    @given(position=st.integers(0, len(cursor) - 1), char=st.sampled_from(CURSOR_CHARS))
    def flipped(position: int, char: str) -> None:
        assume(cursor[position] != char)
        bad = cursor[:position] + char + cursor[position + 1 :]
        refused(lambda: repo.all_open_alerts(limit=3, cursor=bad))

    flipped()
    site_cursor = repo.open_alerts_of_site(site_id="s%1", limit=3).cursor
    assert site_cursor is not None
    refused(lambda: repo.open_alerts_of_site(site_id="s%1", cursor=cursor))
    refused(lambda: repo.all_open_alerts(cursor=site_cursor))
    refused(lambda: repo.all_open_alerts(raised_at_from=NOW, cursor=cursor))
    # Validly signed (as by a deployment with another shard count, or none), but not in this
    # query's shape: refused by the runtime before any shard is read.
    signer = CursorSigner(CURSOR_KEY, table=repo.table_name)
    arguments = {"raised_at_from": None, "raised_at_to": None}
    states: list[object] = [
        [{"start": None}] * 7,
        [{"start": None}] * 9,
        [5] * 8,
        {"PK": {"S": "Alert#0"}},
        {"z": "not zlib"},
        "state",
    ]
    for state in states:
        forged = signer.encode(pattern="all_open_alerts", arguments=arguments, state=state)
        refused(partial(repo.all_open_alerts, cursor=forged))
    forged = signer.encode(
        pattern="open_alerts_of_site",
        arguments={"site_id": "s%1", "raised_at_from": None, "raised_at_to": None},
        state=[{"start": None}] * 8,
    )
    refused(lambda: repo.open_alerts_of_site(site_id="s%1", cursor=forged))
    # The genuine cursor still works and the pages add up to every open alert.
    requests.clear()
    assert len(collect(repo.all_open_alerts, limit=5)) == 12
    assert len(repo.all_open_alerts(limit=3, cursor=cursor).items) == 3
