"""What `runtime/write_once.py` tells the caller when a lost response meets another writer.

`OutcomeUnknownError` is the one error a caller must act on by hand (read the item and
decide), so its message and fields are pinned exactly: the operation, the entity, the item's
key and the cause of the uncertainty. The lost response and the other writer come from
`tests/test_lost_responses.py`'s `LoseOneResponse`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from dynamodel import OutcomeUnknownError, VersionConflictError
from tests import test_lost_responses
from tests.test_lost_responses import NOW, LoseOneResponse, ticket

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))

from tracker import TrackerRepository, Workspace

# The repository under test and the other writer's, on its own client.
repos = test_lost_responses.repos


def _message(operation: str, entity: str, key: str) -> str:
    return (
        f"{operation} of {entity} {key}: an earlier attempt may have been applied "
        "(ReadTimeoutError), and another writer changed the item before the retry; whether "
        "this write was applied is unknown. Read the item and decide"
    )


def test_an_update_whose_outcome_is_unknown_names_operation_item_and_cause(
    repos: tuple[TrackerRepository, TrackerRepository],
) -> None:
    mine, other = repos
    mine.create_ticket(ticket())
    LoseOneResponse(
        mine.table.client,
        {"UpdateItem"},
        lambda: other.update_ticket(workspace_id="w1", ticket_no=1, title="Theirs"),
    )
    with pytest.raises(OutcomeUnknownError) as caught:
        mine.update_ticket(workspace_id="w1", ticket_no=1, priority=5, expected_version=1)
    key = "PK='Ticket#w1#P5011' SK='#Ticket'"
    assert (caught.value.operation, caught.value.entity, caught.value.key) == (
        "UpdateItem",
        "Ticket",
        key,
    )
    assert str(caught.value) == _message("UpdateItem", "Ticket", key)


def test_a_create_whose_outcome_is_unknown_names_its_key_from_the_item(
    repos: tuple[TrackerRepository, TrackerRepository],
) -> None:
    mine, other = repos
    LoseOneResponse(
        mine.table.client,
        {"PutItem"},
        lambda: other.update_workspace(workspace_id="w1", name="Renamed"),
    )
    with pytest.raises(OutcomeUnknownError) as caught:
        mine.create_workspace(Workspace(workspace_id="w1", name="Mine", created_at=NOW))
    key = "PK='Workspace#w1' SK='#Workspace'"
    assert (caught.value.operation, caught.value.entity, caught.value.key) == (
        "PutItem",
        "Workspace",
        key,
    )
    assert str(caught.value) == _message("PutItem", "Workspace", key)


def test_an_unconditional_put_whose_response_was_lost_is_read_back_strongly_consistent(
    repos: tuple[TrackerRepository, TrackerRepository], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An eventually consistent read may not see the put just applied, and take it for lost.
    mine, _ = repos
    table = mine.table
    reads: list[bool] = []
    get_item = table.get_item

    def recorded(key: Any, *, consistent: bool) -> Any:
        reads.append(consistent)
        return get_item(key, consistent=consistent)

    monkeypatch.setattr(table, "get_item", recorded)
    LoseOneResponse(table.client, {"PutItem"}, lambda: None)
    mine.save_workspace(Workspace(workspace_id="w1", name="Mine", created_at=NOW))
    assert reads == [True]


def test_an_unconditional_put_read_back_changed_names_the_lost_response_as_cause(
    repos: tuple[TrackerRepository, TrackerRepository],
) -> None:
    mine, other = repos
    mine.create_workspace(Workspace(workspace_id="w1", name="Old", created_at=NOW))
    LoseOneResponse(
        mine.table.client,
        {"PutItem"},
        lambda: other.update_workspace(workspace_id="w1", name="Theirs"),
    )
    with pytest.raises(OutcomeUnknownError) as caught:
        mine.save_workspace(Workspace(workspace_id="w1", name="Mine", created_at=NOW))
    key = "PK='Workspace#w1' SK='#Workspace'"
    assert str(caught.value) == _message("PutItem", "Workspace", key)


def test_a_retried_delete_that_finds_the_item_created_again_is_not_taken_for_applied(
    repos: tuple[TrackerRepository, TrackerRepository], backend: str
) -> None:
    # The delete was applied and its response lost; another writer created the item again
    # (version 2 by now) before the retry, whose version condition then fails. The item is
    # there, so the retry's failure cannot be read as "this delete was applied": it is raised.
    mine, other = repos
    mine.create_ticket(ticket(checklist=[]))

    def other_writer() -> None:
        other.create_ticket(ticket(checklist=[]))
        other.update_ticket(workspace_id="w1", ticket_no=1, title="Theirs")

    fault = LoseOneResponse(mine.table.client, {"TransactWriteItems"}, other_writer)
    raised = False
    try:
        mine.delete_ticket(workspace_id="w1", ticket_no=1, expected_version=1)
    except VersionConflictError as error:
        raised = True
        # A backend that ignores ClientRequestToken (moto) runs the retry again: its version
        # condition fails on the item created again, and that is raised.
        assert str(error).endswith("expected version 1, found 2")
    # A backend that honours the token (DynamoDB, MiniStack) answers the retry with the first
    # attempt's outcome: applied, which it was. Either way the new item is not deleted.
    assert raised == backend.startswith("moto")
    assert fault.lost == ["TransactWriteItems"]
    stored = mine.get_ticket(workspace_id="w1", ticket_no=1)
    assert stored is not None and stored.title == "Theirs"
