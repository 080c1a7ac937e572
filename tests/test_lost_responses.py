"""A lost response with a concurrent writer in between (issue 11, finding 3).

A write is applied, its response is lost, and another writer changes the item before the
runtime's retry arrives. The retry must then either apply exactly once or raise the typed
`OutcomeUnknownError`; it must never report a conflict for a change that was stored, and a
retried delete must never delete the item the other writer put there.

The response is lost at botocore's `after-call` (the request reached the table and was
applied), and the other writer runs at that very moment, on a client of its own.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError  # type: ignore[import-untyped, unused-ignore]

from dynamodel import OutcomeUnknownError
from dynamodel.runtime.retry import RetryPolicy
from tests.backends import client_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))

from tracker import ChecklistItem, Ticket, TrackerRepository, Workspace

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)


class LoseOneResponse:
    """Loses the response of the next call of one of `operations` after it was applied, and
    runs `meanwhile` (the other writer) before the runtime sees the loss and retries."""

    def __init__(self, client: Any, operations: set[str], meanwhile: Callable[[], Any]) -> None:
        self.operations = operations
        self.meanwhile = meanwhile
        self.lost: list[str] = []
        self.calls: list[str] = []
        client.meta.events.register_first("after-call.dynamodb", self._after_call)

    def _after_call(self, http_response: Any, model: Any, **_: Any) -> None:
        if model.name not in self.operations:
            return
        self.calls.append(model.name)
        if self.lost or http_response.status_code >= 300:
            return
        self.lost.append(model.name)
        self.meanwhile()
        raise ReadTimeoutError(endpoint_url="lost after it was applied")


@pytest.fixture
def repos(
    backend: str, dynamodb_client: Any, dynamodb_endpoint_url: str | None, table_name: str
) -> tuple[TrackerRepository, TrackerRepository]:
    """The repository under test, and the other writer's, on its own client."""
    mine = TrackerRepository(
        client=dynamodb_client, table_name=table_name, cursor_key="k" * 32, retry=FAST
    )
    mine.create_table()
    other = TrackerRepository(
        client=client_for(backend, dynamodb_endpoint_url),
        table_name=table_name,
        cursor_key="k" * 32,
        retry=FAST,
    )
    return mine, other


def ticket(**changes: Any) -> Ticket:
    values: dict[str, Any] = {
        "workspace_id": "w1",
        "ticket_no": 1,
        "title": "Fix it",
        "status": "open",
        "priority": 2,
        "updated_at": NOW,
        "checklist": [ChecklistItem(workspace_id="w1", ticket_no=1, position=1, text="step")],
    }
    return Ticket(**{**values, **changes})


def test_a_retried_update_whose_change_was_stored_is_never_a_version_conflict(
    repos: tuple[TrackerRepository, TrackerRepository],
) -> None:
    mine, other = repos
    mine.create_ticket(ticket())

    def other_writer() -> None:  # reads version 2 (this update's), writes version 3
        other.update_ticket(workspace_id="w1", ticket_no=1, title="Theirs")

    fault = LoseOneResponse(mine.table.client, {"UpdateItem"}, other_writer)
    with pytest.raises(OutcomeUnknownError) as caught:
        mine.update_ticket(workspace_id="w1", ticket_no=1, priority=5, expected_version=1)
    assert fault.lost == ["UpdateItem"] and fault.calls == ["UpdateItem", "UpdateItem"]
    assert caught.value.operation == "UpdateItem" and caught.value.entity == "Ticket"
    assert "Ticket#" in caught.value.key
    stored = mine.get_ticket(workspace_id="w1", ticket_no=1)
    assert stored is not None  # both changes stored, each once
    assert (stored.version, stored.priority, stored.title) == (3, 5, "Theirs")


def test_a_retried_create_of_an_item_changed_since_is_not_already_exists(
    repos: tuple[TrackerRepository, TrackerRepository],
) -> None:
    mine, other = repos
    workspace = Workspace(workspace_id="w1", name="Mine", created_at=NOW)

    def other_writer() -> None:
        other.update_workspace(workspace_id="w1", name="Renamed")

    LoseOneResponse(mine.table.client, {"PutItem"}, other_writer)
    with pytest.raises(OutcomeUnknownError) as caught:
        mine.create_workspace(workspace)
    assert caught.value.operation == "PutItem"
    stored = mine.get_workspace(workspace_id="w1")
    assert stored is not None and stored.name == "Renamed"


def test_a_retry_that_finds_its_own_write_succeeds(
    repos: tuple[TrackerRepository, TrackerRepository],
) -> None:
    mine, _ = repos
    mine.create_ticket(ticket())
    fault = LoseOneResponse(mine.table.client, {"UpdateItem"}, lambda: None)
    updated = mine.update_ticket(workspace_id="w1", ticket_no=1, priority=5, expected_version=1)
    assert fault.lost == ["UpdateItem"] and updated.version == 2
    stored = mine.get_ticket(workspace_id="w1", ticket_no=1)
    assert stored is not None and (stored.version, stored.priority) == (2, 5)


# moto (in process and moto_server) ignores ClientRequestToken: it applies the retried
# transaction again, which DynamoDB (and MiniStack) never do within the token's 10 minutes.
@pytest.mark.backends("ministack")
def test_a_retried_delete_never_deletes_the_item_another_writer_re_created(
    backend: str, repos: tuple[TrackerRepository, TrackerRepository]
) -> None:
    mine, other = repos
    mine.create_workspace(Workspace(workspace_id="w1", name="Old", created_at=NOW))

    def other_writer() -> None:
        other.create_workspace(Workspace(workspace_id="w1", name="Reborn", created_at=NOW))

    fault = LoseOneResponse(mine.table.client, {"DeleteItem", "TransactWriteItems"}, other_writer)
    mine.delete_workspace(workspace_id="w1")  # applied once: the retry changes nothing
    assert len(fault.calls) == 2
    stored = mine.get_workspace(workspace_id="w1")
    assert stored is not None and stored.name == "Reborn"


def test_a_single_delete_is_one_transaction_resent_with_its_token(
    repos: tuple[TrackerRepository, TrackerRepository],
) -> None:
    mine, _ = repos
    mine.create_workspace(Workspace(workspace_id="w1", name="Old", created_at=NOW))
    sent: list[bytes] = []

    def record(request: Any, **_: Any) -> None:
        sent.append(request.body)

    client = mine.table.client
    client.meta.events.register("before-send.dynamodb.TransactWriteItems", record)
    LoseOneResponse(client, {"DeleteItem", "TransactWriteItems"}, lambda: None)
    mine.delete_workspace(workspace_id="w1")
    assert len(sent) == 2 and sent[0] == sent[1]  # the same bytes: the same token
    request = json.loads(sent[0])
    assert len(request["TransactItems"]) == 1 and "Delete" in request["TransactItems"][0]
    assert len(request["ClientRequestToken"]) >= 32
    assert mine.get_workspace(workspace_id="w1") is None


@pytest.mark.parametrize("other_writes", [True, False], ids=["other-writer", "alone"])
@pytest.mark.parametrize("call", ["update", "save"])
def test_an_unversioned_write_is_not_applied_again_over_a_change_made_in_between(
    repos: tuple[TrackerRepository, TrackerRepository], call: str, other_writes: bool
) -> None:
    # Workspace has no version: its update's condition and its save (a plain PutItem) would
    # not stop a resend from applying again, over the other writer's acknowledged change.
    mine, other = repos
    mine.create_workspace(Workspace(workspace_id="w1", name="Old", created_at=NOW))

    def other_writer() -> None:
        if other_writes:
            other.update_workspace(workspace_id="w1", name="Theirs")

    operation = "UpdateItem" if call == "update" else "PutItem"
    LoseOneResponse(mine.table.client, {operation}, other_writer)

    def write() -> None:
        if call == "update":
            mine.update_workspace(workspace_id="w1", name="Mine")
        else:
            mine.save_workspace(Workspace(workspace_id="w1", name="Mine", created_at=NOW))

    if other_writes:
        with pytest.raises(OutcomeUnknownError) as caught:
            write()
        assert caught.value.operation == operation
    else:
        write()
    stored = mine.get_workspace(workspace_id="w1")
    assert stored is not None and stored.name == ("Theirs" if other_writes else "Mine")


def test_a_versioned_update_is_not_applied_to_an_item_deleted_and_created_again(
    repos: tuple[TrackerRepository, TrackerRepository],
) -> None:
    # Versions start again at 1: the retry's version condition alone would hold on the new
    # item, and the update would be applied to it as well.
    mine, other = repos
    mine.create_ticket(ticket())

    def other_writer() -> None:
        other.delete_ticket(workspace_id="w1", ticket_no=1)
        other.create_ticket(ticket(title="New", priority=7))

    LoseOneResponse(mine.table.client, {"UpdateItem"}, other_writer)
    with pytest.raises(OutcomeUnknownError):
        mine.update_ticket(workspace_id="w1", ticket_no=1, title="Mine", expected_version=1)
    stored = mine.get_ticket(workspace_id="w1", ticket_no=1)
    assert stored is not None and (stored.version, stored.title) == (1, "New")
