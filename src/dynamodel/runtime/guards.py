"""Unique guards: the items that hold a unique value for the item that owns it.

A guard is written, moved and deleted in the same transaction as its owner, and carries its
owner's TTL attribute, so DynamoDB's TTL deletes the two together. A guard can still outlive
its owner: the owner expired but DynamoDB has not deleted the guard yet, the guard predates
TTL guards, or the owner was deleted some other way. Such a guard must not keep the value
taken for good, so a write that finds its value taken reads the owner named in the guard
(strongly consistent), and when that owner is gone, expired or no longer holds the value, it
takes the guard over in one transaction with two conditions: the guard still names the exact
owner it read (of two writers racing for the same stale guard, one wins and the other finds
the value taken), and the owner still does not hold the value (a ConditionCheck on the owner's
item: gone or expired, or its unique attributes as read). Without the second, an owner that
took its value back between the read and the takeover would share it with the taker. When
only the owner check fails, the owner is read again, a few times at most.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dynamodel.runtime.errors import (
    DynamodelError,
    UniqueValueTakenError,
    VersionConflictError,
)
from dynamodel.runtime.expiry import absent_or_expired
from dynamodel.runtime.frozen import frozen_dataclass
from dynamodel.runtime.names import ENTITY_ATTRIBUTE
from dynamodel.runtime.names import GUARD_TYPE as GUARD_TYPE
from dynamodel.runtime.schema import (
    OWNER_ATTRIBUTE,
    TYPE_ATTRIBUTE,
    EntitySchema,
    Item,
    UniqueGuardSpec,
)
from dynamodel.runtime.table import Table
from dynamodel.runtime.transact import Action

OWNER_NAME = "#owner"  # the placeholder of OWNER_ATTRIBUTE in conditions
# How often a claim reads a stale guard's owner again when the owner changed meanwhile.
OWNER_READS = 3


@frozen_dataclass
class StaleGuard:
    """A guard whose owner does not hold its value, as read: the owner the guard names, and
    what keeps it so: the owner is gone or expired (`held` None), or its item holds these
    stored values of the guard's attributes (None for an attribute it lacks)."""

    holder: str  # the guard's `_owner`: the owner's table key as text
    owner_key: Item
    held: Mapping[str, Any] | None

    def __init__(self, holder: str, owner_key: Item, held: Mapping[str, Any] | None) -> None:
        # Positional, as the guard reads build it (frozen_dataclass makes keyword-only ones).
        self.__dict__.update(holder=holder, owner_key=owner_key, held=held)


# (guard PK, guard SK) -> the stale guard a claim takes over.
Takeovers = Mapping[tuple[str, str], StaleGuard]


class _OwnerChanged(UniqueValueTakenError):
    """A takeover's owner check failed: the owner changed after it was read (it may hold the
    value again). `run_claiming` reads it again; raised from there, it is a taken value."""


def owner_text(owner: Item) -> str:
    """The `_owner` value naming the item with this table key."""
    return str(owner["PK"]["S"]) + "\n" + str(owner["SK"]["S"])


def guard_item(
    key: Item, schema: EntitySchema[Any], owner: Item, *, expires: dict[str, Any] | None = None
) -> Item:
    """The guard item at `key` for `owner` (an item or its key); `expires` is the owner's TTL
    value, stored under the same attribute so that the guard expires with its owner."""
    item: Item = {
        **key,
        TYPE_ATTRIBUTE: {"S": GUARD_TYPE},
        ENTITY_ATTRIBUTE: {"S": schema.name},
        OWNER_ATTRIBUTE: {"S": owner_text(owner)},
    }
    if expires is not None and schema.ttl is not None:
        item[schema.ttl] = expires
    return item


def _key_of(key: Item) -> tuple[str, str]:
    return str(key["PK"]["S"]), str(key["SK"]["S"])


def _shown(guard: UniqueGuardSpec, obj: Any) -> tuple[tuple[object, ...], str]:
    values = tuple(getattr(obj, a) for a in guard.attributes)
    return values, ", ".join(f"{a}={v!r}" for a, v in zip(guard.attributes, values, strict=True))


def _taken_error(schema: EntitySchema[Any], guard: UniqueGuardSpec, obj: Any) -> Any:
    values, shown = _shown(guard, obj)

    def taken(reason: Mapping[str, Any]) -> DynamodelError:
        holder = (reason.get("Item") or {}).get(OWNER_ATTRIBUTE, {}).get("S", "")
        by = f" (held by {holder.replace(chr(10), ' ')})" if holder else ""
        return UniqueValueTakenError(
            f"{schema.name} {shown} is already taken{by}",
            entity=schema.name,
            attributes=guard.attributes,
            values=values,
        )

    return taken


def _lost_error(schema: EntitySchema[Any], guard: UniqueGuardSpec, obj: Any) -> Any:
    _, shown = _shown(guard, obj)

    def lost(reason: Mapping[str, Any]) -> DynamodelError:
        return VersionConflictError(
            f"{schema.describe(obj)} changed since it was read: the guard of its {shown} now "
            "belongs to another item (it had expired); nothing was written",
            entity=schema.name,
        )

    return lost


def claim_request(
    item: Item, *, ttl: str | None, now: int, holder: str | None = None
) -> dict[str, Any]:
    """A Put of a guard that claims its value: the guard is absent or expired, or (taking a
    stale guard over) still names exactly the owner `holder` that was found gone."""
    expression, names, values = absent_or_expired(ttl, now)
    names = {"#pk": "PK", **names}
    if holder is not None:
        expression = f"{expression} OR {OWNER_NAME} = :holder"
        names[OWNER_NAME] = OWNER_ATTRIBUTE
        values = {**values, ":holder": {"S": holder}}
    request: dict[str, Any] = {
        "Item": item,
        "ConditionExpression": expression,
        "ExpressionAttributeNames": names,
    }
    if values:
        request["ExpressionAttributeValues"] = values
    return request


def _ours(request: dict[str, Any], owner: str) -> dict[str, Any]:
    """`request` conditioned on the guard being absent or still ours."""
    return {
        **request,
        "ConditionExpression": f"attribute_not_exists(#pk) OR {OWNER_NAME} = :owner",
        "ExpressionAttributeNames": {"#pk": "PK", OWNER_NAME: OWNER_ATTRIBUTE},
        "ExpressionAttributeValues": {":owner": {"S": owner}},
    }


def _while_ours(
    kind: str,
    body: dict[str, Any],
    owner: str,
    schema: EntitySchema[Any],
    guard: UniqueGuardSpec,
    obj: Any,
) -> Action:
    """A write of a guard `owner` holds, which fails if another owner has taken it over."""
    return Action(
        kind=kind,
        request=_ours(body, owner),
        on_condition_failed=_lost_error(schema, guard, obj),
        entity=schema.name,
    )


def guard_actions(
    table: Table,
    schema: EntitySchema[Any],
    old: Any | None,
    new: Any | None,
    *,
    stored: Item | None,
    written: Item | None,
) -> list[Action]:
    """The guard writes of one owner write: delete the guards of values it gives up, claim
    those of values it takes, and when only the owner's TTL changes, carry it to the guards
    it keeps. `stored` is the owner's item before (None: none, or expired) and `written` after
    (None: deleted); every action fails when a guard turns out to belong to another owner."""
    owner_item = written if written is not None else stored
    if owner_item is None or not schema.unique:
        return []
    owner = owner_text(owner_item)
    ttl = schema.ttl
    expires = written.get(ttl) if written is not None and ttl is not None else None
    was = stored.get(ttl) if stored is not None and ttl is not None else None
    actions: list[Action] = []
    for guard in schema.unique:
        old_key = guard.key(old) if old is not None else None
        new_key = guard.key(new) if new is not None else None
        if old_key == new_key:
            if new_key is not None and expires != was:
                item = guard_item(new_key, schema, owner_item, expires=expires)
                actions.append(_while_ours("Put", {"Item": item}, owner, schema, guard, new))
            continue
        if old_key is not None:
            actions.append(_while_ours("Delete", {"Key": old_key}, owner, schema, guard, old))
        if new_key is not None:
            item = guard_item(new_key, schema, owner_item, expires=expires)
            actions.append(
                Action(
                    kind="Put",
                    request=claim_request(item, ttl=ttl, now=table.now()),
                    on_condition_failed=_taken_error(schema, guard, new),
                    entity=schema.name,
                )
            )
    return actions


def stale_guard(
    table: Table, schema: EntitySchema[Any], guard: UniqueGuardSpec, key: Item
) -> StaleGuard | None:
    """The guard at `key` when its owner no longer holds the value (it is gone, expired, or
    holds another value now), else None: the value is really taken."""
    stored = table.get_item(key, consistent=True)
    if stored is None or OWNER_ATTRIBUTE not in stored:
        return None  # gone meanwhile (the caller's error stands), or not a guard we wrote
    holder = str(stored[OWNER_ATTRIBUTE].get("S", ""))
    pk, newline, sk = holder.partition("\n")
    if not newline:
        return None
    owner_key: Item = {"PK": {"S": pk}, "SK": {"S": sk}}
    owner = table.get_item(owner_key, consistent=True)
    if owner is None or table.expired(owner):
        return StaleGuard(holder, owner_key, None)
    if owner.get(TYPE_ATTRIBUTE, {}).get("S") != schema.name:
        return None
    if guard.key(schema.from_item(owner)) == key:
        return None
    return StaleGuard(holder, owner_key, {a: owner.get(a) for a in guard.attributes})


def owner_condition(
    schema: EntitySchema[Any], stale: Sequence[StaleGuard], *, now: int
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The condition (expression, names, values) on one owner's item that what made each of
    `stale` stale still holds: the owner is gone or expired, or it is there, unexpired, with
    the attribute values read."""
    gone, gone_names, gone_values = absent_or_expired(schema.ttl, now)
    there = f"NOT {gone}" if schema.ttl is not None else "attribute_exists(#pk)"
    terms: list[str] = []
    names: dict[str, str] = {"#pk": "PK"}
    values: dict[str, Any] = {}
    for found in stale:
        terms.append(gone if found.held is None else there)
        if found.held is None or schema.ttl is not None:
            names.update(gone_names)
            values.update(gone_values)
        for attribute, value in (found.held or {}).items():
            name = f"#o{len(names)}"
            names[name] = attribute
            if value is None:
                terms.append(f"attribute_not_exists({name})")
            else:
                placeholder = f":o{len(values)}"
                values[placeholder] = value
                terms.append(f"{name} = {placeholder}")
    return " AND ".join(dict.fromkeys(terms)), names, values


def with_takeovers(
    schema: EntitySchema[Any],
    guard_of: Mapping[tuple[str, str], UniqueGuardSpec],
    obj: Any,
    actions: Sequence[Action],
    takeovers: Takeovers,
    *,
    now: int,
) -> list[Action]:
    """`actions` with each claim of a guard in `takeovers` turned into a takeover, and one
    check of each owner of those guards (unless the owner is written here too)."""
    if not takeovers:  # the first round of nearly every write: the actions as they are
        return list(actions)
    result = []
    written = {_key_of(a.request[k]) for a in actions for k in ("Key", "Item") if k in a.request}
    checks: dict[tuple[str, str], list[tuple[StaleGuard, UniqueGuardSpec]]] = {}
    for action in actions:
        item = action.request.get("Item") if action.kind == "Put" else None
        stale = takeovers.get(_key_of(item)) if item is not None else None
        if item is None or stale is None:
            result.append(action)
            continue
        request = claim_request(item, ttl=schema.ttl, now=now, holder=stale.holder)
        result.append(dataclasses.replace(action, request=request))
        if _key_of(stale.owner_key) not in written:  # else its own write decides what it holds
            checks.setdefault(_key_of(stale.owner_key), []).append((stale, guard_of[_key_of(item)]))
    for found in checks.values():
        expression, names, values = owner_condition(schema, [s for s, _ in found], now=now)
        check: dict[str, Any] = {
            "Key": found[0][0].owner_key,
            "ConditionExpression": expression,
            "ExpressionAttributeNames": names,
        }
        if values:
            check["ExpressionAttributeValues"] = values
        stale, guard = found[0]
        result.append(
            Action(
                kind="ConditionCheck",
                request=check,
                on_condition_failed=_owner_changed(schema, guard, obj, stale.holder),
                entity=schema.name,
            )
        )
    return result


def _owner_changed(schema: EntitySchema[Any], guard: UniqueGuardSpec, obj: Any, holder: str) -> Any:
    values, shown = _shown(guard, obj)

    def changed(reason: Mapping[str, Any]) -> DynamodelError:
        return _OwnerChanged(
            f"{schema.name} {shown} is already taken (held by {holder.replace(chr(10), ' ')})",
            entity=schema.name,
            attributes=guard.attributes,
            values=values,
        )

    return changed


def run_claiming(
    table: Table,
    schema: EntitySchema[Any],
    obj: Any,
    actions: Sequence[Action],
    *,
    send: Callable[[Table, Sequence[Action]], None],
) -> None:
    """Send `actions` (an owner write with its guards); where a value it claims is held by a
    stale guard, take that guard over and send them again. Each round takes over one more
    guard, or reads a changed owner again (at most OWNER_READS times a guard), so this ends;
    a value held by a live owner raises UniqueValueTakenError."""
    takeovers: dict[tuple[str, str], StaleGuard] = {}
    guard_of: dict[tuple[str, str], UniqueGuardSpec] = {}
    reads: dict[tuple[str, str], int] = {}
    while True:
        try:
            send(table, with_takeovers(schema, guard_of, obj, actions, takeovers, now=table.now()))
            return
        except UniqueValueTakenError as error:
            guard = next((g for g in schema.unique if g.attributes == error.attributes), None)
            key = guard.key(obj) if guard is not None else None
            if guard is None or key is None:
                raise
            found = _key_of(key)
            if found in takeovers and not isinstance(error, _OwnerChanged):
                raise  # another claimer took the stale guard over first
            reads[found] = reads.get(found, 0) + 1
            stale = stale_guard(table, schema, guard, key) if reads[found] <= OWNER_READS else None
            if stale is None:
                if isinstance(error, _OwnerChanged):  # the owner holds it again: a taken value
                    raise UniqueValueTakenError(
                        str(error),
                        entity=error.entity,
                        attributes=error.attributes,
                        values=error.values,
                    ) from None
                raise
            takeovers[found] = stale
            guard_of[found] = guard
