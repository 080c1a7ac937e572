"""Shared fixtures and helpers of the hostile-input tests (tests/test_hostile_keys.py,
tests/test_hostile_key_limits.py, tests/test_hostile_cursors.py, tests/test_hostile_sizes.py):
the generated repositories of the examples (tracker and iot) on moto in-process, every request
the client sends counted (`Requests`), a repository on a fresh table per case (`fresh`), the
Hypothesis settings of the properties (`PROPERTY`) and small helpers (`raised`, `collect`,
`scan`, `ticket_of`).

The pytest fixtures `client` (a moto in-process client) and `requests` (its `Requests`) are
defined here as `client_fixture` and `requests_fixture`, which the test modules import.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings

from tests.backends import client_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/iot/generated"))

from fleet import FleetRepository
from tracker import ChecklistItem, Ticket, TrackerRepository

Repo = TypeVar("Repo", TrackerRepository, FleetRepository)
Client = Any

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CURSOR_KEY = "hostile-input-key" * 2
TABLES = itertools.count()
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})

PROPERTY = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,  # the same examples on every run: a deterministic outcome
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


# -- fixtures ----------------------------------------------------------------------------------


class Requests:
    """Every API call the client makes (botocore's `before-call` event), by operation name."""

    def __init__(self, client: Client) -> None:
        self.calls: list[str] = []
        client.meta.events.register("before-call.dynamodb", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append(str(model.name))

    def clear(self) -> None:
        self.calls.clear()

    @property
    def writes(self) -> list[str]:
        return [c for c in self.calls if c in WRITES]


@pytest.fixture(name="client")
def client_fixture() -> Iterator[Client]:
    from moto import mock_aws

    with mock_aws():
        yield client_for("moto")


@pytest.fixture(name="requests")
def requests_fixture(client: Client) -> Requests:
    return Requests(client)


def fresh(cls: type[Repo], client: Client, requests: Requests, **options: Any) -> Repo:
    """A repository on a new, empty table; the request log starts empty."""
    options.setdefault("cursor_key", CURSOR_KEY)
    repo = cls(client=client, table_name=f"hostile-{next(TABLES)}", **options)
    repo.create_table()
    requests.clear()
    return repo


def raised(call: Callable[[], object]) -> BaseException | None:
    try:
        call()
    except Exception as error:
        return error
    return None


def collect(method: Callable[..., Any], *, limit: int, **arguments: Any) -> list[Any]:
    """Every item of a page pattern, following its cursors with pages of `limit`."""
    found: list[Any] = []
    cursor = None
    for _ in range(200):
        page = method(**arguments, limit=limit, cursor=cursor)
        found += page.items
        cursor = page.cursor
        if cursor is None:
            return found
    raise AssertionError("paging never ended")


def scan(client: Client, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table}
    while True:
        response = client.scan(**request)
        items += response["Items"]
        if "LastEvaluatedKey" not in response:
            return items
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def ticket_of(
    workspace_id: str,
    ticket_no: int,
    status: str,
    assignee_id: str | None,
    priority: int,
    minutes: int,
    steps: int,
) -> Ticket:
    return Ticket(
        workspace_id=workspace_id,
        ticket_no=ticket_no,
        title=f"t {ticket_no}",
        status=status,  # type: ignore[arg-type]
        assignee_id=assignee_id,
        priority=priority,
        updated_at=NOW + timedelta(minutes=minutes),
        labels={workspace_id},
        checklist=[
            ChecklistItem(workspace_id=workspace_id, ticket_no=ticket_no, position=p, text=f"{p}")
            for p in range(steps)
        ],
    )
