"""Capacity and cost estimates: DynamoDB's rounding rules, the spec's hints, and — the oracle —
the units that the generated repository's real requests consume.

The measured side records every request a repository method sends (botocore's events on
moto in process) and the items each one reads or writes, and applies DynamoDB's documented
rules to them: reads per 4 KB of what a request returns (half when eventually consistent),
writes per 1 KB per item, twice inside a transaction, once more per GSI the item is in. The
estimate is computed with the measured item sizes (`estimate_capacity(item_bytes=...)`), on
a table seeded to hold exactly the counts the estimate assumes (`per_partition`). If the
estimate miscounted requests, items, transactions or index copies, the two would differ.
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean
from typing import Any

import boto3
import pytest

from dynamodel.compiler.design.capacity import (
    PRICES,
    SECONDS_PER_MONTH,
    estimate_capacity,
    monthly_cost,
    provisioned_monthly_cost,
    read_units,
    write_units,
)
from dynamodel.compiler.design.ir import CapacityEstimate, Design
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.runtime.sizes import item_size

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))

from tracker import (
    ChecklistItem,
    Membership,
    Team,
    Ticket,
    TrackerRepository,
    User,
    Workspace,
)

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DATA_PLANE = {"GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}
Item = dict[str, Any]


def design_of(text: str) -> Design:
    result = compile_spec(text, path="spec.yaml")
    assert result.design is not None, result.rendered()
    return result.design


# -- the rules -------------------------------------------------------------------------------


def test_read_units_round_up_per_4_kb_and_halve_when_eventual() -> None:
    assert read_units(1, consistent=True) == 1
    assert read_units(4096, consistent=True) == 1
    assert read_units(4097, consistent=True) == 2
    assert read_units(4097, consistent=False) == 1
    assert read_units(0, consistent=False) == 0.5  # a request costs at least half a unit


def test_write_units_round_up_per_kb() -> None:
    assert [write_units(n) for n in (0, 1, 1024, 1025, 2048, 2049)] == [1, 1, 1, 2, 2, 3]


def test_monthly_cost_is_rate_times_a_730_hour_month_times_unit_prices() -> None:
    assert SECONDS_PER_MONTH == 2_628_000
    cost = monthly_cost(10.0, reads=0.5, writes=2.0)
    assert cost == pytest.approx(
        10 * 2_628_000 * (0.5 * PRICES.read_per_million + 2 * PRICES.write_per_million) / 1e6
    )
    assert monthly_cost(None, reads=1.0) is None


SPEC = """
version: 1
table: {name: Shop, billing: provisioned, read_capacity: 1, write_capacity: 1}
entities:
  Customer:
    id: [customer_id]
    attributes: {customer_id: str, email: str}
    unique: [email]
    size: 3 KB
    write_rates: {create: 2}
  Order:
    id: [customer_id, order_id]
    attributes: {customer_id: str, order_id: str, placed_at: datetime}
    size: 5000
access_patterns:
  get_customer: {entity: Customer, by: [customer_id], rate: 4}
  orders: {entity: Order, by: [customer_id], sort: placed_at, limit: 3, rate: 1}
"""


def test_hints_set_sizes_rates_and_the_monthly_total() -> None:
    design = design_of(SPEC)
    capacity = design.capacity
    assert capacity.size_of("Customer").bytes == 3072 and capacity.size_of("Customer").hinted
    assert capacity.size_of("Order").bytes == 5000
    orders = next(r for r in capacity.reads if r.pattern == "orders")
    # Orders by customer: the table's partition, eventually consistent, limit + 1 items (the
    # partition's default count is 10, more than a page).
    assert (orders.items, orders.bytes) == (4, 20_000)
    assert orders.read_units == math.ceil(20_000 / 4096) / 2
    create = next(w for w in capacity.writes if w.method == "create_customer")
    # The customer and its email guard in one transaction: 3 units and 1, each doubled.
    assert create.operation == "TransactWriteItems" and create.table_units == 2 * (3 + 1)
    assert create.rate == 2
    total = sum(
        e.monthly_cost for e in (*capacity.reads, *capacity.writes) if e.monthly_cost is not None
    )
    assert capacity.monthly_cost == pytest.approx(total) and total > 0


def test_a_provisioned_table_too_small_for_the_rates_is_warned_about() -> None:
    design = design_of(SPEC)
    messages = [w.message for w in design.warnings]
    assert any("the table needs about" in m and "write capacity" in m for m in messages)
    assert any("the table needs about" in m and "read capacity" in m for m in messages)
    # 1 read and 1 write unit on the table and its GSI, 730 hours
    expected = 2 * (PRICES.read_unit_hour + PRICES.write_unit_hour) * 730
    assert provisioned_monthly_cost(design) == pytest.approx(expected)
    roomy = design_of(
        SPEC.replace(
            "read_capacity: 1, write_capacity: 1", "read_capacity: 100, write_capacity: 100"
        )
    )
    assert not roomy.warnings


def test_estimated_sizes_come_close_to_stored_items() -> None:
    """Without hints, the estimate from attribute types is within a factor of two of the
    size of a realistic stored ticket (ids, a title, a timestamp, labels)."""
    design = design_of((ROOT / "examples/tracker/spec.yaml").read_text())
    with recording_repository() as (repo, _):
        repo.create_ticket(ticket(1, checklist=0))
        stored = scan(repo)
    real = mean(item_size(i) for i in stored.values() if i["_type"]["S"] == "Ticket")
    estimate = design.capacity.size_of("Ticket").bytes
    assert real / 2 <= estimate <= real * 2, (estimate, real)


# -- the oracle: what the real requests consume ----------------------------------------------


class Meter:
    """Counts the units of every request a client sends, by DynamoDB's rules."""

    def __init__(self, client: Any, table: str, gsis: list[tuple[str, str, str]]) -> None:
        self.client, self.table, self.gsis = client, table, gsis
        self.reads = 0.0
        self.items_read = 0
        self.table_writes = 0.0
        self.index_writes: dict[str, float] = defaultdict(float)
        self.operations: list[str] = []
        self._before: dict[tuple[str, str], Item] = {}
        self._pending: dict[str, Any] = {}
        events = client.meta.events
        events.register("provide-client-params.dynamodb", self._request)
        events.register("after-call.dynamodb", self._response)

    def reset(self, stored: dict[tuple[str, str], Item]) -> None:
        self.reads, self.items_read, self.table_writes = 0.0, 0, 0.0
        self.index_writes.clear()
        self.operations.clear()
        self._before = dict(stored)

    def _request(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._pending = {"operation": model.name, "params": dict(params)}

    def _gsis_of(self, item: Item | None) -> list[str]:
        if item is None:
            return []
        return [name for name, pk, sk in self.gsis if pk in item and sk in item]

    def _write(self, before: Item | None, after: Item | None, *, factor: int) -> None:
        size = max(item_size(i) for i in (before, after) if i is not None)
        self.table_writes += factor * write_units(size)
        for index in sorted(set(self._gsis_of(before)) | set(self._gsis_of(after))):
            self.index_writes[index] += write_units(size)

    def _key(self, item: Item) -> tuple[str, str]:
        return item["PK"]["S"], item["SK"]["S"]

    def _response(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        operation, params = model.name, self._pending["params"]
        if operation not in DATA_PLANE:
            return  # the test's own scans and the table's creation
        self.operations.append(operation)
        if operation in ("GetItem", "Query"):
            returned = [parsed["Item"]] if "Item" in parsed else parsed.get("Items", [])
            size = sum(item_size(i) for i in returned)
            self.items_read += len(returned)
            self.reads += read_units(size, consistent=bool(params.get("ConsistentRead")))
            return
        actions: list[tuple[str, dict[str, Any]]]
        if operation == "TransactWriteItems":
            actions = [next(iter(a.items())) for a in params["TransactItems"]]
            factor = 2
        else:
            actions = [(operation.removesuffix("Item"), params)]
            factor = 1
        for kind, request in actions:
            if kind == "Put":
                item = request["Item"]
                self._write(self._before.get(self._key(item)), item, factor=factor)
            elif kind == "Delete":
                self._write(self._before[self._key(request["Key"])], None, factor=factor)
            elif kind == "Update":
                key = self._key(request["Key"])
                after = self._stored(request["Key"])
                self._write(self._before[key], after, factor=factor)
            elif kind == "ConditionCheck":
                # Charged as a write of the checked item (twice, in a transaction); it writes
                # no index.
                checked = self._stored(request["Key"])
                self.table_writes += factor * write_units(item_size(checked))
            else:
                raise AssertionError(f"unexpected action {kind}")

    def _stored(self, key: Item) -> Item:
        pending, counted = self._pending, (self.reads, list(self.operations))
        found = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        # That read was the meter's own, not the repository's: uncount it.
        self._pending, (self.reads, self.operations) = pending, counted
        return dict(found["Item"])


def scan(repo: TrackerRepository) -> dict[tuple[str, str], Item]:
    items = repo.table.client.scan(TableName=repo.table_name)["Items"]
    return {(i["PK"]["S"], i["SK"]["S"]): i for i in items}


def ticket(number: int, *, checklist: int = 10) -> Ticket:
    return Ticket(
        workspace_id="w1",
        ticket_no=number,
        title=f"Fix the flaky export job #{number}",
        status="open",
        assignee_id="a1",  # in every GSI: the estimate counts every index the entity is in
        priority=2,
        updated_at=NOW + timedelta(minutes=number),
        labels={"bug", "backend"},
        checklist=[
            ChecklistItem(workspace_id="w1", ticket_no=number, position=p, text=f"step {p}")
            for p in range(checklist)
        ],
    )


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


@contextmanager
def recording_repository(
    items: Iterable[Item] = (),
) -> Iterator[tuple[TrackerRepository, Meter]]:
    """The tracker's repository on moto in process (a plain boto3 client, so that the meter
    sees every request's parameters) holding `items`, and a meter on its client."""
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        repo = TrackerRepository(client=client, table_name="Capacity", cursor_key="k" * 32)
        repo.create_table()
        for item in items:
            client.put_item(TableName=repo.table_name, Item=item)
        gsis = [(name, pk, sk) for name, (pk, sk) in repo.INDEX_KEYS.items() if name]
        yield repo, Meter(client, repo.table_name, gsis)


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
