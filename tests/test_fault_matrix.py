"""Every write and read path of a generated repository under every injected fault, on every
backend: a fault that clears up is retried (with backoff, the same request and token) and the
call succeeds with exactly the fault-free outcome; a fault that persists surfaces as a typed
`RetriesExhaustedError`, and the table holds the whole change or none of it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dynamodel import BatchIncompleteError, RetriesExhaustedError
from dynamodel.runtime.retry import RetryPolicy
from tests.faults import APPLIED_FAULTS, FAULTS, INJECTED, FaultInjector

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "examples" / "tracker" / "generated")
)

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


def seed(repo: TrackerRepository) -> None:
    repo.create_workspace(Workspace(workspace_id="w1", name="Acme", created_at=NOW))
    repo.create_user(User(user_id="u1", email="a@x.io", display_name="A"))
    repo.create_ticket(ticket(1))


@dataclass(frozen=True)
class PathCase:
    operation: str  # the DynamoDB operation the fault is injected into
    act: Callable[[TrackerRepository], Any]
    transaction: bool = False
    # A conditional single-item write whose every response is lost: its retry fails the
    # condition on the item its first attempt wrote, which the runtime recognises as done.
    # (Other writes apply again, idempotently, lose that response too, and give up.)
    retry_recognises_itself: bool = False

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
        "UpdateItem", lambda r: r.update_workspace(workspace_id="w1", name="Renamed")
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
    ),
    "delete (DeleteItem)": PathCase(
        "DeleteItem", lambda r: r.delete_workspace(workspace_id="w1"), retry_recognises_itself=True
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
        "BatchGetItem", lambda r: r.batch_get(Workspace, [{"workspace_id": "w1"}])
    ),
}


def snapshot(repo: TrackerRepository) -> list[tuple[str, str, str]]:
    """The table's items, comparable across tables and backends (sets sorted)."""
    client = repo._table.client
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


@pytest.fixture
def repos(dynamodb_client: Any, table_name: str) -> tuple[TrackerRepository, TrackerRepository]:
    """A repository under faults and a fault-free reference, seeded alike."""
    made = []
    for suffix in ("", "ref"):
        repo = TrackerRepository(
            client=dynamodb_client,
            table_name=table_name + suffix,
            cursor_key="faults",
            retry=FAST_RETRIES,
        )
        repo.create_table()
        seed(repo)
        made.append(repo)
    return made[0], made[1]


@pytest.mark.parametrize("mode", ["once", "always"])
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("path", list(PATHS))
def test_fault(
    backend: str,
    repos: tuple[TrackerRepository, TrackerRepository],
    path: str,
    fault: str,
    mode: str,
) -> None:
    case = PATHS[path]
    if backend == "moto_server" or (backend == "ministack" and fault not in APPLIED_FAULTS):
        # The full matrix runs in process; over HTTP, MiniStack proves what only a server
        # honouring ClientRequestToken can: lost responses, transactions included.
        pytest.skip("the full fault matrix runs on moto in process")
    if fault == "conflict" and case.operation == "BatchWriteItem":
        pytest.skip("batch writes take part in no transaction")
    if fault in APPLIED_FAULTS and case.transaction and backend != "ministack":
        # moto ignores ClientRequestToken: the retry of an applied transaction is applied
        # again (or fails its conditions). MiniStack honours the token, as DynamoDB does.
        pytest.skip("only MiniStack applies a transaction once per ClientRequestToken")
    repo, reference = repos
    before = snapshot(repo)
    expected = comparable(case.act(reference))
    after = snapshot(reference)
    injector = FaultInjector(repo._table.client)
    times = 1 if mode == "once" else FAST_RETRIES.max_attempts
    injector.arm(case.operation, fault, times=times)
    if mode == "once" or (fault in APPLIED_FAULTS and case.retry_recognises_itself):
        assert comparable(case.act(repo)) == expected
        assert snapshot(repo) == after
        assert len(injector.injected) == 1  # the retry went through
    else:
        with pytest.raises((RetriesExhaustedError, BatchIncompleteError)) as caught:
            case.act(repo)
        error = caught.value
        state = snapshot(repo)
        if isinstance(error, BatchIncompleteError):
            # Not atomic: whatever is missing is listed (a chunk whose answer was lost may
            # be written and listed too: writing it again is harmless).
            listed = {r["PutRequest"]["Item"]["PK"]["S"] for r in error.unprocessed}
            assert set(before) <= set(state) <= set(after)
            assert all(pk in listed for pk, _, _ in set(after) - set(state))
            if fault not in APPLIED_FAULTS:
                assert state == before  # the first chunk already failed, unsent
            error = error.__cause__  # type: ignore[assignment]
        assert isinstance(error, RetriesExhaustedError)
        assert error.operation == case.operation
        assert len(injector.injected) == times  # every attempt failed
        applied = fault in APPLIED_FAULTS or fault in ("internal_error", "unavailable")
        assert error.may_have_applied is applied
        if case.operation == "BatchWriteItem":
            pass  # checked above: a batch is not atomic
        elif fault in APPLIED_FAULTS and case.writes:
            assert state == after  # applied once, by the first attempt
        else:
            assert state == before  # refused before it was sent
    # Every retry resent the very same request (for a transaction: the same token); a batch
    # moves on to its next chunk afterwards.
    retried = injector.bodies[: len(injector.injected) + 1]
    assert len(retried) >= min(2, times) and len(set(retried)) == 1
    injector.disarm()
    INJECTED.extend((backend, path, fault, mode) for _ in injector.injected)
