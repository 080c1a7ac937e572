"""Rewriting stored items when a spec's keys change (`dynamodel diff`, `migrate_<entity>()`).

A migration scans the table for one entity's items (every item names its entity in `_type`),
rebuilds each from its attributes with the current design's code, and, where the stored item
differs — other table keys, other or missing index keys, stale key attributes — writes the
rebuilt item and its unique guards and deletes the old item in one transaction, conditioned on
the old item being unchanged since the scan read it. So nothing is written halfway, a
concurrent writer is never overwritten, and running it again changes nothing (idempotent).
A second phase deletes guard items that no current item claims (a guard whose key template
changed, or a unique constraint removed). Progress comes back with a cursor to resume from.

Imported only by generated `migrations.py`, never on a Lambda's request path.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from dynamodel.runtime.errors import DynamodelError, InvalidCursorError
from dynamodel.runtime.names import ENTITY_ATTRIBUTE as ENTITY_ATTRIBUTE
from dynamodel.runtime.schema import OWNER_ATTRIBUTE, TYPE_ATTRIBUTE, EntitySchema, Item
from dynamodel.runtime.sizes import item_size
from dynamodel.runtime.table import Table
from dynamodel.runtime.transact import Action, same_value
from dynamodel.runtime.writes import GUARD_TYPE, Condition, conditioned, guard_item, key_text, run


@dataclass(frozen=True, kw_only=True)
class MigrationReport:
    """What one run did. `cursor` is None once both phases are complete; pass it back to
    resume an interrupted or page-limited run."""

    entity: str
    scanned: int = 0  # items of the entity read
    rewritten: int = 0  # items written at new keys or with new index keys or guards
    unchanged: int = 0
    guards_removed: int = 0
    conflicts: tuple[str, ...] = ()  # items left as they are, and why
    cursor: str | None = None
    units: float = 0.0  # capacity units used: the scan's as reported, the writes' estimated

    @property
    def complete(self) -> bool:
        return self.cursor is None


class _Skipped(DynamodelError):
    """An item the migration leaves as it is (recorded in the report, not raised)."""


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
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    if (segment is None) != (total_segments is None):
        raise ValueError("give segment and total_segments together")
    if total_segments is not None and not (
        1 <= total_segments <= MAX_SEGMENTS and 0 <= (segment or 0) < total_segments
    ):
        raise ValueError(
            f"segment must be in 0..total_segments-1 and total_segments in 1..{MAX_SEGMENTS}"
        )
    if max_units_per_second is not None and max_units_per_second <= 0:
        raise ValueError("max_units_per_second must be positive")
    part = (segment, total_segments) if segment is not None and total_segments is not None else None
    phase, start = _decode_cursor(cursor, part)
    report = MigrationReport(entity=schema.name)
    started = clock()
    dropped = frozenset(key_attributes) | frozenset(stale_attributes)
    pages = 0
    while max_pages is None or pages < max_pages:
        request: dict[str, Any] = {
            "TableName": table.name,
            "Limit": page_size,
            "ConsistentRead": True,
            "ExpressionAttributeNames": {"#t": TYPE_ATTRIBUTE},
        }
        if phase == "items":
            request["FilterExpression"] = "#t = :t"
            request["ExpressionAttributeValues"] = {":t": {"S": schema.name}}
        else:
            request["FilterExpression"] = "#t = :t AND #e = :e"
            request["ExpressionAttributeNames"]["#e"] = ENTITY_ATTRIBUTE
            request["ExpressionAttributeValues"] = {
                ":t": {"S": GUARD_TYPE},
                ":e": {"S": schema.name},
            }
        if start is not None:
            request["ExclusiveStartKey"] = start
        if part is not None:
            request["Segment"], request["TotalSegments"] = part
        if max_units_per_second is not None:
            request["ReturnConsumedCapacity"] = "TOTAL"
        response = table.call(table.client.scan, **request)
        pages += 1
        units = float(response.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))
        for item in response.get("Items", []):
            before = report.rewritten + report.guards_removed
            if phase == "items":
                report = _migrate_item(table, schema, item, dropped, guards, report)
            else:
                report = _check_guard(table, schema, item, report)
            if report.rewritten + report.guards_removed > before:
                units += _write_units(item)
        report = replace(report, units=report.units + units)
        if max_units_per_second is not None:
            # Stay within the budget on average since the start: wait until the units used
            # so far fit in the time elapsed.
            wait = report.units / max_units_per_second - (clock() - started)
            if wait > 0:
                sleep(wait)
        start = response.get("LastEvaluatedKey")
        if start is None:
            if phase == "items" and guards:
                phase = "guards"  # the next page starts the guard phase from the beginning
            else:
                report = replace(report, cursor=None)
                if on_page is not None:
                    on_page(report)
                return report
        report = replace(report, cursor=_encode_cursor(phase, start, part))
        if on_page is not None:
            on_page(report)
    return report


def _migrate_item(
    table: Table,
    schema: EntitySchema[Any],
    stored: Item,
    dropped: frozenset[str],
    guards: bool,
    report: MigrationReport,
) -> MigrationReport:
    report = replace(report, scanned=report.scanned + 1)
    old_key = {"PK": stored["PK"], "SK": stored["SK"]}
    try:
        obj = schema.from_item(stored)
        desired = schema.to_item(obj)
    except (KeyError, ValueError, TypeError) as error:
        return _conflict(report, old_key, f"cannot be read with the current models ({error!r})")
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
                on_condition_failed=_skip(
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
                on_condition_failed=_skip(f"{schema.name} at {shown} changed while migrating"),
            )
        )
    elif not same_item:
        actions.append(
            Action(
                kind="Put",
                request=conditioned({"Item": desired}, unchanged),
                on_condition_failed=_skip(f"{schema.name} at {shown} changed while migrating"),
                entity=schema.name,
            )
        )
    else:
        actions.append(
            Action(
                kind="ConditionCheck",
                request=conditioned({"Key": old_key}, unchanged),
                on_condition_failed=_skip(f"{schema.name} at {shown} changed while migrating"),
            )
        )
    actions += guard_puts
    try:
        run(table, actions)
    except _Skipped as skipped:
        return _conflict(report, None, str(skipped))
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
    table: Table, schema: EntitySchema[Any], guard: Item, report: MigrationReport
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
        on_condition_failed=_skip(f"the guard at {key_text(key)} changed while migrating"),
    )
    try:
        run(table, [action])
    except _Skipped as skipped:
        return _conflict(report, None, str(skipped))
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


def _skip(message: str) -> Callable[[Mapping[str, Any]], DynamodelError]:
    def factory(reason: Mapping[str, Any]) -> DynamodelError:
        return _Skipped(message)

    return factory


def _held(described: str, values: str) -> Callable[[Mapping[str, Any]], DynamodelError]:
    def factory(reason: Mapping[str, Any]) -> DynamodelError:
        holder = (reason.get("Item") or {}).get(OWNER_ATTRIBUTE, {}).get("S", "")
        return _Skipped(
            f"{described}: {values} is already held by {holder.replace(chr(10), ' ')}: the "
            "stored data has duplicates of a unique value; the item is left as it is"
        )

    return factory


def _conflict(report: MigrationReport, key: Item | None, message: str) -> MigrationReport:
    text = f"{report.entity} at {key_text(key)}: {message}" if key is not None else message
    return replace(report, conflicts=(*report.conflicts, text))


MAX_SEGMENTS = 1_000_000  # DynamoDB's limit of TotalSegments


def _write_units(item: Item) -> float:
    """The write units of rewriting an item, as a transaction writes it (2 per KB)."""
    return 2.0 * max(1, math.ceil(item_size(item) / 1024))


def _encode_cursor(phase: str, key: Item | None, part: tuple[int, int] | None) -> str:
    state: dict[str, Any] = {"phase": phase, "key": key}
    if part is not None:
        state["segment"] = list(part)
    text = json.dumps(state, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode_cursor(
    cursor: str | None, part: tuple[int, int] | None = None
) -> tuple[str, Item | None]:
    if cursor is None:
        return "items", None
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        phase, key = state["phase"], state["key"]
        theirs = state.get("segment")
        if theirs is not None and not (
            isinstance(theirs, list) and len(theirs) == 2 and all(type(n) is int for n in theirs)
        ):
            raise ValueError("a bad segment")
        valid = (
            phase in ("items", "guards")
            and (key is None or (isinstance(key, dict) and set(key) == {"PK", "SK"}))
            and all(
                isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str)
                for v in (key or {}).values()
            )
        )
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error):
        valid = False
    if not valid:
        raise InvalidCursorError("not a migration cursor (pass back the report's cursor)")
    if (tuple(theirs) if theirs is not None else None) != part:
        shown = "the whole table" if theirs is None else f"segment {theirs[0]} of {theirs[1]}"
        raise InvalidCursorError(f"this cursor resumes {shown}: pass the same segment")
    return phase, key
