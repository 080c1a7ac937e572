"""Rewriting one entity's stored items for the current design (`migrate_<entity>()`).

Each item of the entity (every item names its entity in `_type`) is rebuilt from its
attributes with the current design's code and, where the stored item differs — other table
keys, other or missing index keys, stale key attributes, a derived value not yet stored —
written anew with its unique guards, and the old item deleted, in one transaction
conditioned on the old item being unchanged since the scan read it. So nothing is written
halfway, a concurrent writer is never overwritten, and running it again changes nothing
(idempotent). A second phase deletes guard items that no current item claims (a guard whose
key template changed, or a unique constraint removed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from dynamodel.runtime.errors import DynamodelError
from dynamodel.runtime.migrate.report import MigrationReport, Skipped, conflict, skip
from dynamodel.runtime.migrate.scan import (
    Budget,
    Phase,
    check_options,
    run_phases,
    type_match,
    write_units,
)
from dynamodel.runtime.names import ENTITY_ATTRIBUTE
from dynamodel.runtime.schema import OWNER_ATTRIBUTE, TYPE_ATTRIBUTE, EntitySchema, Item
from dynamodel.runtime.table import Table
from dynamodel.runtime.transact import Action, same_value
from dynamodel.runtime.writes import GUARD_TYPE, Condition, conditioned, guard_item, key_text, run


def migrate_entity(
    table: Table,
    schema: EntitySchema[Any],
    *,
    key_attributes: Collection[str],
    stale_attributes: Collection[str] = (),
    guards: bool = False,
    cursor: str | None = None,
    page_size: int = 100,
    max_pages: int | None = None,
    on_page: Callable[[MigrationReport], None] | None = None,
    segment: int | None = None,
    total_segments: int | None = None,
    max_units_per_second: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> MigrationReport:
    """Rewrite every item of `schema`'s entity to the keys the current design gives it.

    `segment` / `total_segments`: one segment of a parallel scan (DynamoDB's `Segment`,
    `TotalSegments`): run every segment, in any processes, to migrate the whole table; each
    has its own cursor. `max_units_per_second`: pause between pages to stay within that many
    capacity units per second (the scan's read units, as DynamoDB reports them, plus the
    writes', estimated from the items' sizes).

    `key_attributes`: every key attribute of the current design (PK, SK, GSI1PK, ...);
    `stale_attributes`: key attributes only the previous design used, dropped from items;
    `guards`: the entity's unique guards changed, so check every item's guards and delete
    guards no item claims. `on_page` sees the report after each page (with the cursor to
    resume from, should the process stop)."""
    part = check_options(page_size, segment, total_segments, max_units_per_second)
    dropped = frozenset(key_attributes) | frozenset(stale_attributes)
    phases = [
        Phase(
            "items", type_match(schema.name), partial(_migrate_item, table, schema, dropped, guards)
        )
    ]
    if guards:
        phases.append(
            Phase(
                "guards",
                {TYPE_ATTRIBUTE: GUARD_TYPE, ENTITY_ATTRIBUTE: schema.name},
                partial(_check_guard, table, schema),
            )
        )
    return run_phases(
        table,
        MigrationReport(entity=schema.name),
        phases,
        cursor=cursor,
        page_size=page_size,
        max_pages=max_pages,
        on_page=on_page,
        part=part,
        budget=Budget(max_units_per_second, sleep=sleep, clock=clock),
    )


def _migrate_item(
    table: Table,
    schema: EntitySchema[Any],
    dropped: frozenset[str],
    guards: bool,
    stored: Item,
    report: MigrationReport,
    budget: Budget,
) -> MigrationReport:
    report = replace(report, scanned=report.scanned + 1)
    old_key = {"PK": stored["PK"], "SK": stored["SK"]}
    try:
        obj = schema.from_item(stored)
        desired = schema.to_item(obj)
    except (KeyError, ValueError, TypeError) as error:
        return conflict(report, old_key, f"cannot be read with the current models ({error!r})")
    for name, value in stored.items():
        # Keep what the models do not write (a member's inherited TTL, attributes no longer
        # declared); drop key attributes the current design does not give this item.
        if name not in desired and name not in dropped:
            desired[name] = value
    new_key = {"PK": desired["PK"], "SK": desired["SK"]}
    moved = not (
        same_value(old_key["PK"], new_key["PK"]) and same_value(old_key["SK"], new_key["SK"])
    )
    same_item = desired.keys() == stored.keys() and all(
        same_value(stored[name], value) for name, value in desired.items()
    )
    guard_puts: list[Action] = []
    if guards or moved:
        guard_puts = _guard_puts(table, schema, obj, old_key, new_key, check=not moved)
    if same_item and not guard_puts:
        return replace(report, unchanged=report.unchanged + 1)
    unchanged = _unchanged_condition(stored)
    shown = key_text(old_key)
    actions: list[Action] = []
    if moved:
        actions.append(
            Action(
                kind="Put",
                request={"Item": desired, **conditioned({}, "attribute_not_exists(#pk)")},
                on_condition_failed=skip(
                    f"{schema.name} at {shown}: an item already exists at its new key "
                    f"{key_text(new_key)}; both are left in place"
                ),
                entity=schema.name,
            )
        )
        actions.append(
            Action(
                kind="Delete",
                request=conditioned({"Key": old_key}, unchanged),
                on_condition_failed=skip(f"{schema.name} at {shown} changed while migrating"),
            )
        )
    elif not same_item:
        actions.append(
            Action(
                kind="Put",
                request=conditioned({"Item": desired}, unchanged),
                on_condition_failed=skip(f"{schema.name} at {shown} changed while migrating"),
                entity=schema.name,
            )
        )
    else:
        actions.append(
            Action(
                kind="ConditionCheck",
                request=conditioned({"Key": old_key}, unchanged),
                on_condition_failed=skip(f"{schema.name} at {shown} changed while migrating"),
            )
        )
    actions += guard_puts
    try:
        run(table, actions)
    except Skipped as skipped:
        return conflict(report, None, str(skipped))
    budget.spend(write_units(stored, per_kb=2.0))  # in a transaction: 2 units per KB
    return replace(report, rewritten=report.rewritten + 1)


def _guard_puts(
    table: Table,
    schema: EntitySchema[Any],
    obj: Any,
    old_key: Item,
    new_key: Item,
    *,
    check: bool,
) -> list[Action]:
    """Puts of the guards `obj` needs, owned by `new_key`; with `check`, only of the guards
    that are missing or name another owner (a consistent read of each first)."""
    old_owner = {"S": old_key["PK"]["S"] + "\n" + old_key["SK"]["S"]}
    new_owner = {"S": new_key["PK"]["S"] + "\n" + new_key["SK"]["S"]}
    actions: list[Action] = []
    for guard in schema.unique:
        key = guard.key(obj)
        if key is None:
            continue
        if check:
            stored = table.get_item(key, consistent=True)
            if stored is not None and same_value(stored.get(OWNER_ATTRIBUTE), new_owner):
                continue
        values = ", ".join(f"{a}={getattr(obj, a)!r}" for a in guard.attributes)
        # The guard expires with its owner, as the guards the write paths put do.
        expires = schema.to_item(obj).get(schema.ttl) if schema.ttl else None
        condition = Condition(
            ["(attribute_not_exists(#pk) OR #o = :old OR #o = :new)"],
            names={"#o": OWNER_ATTRIBUTE},
            values={":old": old_owner, ":new": new_owner},
        )
        actions.append(
            Action(
                kind="Put",
                request=conditioned(
                    {"Item": guard_item(key, schema, new_key, expires=expires)}, condition
                ),
                on_condition_failed=_held(schema.describe(obj), values),
                entity=schema.name,
            )
        )
    return actions


def _check_guard(
    table: Table,
    schema: EntitySchema[Any],
    guard: Item,
    report: MigrationReport,
    budget: Budget,
) -> MigrationReport:
    """Delete a guard of `schema` that no stored item claims any more."""
    owner_text = guard.get(OWNER_ATTRIBUTE, {}).get("S", "")
    pk, _, sk = owner_text.partition("\n")
    owner = table.get_item({"PK": {"S": pk}, "SK": {"S": sk}}, consistent=True) if sk else None
    if owner is not None and owner.get(TYPE_ATTRIBUTE, {}).get("S") == schema.name:
        try:
            obj = schema.from_item(owner)
        except (KeyError, ValueError, TypeError):
            return report  # an owner that cannot be read: keep its guard
        for spec in schema.unique:
            key = spec.key(obj)
            if key is not None and all(
                same_value(guard.get(name), value) for name, value in key.items()
            ):
                return report
    condition = Condition(
        ["#o = :owner"], names={"#o": OWNER_ATTRIBUTE}, values={":owner": {"S": owner_text}}
    )
    key = {"PK": guard["PK"], "SK": guard["SK"]}
    action = Action(
        kind="Delete",
        request=conditioned({"Key": key}, condition),
        on_condition_failed=skip(f"the guard at {key_text(key)} changed while migrating"),
    )
    try:
        run(table, [action])
    except Skipped as skipped:
        return conflict(report, None, str(skipped))
    budget.spend(write_units(guard, per_kb=2.0))
    return replace(report, guards_removed=report.guards_removed + 1)


def _unchanged_condition(stored: Item) -> Condition:
    """The stored item is still as read: its version where it has one, else every scalar
    and set attribute (lists and maps never feed a key)."""
    condition = Condition(["attribute_exists(#pk)"])
    compared = (
        {"version": stored["version"]}
        if "version" in stored
        else {n: v for n, v in stored.items() if not ({"L", "M"} & v.keys())}
    )
    for position, (name, value) in enumerate(sorted(compared.items())):
        condition.parts.append(f"#u{position} = :u{position}")
        condition.names[f"#u{position}"] = name
        condition.values[f":u{position}"] = value
    return condition


def _held(described: str, values: str) -> Callable[[Mapping[str, Any]], DynamodelError]:
    def factory(reason: Mapping[str, Any]) -> DynamodelError:
        holder = (reason.get("Item") or {}).get(OWNER_ATTRIBUTE, {}).get("S", "")
        return Skipped(
            f"{described}: {values} is already held by {holder.replace(chr(10), ' ')}: the "
            "stored data has duplicates of a unique value; the item is left as it is"
        )

    return factory
