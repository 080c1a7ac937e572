"""Capacity and cost estimates: DynamoDB's rounding rules, the prices, the spec's hints, the
warnings about a provisioned table too small for its rates, and item sizes estimated from
attribute types against a realistic stored item. The estimates against the units that the
generated repository's real requests consume are tested in tests/test_capacity_oracle.py."""

from __future__ import annotations

import math
from statistics import mean

import pytest

from dynamodel.compiler.design.capacity import (
    PRICES,
    SECONDS_PER_MONTH,
    monthly_cost,
    provisioned_monthly_cost,
    read_units,
    write_units,
)
from dynamodel.runtime.sizes import item_size
from tests.capacity_meter import ROOT, design_of, recording_repository, scan, ticket


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
