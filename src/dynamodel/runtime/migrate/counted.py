"""Backfilling a counter (spec 1.1 `counts:`): every stored parent's counter set to its
number of stored children (`backfill_<parent>_<counter>()`).

Once the code of the new spec is deployed, every create and delete of a child moves the
parent's counter by ±1 in the same transaction as the child itself, so the difference
`children - counter` of a parent no longer changes: the backfill only has to measure it once,
at one instant, and add it to the counter. What it cannot do is read a parent's children and
its counter at one instant — a Query reads committed items page by page, not a snapshot, and
a count read while children come and go can be wrong (one deleted behind the Query and one
created ahead of it leave the counter as it was and the count off by one). So it makes sure
no child was written while it counted:

1. It marks the parent: `SET _recount_<counter> = <random nonce>` (UpdateItem, the parent
   must exist), which returns the counter's value at that instant (absent counts as 0, as
   `ADD` does).
2. It counts the children with strongly consistent Queries of the table partitions that hold
   them (the design must give the children a partition their parent's id determines: the
   generated code says where), keeping the items whose counter key is this parent's — the
   very key their writes add to.
3. It settles: `ADD <counter> (count - value) REMOVE _recount_<counter>` under the condition
   that the marker still holds its nonce. A child's create or delete removes the marker in
   its own transaction (`runtime/counted.py`), and a save of the parent replaces the item
   without it, so the condition holds only if nothing changed the children between 1 and 3:
   then the count is the number of children at the instant of the mark, and the difference
   added is exact, however many children are written afterwards. Otherwise it counts again
   (up to `max_attempts` times, with a jittered pause) and, when a parent's children never
   stand still that long, leaves its counter as it was and names it in `conflicts`: run the
   backfill again.

A rerun finds every difference 0: it removes its markers and changes nothing (`rewritten` 0).
A parent is counted in the segment of the parallel scan that finds the parent item, so the
segments share no parent. A marker left behind by a process that died between 1 and 3 is
harmless (the next child write, backfill or save of the parent removes it). Children written
by the code of the previous spec (still running while the new code is deployed) do not move
the counter: run the backfill once no such code runs.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

from dynamodel.runtime.migrate.report import MigrationReport, conflict
from dynamodel.runtime.migrate.scan import (
    Budget,
    Phase,
    check_options,
    run_phases,
    type_match,
    write_units,
)
from dynamodel.runtime.names import RECOUNT_MARKER
from dynamodel.runtime.schema import TYPE_ATTRIBUTE, CounterSpec, EntitySchema, Item
from dynamodel.runtime.table import Table
from dynamodel.runtime.transact import same_value

DEFAULT_ATTEMPTS = 10


@dataclass(frozen=True)
class ChildQuery:
    """Where a parent's children of one entity are: a table partition, and the prefix of
    their sort keys in it (other items may share the partition)."""

    partition: str
    sort_prefix: str


@dataclass(frozen=True)
class CountedChildren:
    """One entity whose items the counter counts: its schema, its `counts:` entry for this
    counter, and where a parent's items of it are (a function of the parent model)."""

    schema: EntitySchema[Any]
    counter: CounterSpec
    where: Callable[[Any], ChildQuery]


def backfill_counter(
    table: Table,
    parent: EntitySchema[Any],
    attribute: str,
    children: Sequence[CountedChildren],
    *,
    cursor: str | None = None,
    page_size: int = 100,
    max_pages: int | None = None,
    on_page: Callable[[MigrationReport], None] | None = None,
    segment: int | None = None,
    total_segments: int | None = None,
    max_units_per_second: float | None = None,
    max_attempts: int = DEFAULT_ATTEMPTS,
    count_page_size: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> MigrationReport:
    """Set the counter `attribute` of every stored `parent` item to its number of stored
    `children` (see the module docstring for how concurrent writes of children are met).

    The parents are found by a scan (`segment` / `total_segments`, `page_size`, `max_pages`,
    `on_page`, `cursor` and `max_units_per_second` as for `migrate_entity`); each parent's
    children are counted by Queries of `count_page_size` items a page (None: as many as
    DynamoDB returns, up to 1 MB). `max_attempts`: counts of one parent before it is left
    for a rerun."""
    part = check_options(page_size, segment, total_segments, max_units_per_second)
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if count_page_size is not None and count_page_size < 1:
        raise ValueError("count_page_size must be at least 1")
    budget = Budget(max_units_per_second, sleep=sleep, clock=clock)
    settle = _Settle(table, parent, attribute, tuple(children), max_attempts, count_page_size)
    return run_phases(
        table,
        MigrationReport(entity=parent.name),
        [Phase("parents", type_match(parent.name), partial(_settle_parent, settle))],
        cursor=cursor,
        page_size=page_size,
        max_pages=max_pages,
        on_page=on_page,
        part=part,
        budget=budget,
    )


@dataclass(frozen=True)
class _Settle:
    table: Table
    parent: EntitySchema[Any]
    attribute: str
    children: tuple[CountedChildren, ...]
    max_attempts: int
    count_page_size: int | None

    @property
    def marker(self) -> str:
        return RECOUNT_MARKER + self.attribute


class _Unreadable(Exception):
    """A child item the current models cannot read: the parent's count is left alone."""


def _settle_parent(
    settle: _Settle, item: Item, report: MigrationReport, budget: Budget
) -> MigrationReport:
    report = _settle_one(settle, item, replace(report, scanned=report.scanned + 1), budget)
    budget.pace()  # a parent may have many children: keep to the budget parent by parent
    return report


def _settle_one(
    settle: _Settle, item: Item, report: MigrationReport, budget: Budget
) -> MigrationReport:
    key = {"PK": item["PK"], "SK": item["SK"]}
    try:
        obj = settle.parent.from_item(item)
    except (KeyError, ValueError, TypeError) as error:
        return conflict(report, key, f"cannot be read with the current models ({error!r})")
    for attempt in range(settle.max_attempts):
        if attempt:
            report = replace(report, recounted=report.recounted + 1)
            budget.sleep(random.uniform(0, min(1.0, 0.01 * 2**attempt)))
        nonce = secrets.token_hex(8)
        marked = _mark(settle, key, nonce, budget)
        if marked is None:  # deleted since the scan read it: nothing to count
            return replace(report, unchanged=report.unchanged + 1)
        value = int(marked.get(settle.attribute, {}).get("N", "0"))
        try:
            count = sum(_count(settle, group, obj, key, budget) for group in settle.children)
        except _Unreadable as error:
            _unmark(settle, key, nonce, budget)
            return conflict(report, key, f"its {settle.attribute} was left as it was: {error}")
        if _settled(settle, key, nonce, count - value, marked, budget):
            report = replace(report, counted=report.counted + count)
            if count == value:
                return replace(report, unchanged=report.unchanged + 1)
            return replace(report, rewritten=report.rewritten + 1)
    names = " or ".join(c.schema.name for c in settle.children)
    return conflict(
        report,
        key,
        f"its {settle.attribute} was left as it was: its {names} items (or the "
        f"{settle.parent.name} itself) were written during each of {settle.max_attempts} "
        "counts; run the backfill again",
    )


def _mark(settle: _Settle, key: Item, nonce: str, budget: Budget) -> Item | None:
    """Set the marker; the parent item as it is now, or None when it no longer exists."""
    try:
        response = settle.table.call(
            settle.table.client.update_item,
            TableName=settle.table.name,
            Key=key,
            UpdateExpression="SET #r = :r",
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames={"#r": settle.marker, "#pk": "PK"},
            ExpressionAttributeValues={":r": {"S": nonce}},
            ReturnValues="ALL_NEW",
            ReturnConsumedCapacity="TOTAL",
        )
    except ClientError as error:
        if _condition_failed(error):
            return None
        raise
    attributes: Item = response.get("Attributes", {})
    budget.charge(response, estimate=write_units(attributes))
    return attributes


def _count(settle: _Settle, group: CountedChildren, parent: Any, key: Item, budget: Budget) -> int:
    """The stored children of `group`'s entity whose counter key is `key`."""
    where = group.where(parent)
    names = {"#pk": "PK", "#t": TYPE_ATTRIBUTE}
    values: dict[str, Any] = {":pk": {"S": where.partition}, ":t": {"S": group.schema.name}}
    condition = "#pk = :pk"
    if where.sort_prefix:
        names["#sk"] = "SK"
        values[":sk"] = {"S": where.sort_prefix}
        condition += " AND begins_with(#sk, :sk)"
    request: dict[str, Any] = {
        "TableName": settle.table.name,
        "KeyConditionExpression": condition,
        "FilterExpression": "#t = :t",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ConsistentRead": True,
        "ReturnConsumedCapacity": "TOTAL",
    }
    if settle.count_page_size is not None:
        request["Limit"] = settle.count_page_size
    count = 0
    while True:
        response = settle.table.call(settle.table.client.query, **request)
        budget.charge(response)
        for child in response.get("Items", []):
            try:
                owner = group.counter.key(group.schema.from_item(child))
            except (KeyError, ValueError, TypeError) as error:
                raise _Unreadable(
                    f"the {group.schema.name} at PK={child['PK']['S']!r} "
                    f"SK={child['SK']['S']!r} cannot be read with the current models "
                    f"({error!r})"
                ) from error
            if all(same_value(owner[name], key[name]) for name in ("PK", "SK")):
                count += 1
        start = response.get("LastEvaluatedKey")
        if start is None:
            return count
        request["ExclusiveStartKey"] = start


def _settled(
    settle: _Settle, key: Item, nonce: str, difference: int, marked: Item, budget: Budget
) -> bool:
    """Add `difference` to the counter and remove the marker, if the marker is still ours."""
    request: dict[str, Any] = {
        "TableName": settle.table.name,
        "Key": key,
        "UpdateExpression": "REMOVE #r",
        "ConditionExpression": "#r = :r",
        "ExpressionAttributeNames": {"#r": settle.marker},
        "ExpressionAttributeValues": {":r": {"S": nonce}},
        "ReturnConsumedCapacity": "TOTAL",
    }
    if difference:
        request["UpdateExpression"] = "ADD #n :d REMOVE #r"
        request["ExpressionAttributeNames"]["#n"] = settle.attribute
        request["ExpressionAttributeValues"][":d"] = {"N": str(difference)}
    try:
        response = settle.table.call(settle.table.client.update_item, **request)
    except ClientError as error:
        if _condition_failed(error):
            budget.spend(write_units(marked))
            return False
        raise
    budget.charge(response, estimate=write_units(marked))
    return True


def _unmark(settle: _Settle, key: Item, nonce: str, budget: Budget) -> None:
    """Remove the marker if it is still ours (best effort: a marker left is harmless)."""
    _settled(settle, key, nonce, 0, {}, budget)


def _condition_failed(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
