"""The paths of the fault matrix (tests/test_fault_matrix.py): every write and read path
(sharded page included) of the tracker's and the iot example's generated repositories, each
the DynamoDB operation its faults are injected into and the call that sends it; the seeds of
their tables; and a table's items and a call's result made comparable across tables and
backends."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dynamodel.runtime.retry import RetryPolicy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/iot/generated"))

from fleet import Alert, FleetRepository
from tracker import ChecklistItem, Ticket, TrackerRepository, User, Workspace

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FAST_RETRIES = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)


def ticket(number: int = 1, **changes: Any) -> Ticket:
    values: dict[str, Any] = {
        "workspace_id": "w1",
        "ticket_no": number,
        "title": "Fix it",
        "status": "open",
        "priority": 2,
        "updated_at": NOW,
        "labels": {"bug"},
        "checklist": [
            ChecklistItem(workspace_id="w1", ticket_no=number, position=p, text=f"step {p}")
            for p in (1, 2, 3)
        ],
    }
    values.update(changes)
    return Ticket(**values)


def seed_tracker(repo: TrackerRepository) -> None:
    for workspace_id in ("w1", "w3", "w4"):
        repo.create_workspace(Workspace(workspace_id=workspace_id, name="Acme", created_at=NOW))
    repo.create_user(User(user_id="u1", email="a@x.io", display_name="A"))
    repo.create_ticket(ticket(1))


# Open alerts spread over the iot example's 8 write shards (every fifth one resolved: out of
# the sparse index), raised at distinct times.
ALERTS = [
    Alert(
        alert_id=f"al{n:02d}",
        site_id="s1",
        device_id="d1",
        rule="temp_above_8c",
        severity="critical",
        status="resolved" if n % 5 == 0 else "open",
        message=f"alert {n}",
        raised_at=NOW - timedelta(minutes=(n * 7) % 23),
    )
    for n in range(14)
]


def seed_iot(repo: FleetRepository) -> None:
    repo.batch_write(put=ALERTS)


REPOSITORIES: dict[str, tuple[type[Any], Callable[[Any], None]]] = {
    "tracker": (TrackerRepository, seed_tracker),
    "iot": (FleetRepository, seed_iot),
}


@dataclass(frozen=True)
class PathCase:
    operation: str  # the DynamoDB operation the fault is injected into
    act: Callable[[Any], Any]
    transaction: bool = False
    # A conditional single-item write whose every response is lost: its retry fails the
    # condition on the item its first attempt wrote, which the runtime recognises as done.
    # (Other writes apply again, idempotently, lose that response too, and give up.)
    retry_recognises_itself: bool = False
    # An update: once an attempt may have been applied, its retries also require the stored
    # values of what it changes (so they cannot apply it again over a change made in
    # between), and recognise the item as done when it shows the update.
    guarded_resend: bool = False
    example: str = "tracker"  # whose generated repository `act` takes
    fanout: int = 1  # requests sent in parallel, each retried on its own (one per shard)

    @property
    def writes(self) -> bool:
        return self.operation not in ("GetItem", "Query", "BatchGetItem")


def _save(repo: TrackerRepository) -> Any:
    stored = repo.get_ticket(workspace_id="w1", ticket_no=1)
    assert stored is not None
    stored.title = "Fixed"
    added = ChecklistItem(workspace_id="w1", ticket_no=1, position=9, text="verify")
    stored.checklist = [*stored.checklist[1:], added]
    return repo.save_ticket(stored)


def _all_open_alerts(repo: FleetRepository) -> list[Any]:
    """Every page of the write-sharded pattern: 8 Queries in parallel per page, merged."""
    pages, cursor = [], None
    while True:
        page = repo.all_open_alerts(limit=4, cursor=cursor)
        pages.append(page)
        if page.cursor is None:
            return pages
        cursor = page.cursor


PATHS: dict[str, PathCase] = {
    "create (PutItem)": PathCase(
        "PutItem",
        lambda r: r.create_workspace(Workspace(workspace_id="w2", name="B", created_at=NOW)),
        retry_recognises_itself=True,
    ),
    "create with a unique guard": PathCase(
        "TransactWriteItems",
        lambda r: r.create_user(User(user_id="u2", email="b@x.io", display_name="B")),
        transaction=True,
    ),
    "create an aggregate": PathCase(
        "TransactWriteItems", lambda r: r.create_ticket(ticket(2)), transaction=True
    ),
    "save an aggregate": PathCase("TransactWriteItems", _save, transaction=True),
    "update (UpdateItem)": PathCase(
        "UpdateItem",
        lambda r: r.update_workspace(workspace_id="w1", name="Renamed"),
        retry_recognises_itself=True,
        guarded_resend=True,
    ),
    "update moving a unique guard": PathCase(
        "TransactWriteItems",
        lambda r: r.update_user(user_id="u1", email="c@x.io"),
        transaction=True,
    ),
    "versioned update removing an attribute (UpdateItem)": PathCase(
        "UpdateItem",
        lambda r: r.update_ticket(
            workspace_id="w1", ticket_no=1, priority=5, assignee_id=None, expected_version=1
        ),
        retry_recognises_itself=True,
        guarded_resend=True,
    ),
    # One item, sent as a one-action transaction: its token keeps a retry from deleting an
    # item re-created in between (tests/test_lost_responses.py).
    "delete one item": PathCase(
        "TransactWriteItems", lambda r: r.delete_workspace(workspace_id="w1"), transaction=True
    ),
    "delete an aggregate": PathCase(
        "TransactWriteItems",
        lambda r: r.delete_ticket(workspace_id="w1", ticket_no=1),
        transaction=True,
    ),
    "batch write": PathCase(
        "BatchWriteItem",
        lambda r: r.batch_write(
            put=[Workspace(workspace_id=f"b{n}", name="batch", created_at=NOW) for n in range(30)]
        ),
    ),
    "get": PathCase("GetItem", lambda r: r.get_workspace(workspace_id="w1")),
    "page": PathCase("Query", lambda r: r.open_tickets(workspace_id="w1", limit=1)),
    "view": PathCase("Query", lambda r: r.workspace_overview(workspace_id="w1")),
    "batch get": PathCase(
        "BatchGetItem",
        lambda r: r.batch_get(Workspace, [{"workspace_id": w} for w in ("w4", "w1", "w9", "w3")]),
    ),
    "sharded page": PathCase("Query", _all_open_alerts, example="iot", fanout=8),
}


def snapshot(repo: Any) -> list[tuple[str, str, str]]:
    """The table's items, comparable across tables and backends (sets sorted)."""
    client = repo.table.client
    found, request = [], {"TableName": repo.table_name}
    while True:
        response = client.scan(**request)
        for item in response["Items"]:
            canonical = {
                k: {t: sorted(v) if t in ("SS", "NS") else v for t, v in av.items()}
                for k, av in item.items()
            }
            found.append((item["PK"]["S"], item["SK"]["S"], repr(sorted(canonical.items()))))
        if "LastEvaluatedKey" not in response:
            return sorted(found)
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def comparable(result: Any) -> Any:
    if hasattr(result, "items") and hasattr(result, "cursor"):  # a Page: its cursor is signed
        return [item.model_dump() for item in result.items]
    if isinstance(result, list):
        return [comparable(r) for r in result]
    return result.model_dump() if hasattr(result, "model_dump") else result
