"""Partial updates and deletes, keeping every derived key and unique guard right."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel

from dynamodel.runtime.counted import counter_actions
from dynamodel.runtime.errors import NotFoundError, VersionConflictError
from dynamodel.runtime.guards import guard_actions, run_claiming
from dynamodel.runtime.schema import TYPE_ATTRIBUTE, VERSION_ATTRIBUTE, EntitySchema, Item
from dynamodel.runtime.table import Table
from dynamodel.runtime.transact import Action, check_item_size
from dynamodel.runtime.writes import (
    conditioned,
    conflict,
    current_state,
    delete_actions,
    key_text,
    root_condition,
    run,
)

M = TypeVar("M", bound=BaseModel)


def not_found(schema: EntitySchema[Any], key: Item) -> NotFoundError:
    return NotFoundError(
        f"{schema.name} with {key_text(key)} does not exist", entity=schema.name, key=key_text(key)
    )


def _check_version(
    schema: EntitySchema[Any], current: Any, key: Item, expected: int | None
) -> None:
    if not schema.versioned or expected is None:
        return
    found = int(getattr(current, VERSION_ATTRIBUTE))
    if found != expected:
        raise VersionConflictError(
            f"{schema.describe(current)} changed since it was read: expected version "
            f"{expected}, found {found}",
            entity=schema.name,
            key=key_text(key),
            expected=expected,
            found=found,
        )


def update(
    table: Table,
    schema: EntitySchema[M],
    key: Item,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> M:
    """Change some attributes of one item; rewrite exactly the index keys they feed.

    The new keys are computed from the stored item plus the changes, and the write is
    conditioned on the stored values of every other attribute those keys are built from (or on
    the version, for versioned entities): a concurrent change to one of them fails this update
    instead of leaving an index key that no longer matches the item.
    """
    fields = schema.model.model_fields
    for name in changes:
        if name not in fields or name == VERSION_ATTRIBUTE:
            raise ValueError(f"{schema.name} has no attribute {name!r} to update")
        if any(member.field == name for member in schema.members):
            raise ValueError(f"{schema.name}.{name} holds members: save the aggregate instead")
    schema.check_changes(changes)  # a bad value is refused before anything is read
    stored = table.get_item(key, consistent=True)  # an update never touches members
    if stored is None or table.expired(stored):  # expired: gone to readers, so to updates
        raise not_found(schema, key)
    current = schema.from_item(stored)
    _check_version(schema, current, key, expected_version)
    for name in schema.id_attributes:
        if name in changes and changes[name] != getattr(current, name):
            raise ValueError(
                f"{schema.name}.{name} is part of the table key (its id or collection) and "
                "cannot change: delete and create"
            )
    data = current.model_dump()
    for name in schema.derived:  # recomputed from the changed values
        data.pop(name, None)
    data.update(changes)
    version = int(getattr(current, VERSION_ATTRIBUTE)) if schema.versioned else None
    if version is not None:
        data[VERSION_ATTRIBUTE] = version + 1
    new = schema.model.model_validate(data)
    old_item, new_item = schema.to_item(current), schema.to_item(new)
    check_item_size(new_item, entity=schema.name, described=partial(schema.describe, new))
    sets = {k: v for k, v in new_item.items() if old_item.get(k) != v}
    removes = sorted(k for k in old_item if k not in new_item)
    if not sets and not removes:
        return current
    changed = {name for name in changes if getattr(current, name) != getattr(new, name)}
    sources: set[str] = set()
    for attribute in (*sets, *removes):
        sources |= schema.key_sources.get(attribute, frozenset())
    # Guards move with their values and take the owner's new TTL, in the same transaction.
    moved = guard_actions(table, schema, current, new, stored=stored, written=new_item)
    guarded = {a for g in schema.unique for a in g.attributes} if moved else set()
    watched = () if schema.versioned else tuple((sources - changed) | guarded)
    condition = root_condition(schema, stored, version, watched)
    names: dict[str, str] = {}
    values: Item = {}
    assignments = []
    for position, (attribute, value) in enumerate(sorted(sets.items())):
        names[f"#s{position}"] = attribute
        values[f":s{position}"] = value
        assignments.append(f"#s{position} = :s{position}")
    expression = "SET " + ", ".join(assignments) if assignments else ""
    if removes:
        for position, attribute in enumerate(removes):
            names[f"#r{position}"] = attribute
        expression += " REMOVE " + ", ".join(f"#r{p}" for p in range(len(removes)))
    request: dict[str, Any] = {
        "Key": key,
        "UpdateExpression": expression.strip(),
        "ExpressionAttributeNames": names,
    }
    if values:
        request["ExpressionAttributeValues"] = values
    # A resent update could apply again over a change made in between: unversioned, nothing
    # stops it; versioned, an item deleted and created again meanwhile is back at version 1.
    # Once an attempt may have been applied, the retries also require the stored values of
    # what it changes, so they fail once it was.
    resend = conditioned(
        request, root_condition(schema, stored, version, (*watched, *sets, *removes))
    )
    action = Action(
        kind="Update",
        request=conditioned(request, condition),
        on_condition_failed=conflict(schema, new, key, version),
        entity=schema.name,
        outcome=new_item,
        removed=tuple(removes),
        resend=resend,
    )
    actions = [action, *moved, *_member_ttl_actions(table, schema, key, sets, removes)]
    run_claiming(table, schema, new, actions, send=run)
    return new


def _inheritors(schema: EntitySchema[Any], ttl: str) -> set[str]:
    """The member types (at any depth) that copy the root's TTL attribute `ttl`."""
    names: set[str] = set()
    for member in schema.members:
        if member.schema.inherited_ttl == ttl:
            names.add(member.schema.name)
        names |= _inheritors(member.schema, ttl)
    return names


def _member_ttl_actions(
    table: Table, schema: EntitySchema[Any], key: Item, sets: Item, removes: list[str]
) -> list[Action]:
    """Members expire with their root: when an update changes the root's TTL attribute, the
    same transaction sets (or removes) it on every member that copies it."""
    actions: list[Action] = []
    for ttl in [name for name in (*sets, *removes) if _inheritors(schema, name)]:
        inheritors = _inheritors(schema, ttl)
        partition = table.query_all(
            index=None, partition=key["PK"]["S"], sort=None, consistent=True
        )
        # Expired members (left over from an earlier life of the aggregate) stay expired.
        for item in table.live(partition):
            if item.get(TYPE_ATTRIBUTE, {}).get("S") not in inheritors:
                continue
            request: dict[str, Any] = {
                "Key": {"PK": item["PK"], "SK": item["SK"]},
                "ExpressionAttributeNames": {"#t": ttl},
            }
            if ttl in sets:
                request["UpdateExpression"] = "SET #t = :t"
                request["ExpressionAttributeValues"] = {":t": sets[ttl]}
            else:
                request["UpdateExpression"] = "REMOVE #t"
            actions.append(
                Action(
                    kind="Update",
                    # A member deleted meanwhile must not come back as a stub holding a TTL.
                    request=conditioned(request, "attribute_exists(#pk)"),
                    on_condition_failed=lambda reason: VersionConflictError(
                        f"{schema.name} with {key_text(key)} changed while its members' TTL "
                        "was being updated; nothing was written",
                        entity=schema.name,
                        key=key_text(key),
                    ),
                    entity=schema.name,
                )
            )
    return actions


def delete(
    table: Table,
    schema: EntitySchema[Any],
    key: Item,
    *,
    expected_version: int | None = None,
) -> None:
    """Delete an item — for a root, its whole aggregate — and release its unique guards."""
    if not (schema.members or schema.unique or schema.versioned or schema.counts):
        request = conditioned({"Key": key}, "attribute_exists(#pk)")

        def missing(reason: Mapping[str, Any]) -> NotFoundError:
            return not_found(schema, key)

        run(table, [Action(kind="Delete", request=request, on_condition_failed=missing)])
        return
    stored, partition = current_state(table, schema, key)
    if stored is None:
        raise not_found(schema, key)
    current = schema.from_item(stored)
    _check_version(schema, current, key, expected_version)
    version = int(getattr(current, VERSION_ATTRIBUTE)) if schema.versioned else None
    watched = () if schema.versioned else tuple(a for g in schema.unique for a in g.attributes)
    condition = root_condition(schema, stored, version, watched)
    actions = [
        Action(
            kind="Delete",
            request=conditioned({"Key": key}, condition),
            on_condition_failed=conflict(schema, current, key, version),
            entity=schema.name,
        )
    ]
    actions += delete_actions([item for item in partition if item is not stored])
    if not table.expired(stored):
        # An expired owner's guards expire with it, or were taken over by another owner
        # since: either way they are no longer this item's to delete.
        actions += guard_actions(table, schema, current, None, stored=stored, written=None)
    actions += counter_actions(table, schema, current, -1)
    run(table, actions)
