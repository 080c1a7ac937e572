"""Shared by the tests of what never reaches the table (tests/test_write_validation_refusals.py,
tests/test_write_validation_wrong_types.py, tests/test_reversed_ranges.py): every HTTP request
the client is about to send (`Sent`), the `sent` and `repo` fixtures (a tracker repository on
a fresh table, on the `client` fixture of tests/hostile_fixtures.py; the test modules import
all three by name), a valid object of each tracker
entity (`valid`), and `refused` (the typed error of a call that sent nothing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dynamodel.runtime.errors import DynamodelError
from tests.hostile_fixtures import CURSOR_KEY, NOW, TABLES, Client

from tracker import (  # isort: skip  (on sys.path via hostile_fixtures)
    ChecklistItem,
    Membership,
    Ticket,
    TrackerRepository,
    User,
    Workspace,
)


class Sent:
    """Every HTTP request the client is about to send (botocore's `before-send` event)."""

    def __init__(self, client: Client) -> None:
        self.operations: list[str] = []
        client.meta.events.register("before-send.dynamodb", self._record)

    def _record(self, request: Any, **_: Any) -> None:
        self.operations.append(str(request.headers.get("X-Amz-Target", b"")))

    def clear(self) -> None:
        self.operations.clear()


@pytest.fixture
def sent(client: Client) -> Sent:
    return Sent(client)


@pytest.fixture
def repo(client: Client, sent: Sent) -> Iterator[TrackerRepository]:
    repository = TrackerRepository(
        client=client, table_name=f"valid-{next(TABLES)}", cursor_key=CURSOR_KEY
    )
    repository.create_table()
    sent.clear()
    yield repository


def valid(entity: str) -> Any:
    return {
        "Workspace": lambda: Workspace(workspace_id="w1", name="Acme"),
        "User": lambda: User(user_id="u1", email="a@example.com", display_name="A"),
        "Membership": lambda: Membership(
            workspace_id="w1", user_id="u1", role="member", joined_at=NOW
        ),
        "Ticket": lambda: Ticket(
            workspace_id="w1",
            ticket_no=1,
            title="t",
            status="open",
            priority=2,
            updated_at=NOW,
            labels={"bug"},
        ),
        "ChecklistItem": lambda: ChecklistItem(
            workspace_id="w1", ticket_no=1, position=1, text="x"
        ),
    }[entity]()


def refused(call: Callable[[], object], sent: Sent) -> DynamodelError:
    sent.clear()
    with pytest.raises(DynamodelError) as caught:
        call()
    assert sent.operations == [], sent.operations
    return caught.value
