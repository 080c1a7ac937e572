"""The soak's workers: threads running random writes and reads on the examples through the
fault proxy (tests/proxy.py), each call logged with its outcome (:class:`Call`).

Each worker has its own client and repositories (tracker and iot), and a random generator
seeded from the run's seed and its index. The key spaces are small (6 users, 5 emails,
3 tickets, 2 sites), so writers collide. Every write carries a stamp unique to the call (a
user's `display_name`; a ticket's `title` and its checklist items' `text` for create and save,
its `assignee_id` for update), so the checker (tests/soak_invariants.py) can tell which call
wrote what it finds in the table.

Outcomes: "ok" (acknowledged), "failed" (a typed error that says the write was not applied),
"unknown" (`may_have_applied`, or an error dynamodel did not type: the write may or may not
have been applied).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

from dynamodel import DynamodelError
from dynamodel.runtime import errors
from dynamodel.runtime.counters import Increment
from dynamodel.runtime.retry import RetryPolicy
from dynamodel.runtime.transport.client import default_client
from tests.backends import REGION

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/iot/generated"))

from fleet import FleetRepository, SiteAlertCount
from fleet import _schema as fleet_schema
from tracker import ChecklistItem, Membership, Ticket, TrackerRepository, User
from tracker import _schema as tracker_schema

__all__ = [
    "ChecklistItem",
    "FleetRepository",
    "SiteAlertCount",
    "Ticket",
    "TrackerRepository",
    "User",
    "fleet_schema",
    "tracker_schema",
]

WORKERS: Final = 8
WORKSPACE: Final = "w1"
USERS: Final = tuple(f"u{n}" for n in range(6))
EMAILS: Final = tuple(f"e{n}@example.com" for n in range(5))
TICKETS: Final = (1, 2, 3)
Status = Literal["open", "in_progress", "closed"]
STATUSES: Final[tuple[Status, ...]] = ("open", "in_progress", "closed")
POSITIONS: Final = (1, 2, 3, 4)
SITES: Final = ("s1", "s2")  # counted through apply_once: one marker per applied increment
INCREMENT_SITE: Final = "inc"  # counted through increment (not idempotent)
CONSUMER: Final = "soak"
CURSOR_KEY: Final = "soak-cursor-key-" + "k" * 32
READ_TIMEOUT: Final = 2.0  # seconds: the proxy's "stall" answers after it
EXPIRES: Final = datetime(2030, 1, 1, tzinfo=UTC)

OK: Final = "ok"
FAILED: Final = "failed"
UNKNOWN: Final = "unknown"


@dataclass
class Call:
    """One logged call: what it was, when (monotonic seconds), and how it ended."""

    worker: int
    op: str
    key: str  # the item it writes ("User:u1", "Ticket:2", "Counter:s1"); "" for reads
    stamp: str  # unique to the call
    args: dict[str, Any]
    start: float
    end: float = 0.0
    outcome: str = OK
    error: str = ""  # the exception's type, if any
    message: str = ""
    typed: bool = True  # the error (if any) is a DynamodelError
    written: dict[str, Any] = field(default_factory=dict)  # what the checker needs to know
    problem: str = ""  # a read whose result contradicts its own query
    result: Any = None


# Errors saying that a write may or may not have been applied, besides `may_have_applied`.
# Issue 11's fixes add them; looked up by name, so the soak also runs on code without them.
UNCERTAIN_ERRORS: Final = tuple(
    found
    for found in (
        getattr(errors, name, None) for name in ("OutcomeUnknownError", "ResponseIntegrityError")
    )
    if isinstance(found, type)
)


def classify(error: BaseException) -> tuple[str, bool]:
    """(outcome, typed) of a call that raised `error`."""
    typed = isinstance(error, DynamodelError)
    uncertain = isinstance(error, UNCERTAIN_ERRORS) or getattr(error, "may_have_applied", False)
    if not typed or uncertain:
        return UNKNOWN, typed
    return FAILED, typed


def soak_client(endpoint_url: str) -> Any:
    """The client repositories build by default, pointed at the proxy, with a read timeout the
    proxy's "stall" outlasts."""
    return default_client(
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(connect_timeout=READ_TIMEOUT, read_timeout=READ_TIMEOUT),
    )


@dataclass
class Tables:
    tracker: str
    fleet: str


class Worker:
    """One thread's repositories, random generator and log."""

    def __init__(self, index: int, endpoint_url: str, tables: Tables, *, seed: int) -> None:
        client = soak_client(endpoint_url)
        retry = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.2)
        self.index = index
        self.tracker = TrackerRepository(client, tables.tracker, cursor_key=CURSOR_KEY, retry=retry)
        self.fleet = FleetRepository(client, tables.fleet, cursor_key=CURSOR_KEY, retry=retry)
        self.rng = random.Random(seed * 1_000 + index)
        self.log: list[Call] = []
        self.tokens: list[str] = []  # apply_once tokens this worker sent (for redeliveries)
        self.assignees: list[str] = []  # stamps this worker wrote as assignee_id
        self._serial = 0
        # (operation, weight): how often each is picked
        self.ops: tuple[tuple[Callable[[Call], Any], int], ...] = (
            (self.create_user, 3),
            (self.save_user, 3),
            (self.update_user, 3),
            (self.delete_user, 2),
            (self.create_ticket, 2),
            (self.save_ticket, 4),
            (self.update_ticket, 3),
            (self.delete_ticket, 1),
            (self.save_membership, 2),
            (self.apply_once, 3),
            (self.redeliver, 1),
            (self.increment, 1),
            (self.read_users, 2),
            (self.read_tickets, 3),
            (self.read_assignee, 1),
            (self.read_overview, 1),
        )

    def stamp(self) -> str:
        self._serial += 1
        return f"w{self.index}n{self._serial}"

    def step(self) -> Call:
        method, _ = self.rng.choices(self.ops, weights=[weight for _, weight in self.ops])[0]
        call = Call(self.index, method.__name__, "", self.stamp(), {}, time.monotonic())
        try:
            call.result = method(call)
        except Exception as error:
            call.outcome, call.typed = classify(error)
            call.error = type(error).__name__
            call.message = str(error)[:300]
        call.end = time.monotonic()
        self.log.append(call)
        return call

    # Users: display_name is the stamp.
    def _user_key(self, call: Call) -> str:
        user_id = self.rng.choice(USERS)
        call.key = f"User:{user_id}"
        call.args["user_id"] = user_id
        return user_id

    def create_user(self, call: Call) -> Any:
        user = User(
            user_id=self._user_key(call), email=self.rng.choice(EMAILS), display_name=call.stamp
        )
        call.args["email"] = user.email
        return self.tracker.create_user(user)

    def save_user(self, call: Call) -> Any:
        user = User(
            user_id=self._user_key(call), email=self.rng.choice(EMAILS), display_name=call.stamp
        )
        call.args["email"] = user.email
        return self.tracker.save_user(user)

    def update_user(self, call: Call) -> Any:
        user_id = self._user_key(call)
        if self.rng.random() < 0.5:
            call.args["email"] = self.rng.choice(EMAILS)
            return self.tracker.update_user(
                user_id=user_id, email=call.args["email"], display_name=call.stamp
            )
        return self.tracker.update_user(user_id=user_id, display_name=call.stamp)

    def delete_user(self, call: Call) -> None:
        self.tracker.delete_user(user_id=self._user_key(call))

    # Tickets: title and checklist texts are the stamp of the create/save; assignee_id the
    # stamp of an update.
    def _ticket_no(self, call: Call) -> int:
        ticket_no = self.rng.choice(TICKETS)
        call.key = f"Ticket:{ticket_no}"
        call.args["ticket_no"] = ticket_no
        return ticket_no

    def _checklist(self, ticket_no: int, stamp: str) -> list[ChecklistItem]:
        chosen = sorted(self.rng.sample(POSITIONS, self.rng.randint(0, len(POSITIONS))))
        return [
            ChecklistItem(workspace_id=WORKSPACE, ticket_no=ticket_no, position=p, text=stamp)
            for p in chosen
        ]

    def _ticket(self, ticket_no: int, call: Call, base: Ticket | None) -> Ticket:
        fields: dict[str, Any] = {
            "workspace_id": WORKSPACE,
            "ticket_no": ticket_no,
            "title": call.stamp,
            "status": self.rng.choice(STATUSES),
            "priority": self.rng.randint(0, 9),
            "updated_at": datetime.now(UTC),
            "expires_at": EXPIRES if self.rng.random() < 0.5 else None,
            "checklist": self._checklist(ticket_no, call.stamp),
        }
        if base is not None:
            fields["assignee_id"] = base.assignee_id
            fields["version"] = base.version
        ticket = Ticket(**fields)
        call.written = {
            "positions": [item.position for item in ticket.checklist],
            "assignee": ticket.assignee_id,
            "version": ticket.version + 1,  # what create and save store
        }
        return ticket

    def create_ticket(self, call: Call) -> Any:
        ticket_no = self._ticket_no(call)
        return self.tracker.create_ticket(self._ticket(ticket_no, call, None))

    def save_ticket(self, call: Call) -> Any:
        ticket_no = self._ticket_no(call)
        current = self.tracker.get_ticket(workspace_id=WORKSPACE, ticket_no=ticket_no)
        return self.tracker.save_ticket(self._ticket(ticket_no, call, current))

    def update_ticket(self, call: Call) -> Any:
        ticket_no = self._ticket_no(call)
        call.written = {"assignee": call.stamp}
        self.assignees.append(call.stamp)
        return self.tracker.update_ticket(
            workspace_id=WORKSPACE,
            ticket_no=ticket_no,
            status=self.rng.choice(STATUSES),
            assignee_id=call.stamp,
            priority=self.rng.randint(0, 9),
        )

    def delete_ticket(self, call: Call) -> None:
        self.tracker.delete_ticket(workspace_id=WORKSPACE, ticket_no=self._ticket_no(call))

    def save_membership(self, call: Call) -> Any:
        user_id = self.rng.choice(USERS)
        call.key = f"Membership:{user_id}"
        call.args["user_id"] = user_id
        membership = Membership(
            workspace_id=WORKSPACE,
            user_id=user_id,
            role=self.rng.choice(("owner", "admin", "member")),
            joined_at=datetime.now(UTC) - timedelta(days=self.rng.randint(0, 9)),
        )
        return self.tracker.save_membership(membership)

    # Counters.
    def _count(self, call: Call, token: str) -> bool:
        site = token.split(".")[0]
        call.key = f"Counter:{site}"
        call.args.update(site_id=site, token=token)
        increment = Increment(entity=SiteAlertCount, id={"site_id": site}, add={"open_alerts": 1})
        applied: bool = self.fleet.apply_once(token, consumer=CONSUMER, increments=[increment])
        return applied

    def apply_once(self, call: Call) -> bool:
        token = f"{self.rng.choice(SITES)}.{call.stamp}"
        self.tokens.append(token)
        return self._count(call, token)

    def redeliver(self, call: Call) -> bool:
        if not self.tokens:
            return self.apply_once(call)
        return self._count(call, self.rng.choice(self.tokens))

    def increment(self, call: Call) -> Any:
        call.key = f"Counter:{INCREMENT_SITE}"
        call.args["site_id"] = INCREMENT_SITE
        return self.fleet.increment(SiteAlertCount, {"site_id": INCREMENT_SITE}, open_alerts=1)

    # Reads: each checks what came back against its own query.
    def read_users(self, call: Call) -> list[User]:
        email = self.rng.choice(EMAILS)
        call.args["email"] = email
        found = self.tracker.user_by_email(email=email)
        if found is not None and found.email != email:
            call.problem = f"user_by_email({email!r}) returned {found!r}"
        return [found] if found is not None else []

    def read_tickets(self, call: Call) -> list[Ticket]:
        status = self.rng.choice(STATUSES)
        call.args["status"] = status
        if self.rng.random() < 0.5:
            pages = self._pages(
                lambda c: self.tracker.open_tickets(workspace_id=WORKSPACE, limit=1, cursor=c)
            )
            status = "open"
        else:
            pages = self._pages(
                lambda c: self.tracker.tickets_by_status(
                    workspace_id=WORKSPACE, status=status, limit=1, cursor=c
                )
            )
        wrong = [t for t in pages if t.status != status or t.workspace_id != WORKSPACE]
        if wrong:
            call.problem = f"a page of {status!r} tickets holds {wrong!r}"
        return pages

    def read_assignee(self, call: Call) -> list[Ticket]:
        assignee = self.rng.choice(self.assignees) if self.assignees else "nobody"
        call.args["assignee_id"] = assignee
        pages = self._pages(
            lambda c: self.tracker.tickets_for_assignee(assignee_id=assignee, limit=1, cursor=c)
        )
        wrong = [t for t in pages if t.assignee_id != assignee]
        if wrong:
            call.problem = f"tickets_for_assignee({assignee!r}) returned {wrong!r}"
        return pages

    def read_overview(self, call: Call) -> None:
        view = self.tracker.workspace_overview(workspace_id=WORKSPACE)
        wrong = [m for m in view.members if m.workspace_id != WORKSPACE]
        if wrong:
            call.problem = f"workspace_overview({WORKSPACE!r}) holds {wrong!r}"

    @staticmethod
    def _pages(read: Callable[[str | None], Any], most: int = 4) -> list[Any]:
        """Up to `most` pages, following each page's cursor."""
        items: list[Any] = []
        cursor: str | None = None
        for _ in range(most):
            page = read(cursor)
            items.extend(page.items)
            cursor = page.cursor
            if cursor is None:
                break
        return items


def run_workers(
    endpoint_url: str, tables: Tables, *, seed: int, seconds: float, workers: int = WORKERS
) -> list[Call]:
    """Run `workers` threads for `seconds`; every call they made, in the order they ended."""
    crew = [Worker(index, endpoint_url, tables, seed=seed) for index in range(workers)]
    deadline = time.monotonic() + seconds
    crashed: list[BaseException] = []

    def body(worker: Worker) -> None:
        try:
            while time.monotonic() < deadline:
                worker.step()
        except BaseException as error:  # a bug in the harness itself: fail the run loudly
            crashed.append(error)

    threads = [threading.Thread(target=body, args=(w,), daemon=True) for w in crew]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    if crashed:
        raise crashed[0]
    if any(t.is_alive() for t in threads):
        raise AssertionError("a soak worker did not finish")
    return sorted((call for w in crew for call in w.log), key=lambda c: c.end)
