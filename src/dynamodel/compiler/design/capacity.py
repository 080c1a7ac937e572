"""Capacity and cost estimates: what each access pattern and each generated write method
consumes per call, and, where the spec gives rates, what that costs per month on demand.

DynamoDB's rules, as applied here (see docs/capacity.md):

- A read costs one unit per 4 KB read, rounded up, per request: GetItem rounds the item,
  Query rounds the sum of the items it reads; at least one unit per request. Eventually
  consistent reads (every GSI read, and table reads unless strongly consistent) cost half.
- A write costs one unit per 1 KB of the item, rounded up, per item, on the table and again
  on every GSI the item is copied into (write amplification). A transaction costs two units
  per KB of each item it writes on the table; its index copies are counted at one unit per
  KB, as for any write (an assumption, stated in the docs).
- A page reads `limit + 1` items (the runtime asks for one more, so that the cursor is None
  exactly on the last page), or the whole partition when it typically holds fewer (the
  entity's `per_partition`); a sharded pattern sends one Query per shard, each over its share.
- Writes count the common case: no unique value moves, no index key changes (a changed GSI
  key costs that index two writes: a delete and a put), no member is dropped.

Prices are those of the standard table class in a region (`prices.py`: us-east-1 unless
`design --region` or `--prices` says otherwise); a month is 730 hours, as AWS bills. `priced`
prices a design's estimates again at other prices: the units do not depend on them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace

from dynamodel.compiler.design.ir import (
    DEFAULT_LIMIT,
    TABLE,
    CapacityEstimate,
    Design,
    EntityDesign,
    ItemSize,
    PatternPlan,
    ReadEstimate,
    ViewPart,
    WriteEstimate,
)
from dynamodel.compiler.design.item_sizes import (
    estimated_item_bytes,
    guard_item_bytes,
    table_key_bytes,
)
from dynamodel.compiler.design.prices import PRICES, SECONDS_PER_MONTH, Prices
from dynamodel.compiler.diagnostics import Diagnostic, warning
from dynamodel.compiler.names import snake_case
from dynamodel.compiler.spec.updates import updatable

__all__ = [
    "PRICES",
    "SECONDS_PER_MONTH",
    "Prices",
    "estimate_capacity",
    "monthly_cost",
    "priced",
    "provisioned_monthly_cost",
]

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
DEFAULT_PER_PARTITION = 10


def read_units(size: int, *, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))


def monthly_cost(
    rate: float | None, *, reads: float = 0.0, writes: float = 0.0, prices: Prices = PRICES
) -> float | None:
    """USD per month on demand of `rate` calls a second, each of these units."""
    if rate is None:
        return None
    per_call = reads * prices.read_per_million + writes * prices.write_per_million
    return rate * SECONDS_PER_MONTH * per_call / 1_000_000


def provisioned_monthly_cost(design: Design) -> float | None:
    """What a provisioned table's configured capacity costs per month: the table's read and
    write units, and the same again for every GSI (which gets the table's settings)."""
    table = design.spec.table
    if table.billing != "provisioned" or table.read_capacity is None:
        return None
    assert table.write_capacity is not None
    prices = design.capacity.prices
    per_hour = table.read_capacity * prices.read_unit_hour
    per_hour += table.write_capacity * prices.write_unit_hour
    return per_hour * (1 + len(design.indexes)) * SECONDS_PER_MONTH / 3600


def estimate_capacity(
    design: Design, *, item_bytes: Mapping[str, int] | None = None, prices: Prices = PRICES
) -> tuple[CapacityEstimate, tuple[Diagnostic, ...]]:
    """The estimates, and warnings where the rates exceed a provisioned table's capacity.
    `item_bytes` overrides the item size of entities (the tests use measured sizes)."""
    sizes = tuple(_item_size(design, entity, item_bytes or {}) for entity in design.entities)
    by_entity = {size.entity: size for size in sizes}
    reads = tuple(_read(design, plan, by_entity, prices) for plan in design.patterns)
    writes = tuple(
        estimate
        for entity in design.entities
        if entity.aggregate_root is None
        for estimate in _writes(design, entity, by_entity, prices)
    )
    costs = [e.monthly_cost for e in reads if e.monthly_cost is not None]
    costs += [e.monthly_cost for e in writes if e.monthly_cost is not None]
    estimate = CapacityEstimate(
        sizes=sizes,
        reads=reads,
        writes=writes,
        monthly_cost=sum(costs) if costs else None,
        prices=prices,
    )
    return estimate, _provisioned_warnings(design, estimate)


def priced(design: Design, prices: Prices) -> Design:
    """The design with its estimates priced at `prices` (its units, sizes and warnings stay:
    they do not depend on prices)."""
    if prices == design.capacity.prices:
        return design
    capacity, _ = estimate_capacity(design, prices=prices)
    return replace(design, capacity=capacity)


def _item_size(design: Design, entity: EntityDesign, given: Mapping[str, int]) -> ItemSize:
    spec_entity = design.spec.entity(entity.name)
    assert spec_entity is not None
    size = given.get(entity.name) or spec_entity.size
    return ItemSize(
        entity=entity.name,
        bytes=size or estimated_item_bytes(design, entity),
        hinted=size is not None,
        per_partition=spec_entity.per_partition or DEFAULT_PER_PARTITION,
    )


def _aggregate_counts(
    design: Design, root: EntityDesign, sizes: dict[str, ItemSize]
) -> dict[str, int]:
    """How many items of each entity one aggregate holds: the root, each member's
    `per_partition` times its parent's count (members of members multiply)."""
    counts = {root.name: 1}
    for member in root.members:  # depth first, so a parent is counted before its members
        parent = design.spec.root_of(member)
        assert parent is not None
        counts[member] = counts.get(parent.name, 1) * sizes[member].per_partition
    return counts


def _read(
    design: Design, plan: PatternPlan, sizes: dict[str, ItemSize], prices: Prices
) -> ReadEstimate:
    index = plan.index or TABLE
    pattern = design.spec.pattern(plan.name)
    assert pattern is not None
    consistent = plan.consistent
    requests = plan.shards or 1
    if plan.kind == "aggregate":
        assert plan.entity is not None
        counts = _aggregate_counts(design, design.entity(plan.entity), sizes)
        items = sum(counts.values())
        size = sum(sizes[name].bytes * count for name, count in counts.items())
    elif plan.kind == "view":
        # A bounded view reads at most `limit` + 1 list items (the one more tells whether a
        # next page exists); otherwise the whole list, per_partition items.
        def listed(part: ViewPart) -> int:
            in_partition = sizes[part.entity].per_partition
            return min(plan.limit + 1, in_partition) if plan.limit else in_partition

        items = sum(listed(part) if part.many else 1 for part in plan.view)
        size = sum(
            sizes[part.entity].bytes * (listed(part) if part.many else 1) for part in plan.view
        )
    else:
        assert plan.entity is not None
        per_request = 1
        if plan.kind == "page":  # a full page, or the whole partition when it holds fewer
            in_partition = math.ceil(sizes[plan.entity].per_partition / requests)
            per_request = min((plan.limit or DEFAULT_LIMIT) + 1, in_partition)
        items = per_request * requests
        size = sizes[plan.entity].bytes * per_request
    units = read_units(size, consistent=consistent) * requests
    return ReadEstimate(
        pattern=plan.name,
        index=index,
        operation=plan.operation,
        requests=requests,
        items=items,
        bytes=size * requests if plan.kind == "page" else size,
        consistent=consistent,
        read_units=units,
        rate=pattern.rate,
        monthly_cost=monthly_cost(pattern.rate, reads=units, prices=prices),
    )


def _writes(
    design: Design, entity: EntityDesign, sizes: dict[str, ItemSize], prices: Prices
) -> list[WriteEstimate]:
    spec_entity = design.spec.entity(entity.name)
    assert spec_entity is not None
    rates = dict(spec_entity.write_rates)
    counts = _aggregate_counts(design, entity, sizes)
    guards = guard_item_bytes(design, entity, owner_bytes=table_key_bytes(design, entity))
    root_bytes = sizes[entity.name].bytes
    partition_bytes = sum(sizes[name].bytes * count for name, count in counts.items())
    has_members = bool(entity.members)
    # `counts:` parents: a create or delete also updates each one's counter, in the same
    # transaction; a delete reads the item first (for its parents' keys).
    counted = [parent.name for parent, _ in spec_entity.counts]
    # `copy_of` sources: a create or save reads each one strongly consistently and checks in
    # the same transaction that it is still as read (a ConditionCheck costs a write of it).
    sources = [name for name, _ in design.spec.copies_in(spec_entity)]
    copy_reads = sum((read_units(sizes[n].bytes, consistent=True) for n in sources), 0.0)
    copy_units = sum(write_units(sizes[n].bytes) for n in sources)
    checked = entity.versioned or bool(entity.unique_guards) or has_members or bool(counted)
    # The consistent read a checked write makes first: the partition of an aggregate, else
    # the item itself.
    read_first = read_units(partition_bytes if has_members else root_bytes, consistent=True)
    items = sum(counts.values())
    name = snake_case(entity.name)
    plans = {
        "create": (items + len(guards) + len(counted) + len(sources), copy_reads, True),
        "save": (items + len(sources), (read_first if checked else 0.0) + copy_reads, False),
        "update": (1, read_units(root_bytes, consistent=True), False),
        "delete": (
            items + len(guards) + len(counted) if checked else 1,
            read_first if checked else 0.0,
            True,
        ),
    }
    if not updatable(design.spec, spec_entity):
        del plans["update"]  # nothing to update: the repository has no update_* for it
    estimates = []
    for kind, (actions, reads, with_guards) in plans.items():
        # A delete is always a transaction: the runtime sends a single-item one with a
        # ClientRequestToken, so a retry after a lost response cannot delete a re-created item.
        transaction = actions > 1 or kind == "delete"
        touched = {entity.name: 1} if kind == "update" or not has_members else counts
        table_units = sum(write_units(sizes[n].bytes) * count for n, count in touched.items())
        if with_guards and transaction:
            table_units += sum(write_units(size) for size in guards)
            table_units += sum(write_units(sizes[parent].bytes) for parent in counted)
        if kind in ("create", "save") and transaction:
            table_units += copy_units
        if transaction:
            table_units *= 2
        index_units: dict[str, float] = defaultdict(float)
        for entity_name, count in touched.items():
            # An item has one key per GSI: roles of one view share it (their `where` differ).
            for index in dict.fromkeys(k.index for k in design.entity(entity_name).keys[1:]):
                index_units[index] += write_units(sizes[entity_name].bytes) * count
        operation = "TransactWriteItems" if transaction else _SINGLE[kind]
        rate = rates.get(kind)
        total_writes = table_units + sum(index_units.values())
        estimates.append(
            WriteEstimate(
                method=f"{kind}_{name}",
                entity=entity.name,
                kind=kind,
                operation=operation,
                actions=actions,
                read_units=reads,
                table_units=float(table_units),
                index_units=tuple(sorted(index_units.items())),
                rate=rate,
                monthly_cost=monthly_cost(rate, reads=reads, writes=total_writes, prices=prices),
            )
        )
    return estimates


_SINGLE = {"create": "PutItem", "save": "PutItem", "update": "UpdateItem", "delete": "DeleteItem"}


def _provisioned_warnings(design: Design, estimate: CapacityEstimate) -> tuple[Diagnostic, ...]:
    """Where a provisioned table (or a GSI, which gets the same capacity) would need more
    units per second than it has at the spec's rates."""
    table = design.spec.table
    if table.billing != "provisioned":
        return ()
    reads: dict[str, float] = defaultdict(float)
    writes: dict[str, float] = defaultdict(float)
    for read in estimate.reads:
        if read.rate is not None:
            reads[read.index] += read.rate * read.read_units
    for write in estimate.writes:
        if write.rate is None:
            continue
        reads[TABLE] += write.rate * write.read_units
        writes[TABLE] += write.rate * write.table_units
        for index, units in write.index_units:
            writes[index] += write.rate * units
    found = []
    for kind, needed, provisioned in (
        ("read", reads, table.read_capacity),
        ("write", writes, table.write_capacity),
    ):
        for index, units in sorted(needed.items()):
            if provisioned is not None and units > provisioned:
                where = "the table" if index == TABLE else index
                found.append(
                    warning(
                        table.pos,
                        f"at the spec's rates {where} needs about {units:,.1f} {kind} capacity "
                        f"units per second, more than the {provisioned} provisioned",
                        f"raise `{kind}_capacity`, or use `billing: on_demand`",
                    )
                )
    return tuple(found)
