"""Shared parameters and helpers of the contention tests (tests/test_contention.py) and of the
consistency checker's own test (tests/test_consistency_checker.py), on the tracker example:
threads released together behind a barrier (`run_threads`, `race`), thread-safe counts of
outcomes (`Tally`), the whole-table check of the tracker's items (`check`,
`assert_consistent`), what a `UniqueValueTakenError` must say (`assert_taken`), the guards in
the table (`guards_by_email`, `guard_pk`) and the checklist a save writes (`checklist_for`).
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from dynamodel import UniqueValueTakenError
from dynamodel.runtime.schema import OWNER_ATTRIBUTE, TYPE_ATTRIBUTE
from dynamodel.runtime.writes import GUARD_TYPE
from tests.consistency import ConsistencyReport, check_table, scan_items

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "examples" / "tracker" / "generated")
)

from tracker import ChecklistItem, User
from tracker import _schema as tracker_schema

T = TypeVar("T")

THREADS = 8
INCREMENTS = 6  # successful writes per thread on the aggregate
CLAIM_ROUNDS = 4  # emails raced for by THREADS new users each
MOVE_ROUNDS = 6  # rounds where THREADS users race to move to one free email
CHURN_OPS = 20  # operations per thread in the free-for-all
POOL = tuple(f"pool{n:02d}@example.com" for n in range(THREADS + 4))  # THREADS held, 4 free
WORKSPACE = "w1"
EXPIRES = datetime(2027, 1, 1, tzinfo=UTC)
JOIN_TIMEOUT = 120.0


def check(client: Any, table_name: str) -> ConsistencyReport:
    """The whole-table check of the tracker's items (asserted by the caller, after the run's
    figures are recorded: a failed run still shows its figures)."""
    return check_table(client, table_name, tracker_schema.SCHEMAS, tracker_schema.INDEX_KEYS)


def assert_consistent(report: ConsistencyReport) -> None:
    assert report.ok, str(report)
    assert report.invariants_checked > 0


class Tally:
    """Thread-safe counts of outcomes."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n

    def __getitem__(self, name: str) -> int:
        return self.counts[name]


def run_threads(worker: Callable[[int], None], threads: int = THREADS) -> None:
    """Run worker(0..threads-1) in threads released together by a barrier; re-raise the first
    error any of them raised (a thread must not fail silently)."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def body(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            worker(index)
        except BaseException as error:
            errors.append(error)

    pool = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in pool), "a contention thread did not finish"
    if errors:
        raise errors[0]


def race(calls: Sequence[Callable[[], T]]) -> list[T | Exception]:
    """Start every call at once (one thread each, behind a barrier); each one's result or the
    exception it raised, in the order of `calls`."""
    outcomes: list[T | Exception | None] = [None] * len(calls)

    def worker(index: int) -> None:
        try:
            outcomes[index] = calls[index]()
        except Exception as error:
            outcomes[index] = error

    run_threads(worker, len(calls))
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def owner_text(user_id: str) -> str:
    """How an error names the item holding a value (runtime/writes.py: PK and SK)."""
    key = tracker_schema.user_key(user_id=user_id)
    return f"{key['PK']['S']} {key['SK']['S']}"


def assert_taken(error: object, email: str, holder: str | None) -> None:
    assert isinstance(error, UniqueValueTakenError), repr(error)
    assert error.entity == "User"
    assert error.attributes == ("email",)
    assert error.values == (email,)
    assert repr(email) in str(error), str(error)
    if holder is not None:
        assert f"(held by {owner_text(holder)})" in str(error), str(error)


def guards_by_email(client: Any, table_name: str) -> dict[str, str]:
    """Every User.email guard in the table: its key's PK -> its owner's PK."""
    items, _ = scan_items(client, table_name)
    return {
        item["PK"]["S"]: item[OWNER_ATTRIBUTE]["S"].split("\n")[0]
        for item in items
        if item.get(TYPE_ATTRIBUTE, {}).get("S") == GUARD_TYPE
    }


def guard_pk(email: str) -> str:
    located = tracker_schema.USER.unique[0].key(User(user_id="x", email=email, display_name="x"))
    assert located is not None
    return str(located["PK"]["S"])


def checklist_for(counter: int) -> list[ChecklistItem]:
    """The members a save writes at this counter value: 1 to 4 items, so saves add and delete
    members, and every item names the counter."""
    return [
        ChecklistItem(
            workspace_id=WORKSPACE,
            ticket_no=1,
            position=position,
            text=f"c{counter}",
            done=(position + counter) % 2 == 0,
        )
        for position in range(1, counter % 4 + 2)
    ]
