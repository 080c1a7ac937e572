"""Sizes at DynamoDB's limits, end to end through the generated repository of the tracker
example on moto in-process, with every request the client sends counted: items at 400 KB and
one byte over (in characters of every UTF-8 width) through create, save and update; aggregates
at 100 actions and one over (a save counts the members it deletes too); transactions at 4 MB
and one byte over; an item over 400 KB inside an aggregate. Over the limit is refused with a
typed error before anything is sent; at the limit succeeds.

Unit-level size accounting is in tests/test_sizes.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dynamodel import ItemTooLargeError, TransactionTooLargeError
from dynamodel.runtime.sizes import MAX_ITEM_BYTES, item_size
from dynamodel.runtime.transact import MAX_ACTIONS, MAX_TRANSACTION_BYTES
from dynamodel.runtime.writes import flatten
from tests.hostile_fixtures import (
    NOW,
    Client,
    Requests,
    client_fixture,  # noqa: F401  (the pytest fixture "client")
    fresh,
    raised,
    requests_fixture,  # noqa: F401  (the pytest fixture "requests")
    ticket_of,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))

from tracker import ChecklistItem, Ticket, TrackerRepository, Workspace
from tracker import _schema as tracker_schema


@pytest.fixture
def dynamodb_item_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto refuses items over 405,000 bytes, a safety margin below DynamoDB's 400 KB (409,600
    bytes; moto's own comment says the real limit is "between 409 and 410KB"). For items of
    strings only, moto counts exactly what `item_size` counts, so with its limit set to
    DynamoDB's an item at exactly 400 KB can be shown to be accepted end to end."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type

    def setitem(self: dict[str, Any], key: str, value: Any) -> None:
        dict.__setitem__(self, key, value)
        size = sum(len(k.encode("utf-8")) + v.size() for k, v in self.items())
        if size > MAX_ITEM_BYTES:
            dict.__delitem__(self, key)
            raise ItemSizeTooLarge

    monkeypatch.setattr(dynamo_type.LimitedSizeDict, "__setitem__", setitem)


# Characters of each UTF-8 width: DynamoDB counts bytes, not characters.
WIDTHS = {"ascii": "a", "2-byte": "é", "3-byte": "€", "4-byte": "😀"}


def utf8_text(size: int, char: str) -> str:
    width = len(char.encode("utf-8"))
    return char * (size // width) + "a" * (size % width)


def workspace_of_size(size: int, char: str, workspace_id: str = "w") -> Workspace:
    """A Workspace whose item is exactly `size` bytes as DynamoDB counts them."""
    base = Workspace(workspace_id=workspace_id, name="", created_at=NOW)
    overhead = item_size(tracker_schema.workspace_to_item(base))
    model = base.model_copy(update={"name": utf8_text(size - overhead, char)})
    assert item_size(tracker_schema.workspace_to_item(model)) == size
    return model


@pytest.mark.usefixtures("dynamodb_item_limit")
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("operation", ["create", "save", "update"])
def test_items_at_400_kb_are_written_and_one_byte_over_is_refused_unsent(
    client: Client, requests: Requests, operation: str, width: str
) -> None:
    repo = fresh(TrackerRepository, client, requests)
    at_limit = workspace_of_size(MAX_ITEM_BYTES, WIDTHS[width], "at")
    over = workspace_of_size(MAX_ITEM_BYTES + 1, WIDTHS[width], "over")
    writes: dict[str, Callable[[Workspace], object]] = {
        "create": repo.create_workspace,
        "save": repo.save_workspace,
        "update": lambda w: repo.update_workspace(workspace_id=w.workspace_id, name=w.name),
    }
    if operation == "update":
        for model in (at_limit, over):
            repo.create_workspace(model.model_copy(update={"name": "small"}))
    write = writes[operation]

    requests.clear()
    write(at_limit)
    assert requests.writes == [{"update": "UpdateItem"}.get(operation, "PutItem")]
    assert repo.get_workspace(workspace_id="at", consistent=True) == at_limit

    requests.clear()
    error = raised(lambda: write(over))
    assert isinstance(error, ItemTooLargeError), repr(error)
    assert error.entity == "Workspace" and error.size == MAX_ITEM_BYTES + 1
    assert f"{MAX_ITEM_BYTES + 1:,} bytes" in str(error) and f"{MAX_ITEM_BYTES:,}" in str(error)
    assert requests.writes == []
    assert requests.calls == (["GetItem"] if operation == "update" else [])
    stored = repo.get_workspace(workspace_id="over", consistent=True)
    assert (stored.name if stored else None) == ("small" if operation == "update" else None)


def checklist(workspace_id: str, positions: range, text: str = "s") -> list[ChecklistItem]:
    return [
        ChecklistItem(workspace_id=workspace_id, ticket_no=1, position=p, text=text)
        for p in positions
    ]


def test_aggregate_at_100_actions_is_written_and_101_refused_unsent(
    client: Client, requests: Requests
) -> None:
    repo = fresh(TrackerRepository, client, requests)
    at_limit = ticket_of("w#at", 1, "open", None, 0, 0, 0)
    at_limit.checklist = checklist("w#at", range(MAX_ACTIONS - 1))
    over = ticket_of("w#over", 1, "open", None, 0, 0, 0)
    over.checklist = checklist("w#over", range(MAX_ACTIONS))

    repo.create_ticket(at_limit)
    assert requests.writes == ["TransactWriteItems"]
    loaded = repo.get_ticket(workspace_id="w#at", ticket_no=1)
    assert loaded is not None and len(loaded.checklist) == MAX_ACTIONS - 1

    requests.clear()
    error = raised(lambda: repo.create_ticket(over))
    assert isinstance(error, TransactionTooLargeError), repr(error)
    assert error.actions == MAX_ACTIONS + 1 and f"{MAX_ACTIONS + 1} actions" in str(error)
    assert requests.calls == []

    # A save counts the members it deletes too: 1 root + 40 new + 60 gone = 101 actions.
    saved = ticket_of("w#save", 1, "open", None, 0, 0, 0)
    saved.checklist = checklist("w#save", range(60))
    saved = repo.save_ticket(saved)
    replaced = saved.model_copy(update={"checklist": checklist("w#save", range(100, 140))})
    requests.clear()
    error = raised(lambda: repo.save_ticket(replaced))
    assert isinstance(error, TransactionTooLargeError) and error.actions == MAX_ACTIONS + 1
    assert requests.writes == [] and requests.calls == ["Query"]  # it read the aggregate only
    fits = saved.model_copy(update={"checklist": checklist("w#save", range(100, 139))})
    requests.clear()
    repo.save_ticket(fits)
    assert requests.calls == ["Query", "TransactWriteItems"]
    loaded = repo.get_ticket(workspace_id="w#save", ticket_no=1)
    assert loaded is not None and [c.position for c in loaded.checklist] == list(range(100, 139))


def ticket_of_transaction_size(size: int, workspace_id: str, members: int = 11) -> Ticket:
    """A Ticket aggregate whose create is one transaction of exactly `size` bytes: each item
    under 400 KB, together `size`."""
    ticket = ticket_of(workspace_id, 1, "open", None, 0, 0, 0)
    ticket.checklist = checklist(workspace_id, range(members), text="")

    def total(model: Ticket) -> int:
        versioned = model.model_copy(update={"version": 1})
        return sum(item_size(item) for _, _, item in flatten(tracker_schema.TICKET, versioned))

    share, extra = divmod(size - total(ticket), members)
    for n, member in enumerate(ticket.checklist):
        member.text = "x" * (share + (extra if n == 0 else 0))
    assert total(ticket) == size
    return ticket


@pytest.mark.usefixtures("dynamodb_item_limit")
@pytest.mark.parametrize("operation", ["create", "save"])
def test_transaction_at_4_mb_is_written_and_one_byte_over_refused_unsent(
    client: Client, requests: Requests, operation: str
) -> None:
    repo = fresh(TrackerRepository, client, requests)
    write = repo.create_ticket if operation == "create" else repo.save_ticket
    read = [] if operation == "create" else ["Query"]
    at_limit = ticket_of_transaction_size(MAX_TRANSACTION_BYTES, "w#at")
    over = ticket_of_transaction_size(MAX_TRANSACTION_BYTES + 1, "w#over")

    error = raised(lambda: write(over))
    assert isinstance(error, TransactionTooLargeError), repr(error)
    assert error.size == MAX_TRANSACTION_BYTES + 1 and error.actions == 12
    assert f"{MAX_TRANSACTION_BYTES + 1:,} bytes" in str(error)
    assert f"{MAX_TRANSACTION_BYTES:,}" in str(error)
    assert requests.calls == read

    requests.clear()
    write(at_limit)
    assert requests.calls == [*read, "TransactWriteItems"]
    loaded = repo.get_ticket(workspace_id="w#at", ticket_no=1)
    assert loaded is not None
    assert [len(c.text) for c in loaded.checklist] == [len(c.text) for c in at_limit.checklist]
    assert repo.get_ticket(workspace_id="w#over", ticket_no=1) is None


def test_an_item_over_400_kb_inside_an_aggregate_is_named_unsent(
    client: Client, requests: Requests
) -> None:
    repo = fresh(TrackerRepository, client, requests)
    ticket = ticket_of("w", 1, "open", None, 0, 0, 0)
    ticket.checklist = checklist("w", range(3))
    ticket.checklist[1].text = utf8_text(MAX_ITEM_BYTES, "€")
    error = raised(lambda: repo.create_ticket(ticket))
    assert isinstance(error, ItemTooLargeError), repr(error)
    assert error.entity == "ChecklistItem" and error.size > MAX_ITEM_BYTES
    assert "position=1" in str(error) and f"{error.size:,} bytes" in str(error)
    assert requests.calls == []
