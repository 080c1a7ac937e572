"""Capacity and cost estimates against the oracle: the units that the generated repository's
real requests consume.

The measured side (tests/capacity_meter.py) records every request a repository method sends
(botocore's events on moto in process) and the items each one reads or writes, and applies
DynamoDB's documented rules to them: reads per 4 KB of what a request returns (half when
eventually consistent), writes per 1 KB per item, twice inside a transaction, once more per
GSI the item is in. The estimate is computed with the measured item sizes
(`estimate_capacity(item_bytes=...)`), on a table seeded to hold exactly the counts the
estimate assumes (`per_partition`). If the estimate miscounted requests, items, transactions
or index copies, the two would differ. The rules themselves are tested in
tests/test_capacity_rules.py.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from statistics import mean

import pytest

from dynamodel.compiler.design.capacity import estimate_capacity
from dynamodel.compiler.design.ir import CapacityEstimate
from dynamodel.runtime.sizes import item_size
from tests.capacity_meter import (
    NOW,
    ROOT,
    Item,
    Meter,
    design_of,
    recording_repository,
    scan,
    ticket,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))

from tracker import Membership, Team, TrackerRepository, User, Workspace

Seeded = tuple[TrackerRepository, Meter, dict[tuple[str, str], Item], CapacityEstimate]


@pytest.fixture(scope="module")
def seeded_once() -> tuple[dict[tuple[str, str], Item], CapacityEstimate]:
    """The items of the seeded tracker table, and the estimate computed with their sizes.

    Seeding writes through the repository once per module (its transactions are slow on moto,
    which copies the table for each); every test then gets a fresh table holding exactly
    those items, put back as they were stored."""
    with recording_repository() as (repo, _):
        seed(repo)
        stored = scan(repo)
    design = design_of((ROOT / "examples/tracker/spec.yaml").read_text())
    estimate, _ = estimate_capacity(design, item_bytes=measured_sizes(stored))
    return stored, estimate


@pytest.fixture
def seeded(
    seeded_once: tuple[dict[tuple[str, str], Item], CapacityEstimate],
) -> Iterator[Seeded]:
    """The seeded tracker table, its meter, its items, and the estimate."""
    stored, estimate = seeded_once
    with recording_repository(items=stored.values()) as (repo, meter):
        assert scan(repo) == stored
        yield repo, meter, stored, estimate


def seed(repo: TrackerRepository) -> None:
    """Exactly the counts the estimate assumes: 10 of everything listed per partition."""
    repo.create_workspace(Workspace(workspace_id="w1", name="Acme", created_at=NOW))
    repo.create_user(User(user_id="u1", email="u1@example.com", display_name="U One"))
    repo.create_team(Team(workspace_id="w1", team_id="t1", name="Platform"))
    for n in range(10):  # ten members of w1 (all in team t1), and u1 in ten workspaces
        repo.save_membership(
            Membership(
                workspace_id="w1", user_id=f"u{n + 1}", role="member", joined_at=NOW, team_id="t1"
            )
        )
        in_w1 = "t1" if n == 0 else None  # (w1, u1) is one of both: it stays in t1
        repo.save_membership(
            Membership(
                workspace_id=f"w{n + 1}", user_id="u1", role="admin", joined_at=NOW, team_id=in_w1
            )
        )
    for number in range(1, 11):
        repo.create_ticket(ticket(number))


def measured_sizes(stored: dict[tuple[str, str], Item]) -> dict[str, int]:
    by_type: dict[str, list[int]] = defaultdict(list)
    for item in stored.values():
        by_type[item["_type"]["S"]].append(item_size(item))
    return {name: math.ceil(mean(sizes)) for name, sizes in by_type.items()}


READS: dict[str, Callable[[TrackerRepository], object]] = {
    "get_workspace": lambda r: r.get_workspace(workspace_id="w1"),
    "get_user": lambda r: r.get_user(user_id="u1"),
    "user_by_email": lambda r: r.user_by_email(email="u1@example.com"),
    "members_of_workspace": lambda r: r.members_of_workspace(workspace_id="w1"),
    "workspaces_of_user": lambda r: r.workspaces_of_user(user_id="u1"),
    "get_ticket": lambda r: r.get_ticket(workspace_id="w1", ticket_no=1),
    "tickets_by_status": lambda r: r.tickets_by_status(workspace_id="w1", status="open"),
    "tickets_for_assignee": lambda r: r.tickets_for_assignee(assignee_id="a1"),
    "open_tickets": lambda r: r.open_tickets(workspace_id="w1"),
    "workspace_overview": lambda r: r.workspace_overview(workspace_id="w1"),
    "get_team": lambda r: r.get_team(workspace_id="w1", team_id="t1"),
    "membership_copies_of_team": lambda r: r.membership_copies_of_team(
        workspace_id="w1", team_id="t1"
    ),
}


def _save_renamed(repo: TrackerRepository) -> Callable[[], object]:
    stored = repo.get_ticket(workspace_id="w1", ticket_no=1)  # read before the measured call
    assert stored is not None
    stored.title = "Renamed"
    return lambda: repo.save_ticket(stored)


# Each prepares (unmeasured) and returns the call to measure.
WRITES: dict[str, Callable[[TrackerRepository], Callable[[], object]]] = {
    "create_workspace": lambda r: (
        lambda: r.create_workspace(Workspace(workspace_id="w99", name="New", created_at=NOW))
    ),
    "update_workspace": lambda r: lambda: r.update_workspace(workspace_id="w1", name="Renamed"),
    "delete_workspace": lambda r: lambda: r.delete_workspace(workspace_id="w1"),
    "create_user": lambda r: (
        lambda: r.create_user(User(user_id="u99", email="u99@example.com", display_name="New"))
    ),
    "update_user": lambda r: lambda: r.update_user(user_id="u1", display_name="Renamed"),
    "delete_user": lambda r: lambda: r.delete_user(user_id="u1"),
    "create_team": lambda r: (
        lambda: r.create_team(Team(workspace_id="w1", team_id="t99", name="New"))
    ),
    "update_team": lambda r: lambda: r.update_team(workspace_id="w1", team_id="t1", name="Tools"),
    "delete_team": lambda r: lambda: r.delete_team(workspace_id="w1", team_id="t1"),
    # A holder of a copy: the Team is read, and checked in the write's transaction.
    "save_membership": lambda r: (
        lambda: r.save_membership(
            Membership(workspace_id="w1", user_id="u2", role="owner", joined_at=NOW, team_id="t1")
        )
    ),
    "delete_membership": lambda r: lambda: r.delete_membership(workspace_id="w1", user_id="u2"),
    "create_ticket": lambda r: lambda: r.create_ticket(ticket(42)),
    "save_ticket": _save_renamed,
    "update_ticket": lambda r: (
        lambda: r.update_ticket(workspace_id="w1", ticket_no=1, title="Renamed")
    ),
    "delete_ticket": lambda r: lambda: r.delete_ticket(workspace_id="w1", ticket_no=1),
}


@pytest.mark.parametrize("pattern", list(READS))
def test_read_estimates_match_the_units_of_the_real_requests(seeded: Seeded, pattern: str) -> None:
    repo, meter, stored, estimate = seeded
    expected = next(r for r in estimate.reads if r.pattern == pattern)
    meter.reset(stored)
    READS[pattern](repo)
    assert len(meter.operations) == expected.requests
    assert meter.operations == [expected.operation] * expected.requests
    assert meter.items_read == expected.items
    assert meter.reads == pytest.approx(expected.read_units)


@pytest.mark.parametrize("method", list(WRITES))
def test_write_estimates_match_the_units_of_the_real_requests(seeded: Seeded, method: str) -> None:
    repo, meter, stored, estimate = seeded
    expected = next(w for w in estimate.writes if w.method == method)
    call = WRITES[method](repo)
    meter.reset(stored)
    call()
    writes = [op for op in meter.operations if op not in ("GetItem", "Query")]
    assert writes == [expected.operation]
    assert meter.reads == pytest.approx(expected.read_units)
    assert meter.table_writes == pytest.approx(expected.table_units)
    assert dict(meter.index_writes) == pytest.approx(dict(expected.index_units))
