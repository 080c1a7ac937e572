"""Write paths: create, save, update and delete of entities and whole aggregates.

Every call writes all its items — the root, its members, its unique guards — in one request:
a conditional PutItem/UpdateItem/DeleteItem when one item changes, else one TransactWriteItems.
Conditions make each write safe against concurrent writers: version checks for versioned
entities, and for partial updates, checks that the attributes an index key is built from still
hold the values the new key was computed from, so no index key can go stale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel

from dynamodel.runtime.errors import (
    AlreadyExistsError,
    DynamodelError,
    InvalidKeyValueError,
    NotFoundError,
    UniqueValueTakenError,
    VersionConflictError,
)
from dynamodel.runtime.schema import (
    OWNER_ATTRIBUTE,
    TYPE_ATTRIBUTE,
    VERSION_ATTRIBUTE,
    EntitySchema,
    Item,
)
from dynamodel.runtime.table import Table
from dynamodel.runtime.transact import Action, ErrorFactory

# Re-exported: updates, counters, batch and migrate import them from here.
from dynamodel.runtime.write_once import key_text as key_text
from dynamodel.runtime.write_once import run as run

M = TypeVar("M", bound=BaseModel)
GUARD_TYPE = "_unique"


@dataclass
class Condition:
    """A ConditionExpression under construction: AND-ed parts, with names and values."""

    parts: list[str]
    names: dict[str, str] = field(default_factory=dict)
    values: Item = field(default_factory=dict)

    def expression(self) -> str:
        return " AND ".join(self.parts)


def unique_attributes(schema: EntitySchema[Any]) -> tuple[str, ...]:
    return tuple(a for guard in schema.unique for a in guard.attributes)


def _found_version(reason: Mapping[str, Any]) -> int | None:
    stored = reason.get("Item") or {}
    version = stored.get(VERSION_ATTRIBUTE, {}).get("N")
    return int(version) if version is not None else None


def flatten(
    schema: EntitySchema[Any], obj: Any, *, root_item: Item | None = None
) -> list[tuple[EntitySchema[Any], Any, Item]]:
    """The items of an aggregate: the root first, then members (depth first)."""
    item = schema.to_item(obj)
    if root_item is None:
        root_item = item
    elif schema.inherited_ttl and schema.inherited_ttl in root_item:
        item[schema.inherited_ttl] = root_item[schema.inherited_ttl]
    entries = [(schema, obj, item)]
    if not schema.members:
        return entries
    identity = schema.identity(obj)
    for member in schema.members:
        for child in getattr(obj, member.field):
            if member.schema.identity(child)[: len(identity)] != identity:
                raise InvalidKeyValueError(
                    f"{member.schema.describe(child)} is in {schema.describe(obj)}."
                    f"{member.field}, but its id does not start with the root's id"
                )
            entries.extend(flatten(member.schema, child, root_item=root_item))
    return entries


def guard_item(key: Item, schema: EntitySchema[Any], owner: Item) -> Item:
    return {
        **key,
        TYPE_ATTRIBUTE: {"S": GUARD_TYPE},
        "_entity": {"S": schema.name},
        OWNER_ATTRIBUTE: {"S": owner["PK"]["S"] + "\n" + owner["SK"]["S"]},
    }


def conditioned(request: dict[str, Any], condition: Condition | str | None) -> dict[str, Any]:
    """Add a condition (expression, names, values) to a request body."""
    if condition is None:
        return request
    if isinstance(condition, str):
        condition = Condition([condition])
    names = {"#pk": "PK", **condition.names}
    expression = condition.expression()
    request = {**request, "ConditionExpression": expression}
    request["ExpressionAttributeNames"] = {
        **request.get("ExpressionAttributeNames", {}),
        **{k: v for k, v in names.items() if k in expression},
    }
    if condition.values:
        request["ExpressionAttributeValues"] = {
            **request.get("ExpressionAttributeValues", {}),
            **condition.values,
        }
    return request


def _put(item: Item, condition: Condition | str | None) -> dict[str, Any]:
    return conditioned({"Item": item}, condition)


# The condition of every create, built once (shared by requests, never mutated).
_NOT_EXISTS: Mapping[str, Any] = conditioned({}, "attribute_not_exists(#pk)")


def guard_actions(
    schema: EntitySchema[Any], old: Any | None, new: Any | None, owner: Item
) -> list[Action]:
    """Move unique guards whose value changed: delete the old one, claim the new one."""
    actions: list[Action] = []
    for guard in schema.unique:
        old_key = guard.key(old) if old is not None else None
        new_key = guard.key(new) if new is not None else None
        if old_key == new_key:
            continue
        if old_key is not None:
            # No condition: the item's own condition proves it still held the old value, and
            # an item and its guards only ever change together, in one transaction.
            actions.append(
                Action(kind="Delete", request={"Key": old_key}, on_condition_failed=unexpected)
            )
        if new_key is not None:
            values = tuple(getattr(new, a) for a in guard.attributes)
            shown = ", ".join(f"{a}={v!r}" for a, v in zip(guard.attributes, values, strict=True))

            def taken(
                reason: Mapping[str, Any],
                attributes: tuple[str, ...] = guard.attributes,
                values: tuple[object, ...] = values,
                shown: str = shown,
            ) -> DynamodelError:
                holder = (reason.get("Item") or {}).get(OWNER_ATTRIBUTE, {}).get("S", "")
                by = f" (held by {holder.replace(chr(10), ' ')})" if holder else ""
                return UniqueValueTakenError(
                    f"{schema.name} {shown} is already taken{by}",
                    entity=schema.name,
                    attributes=attributes,
                    values=values,
                )

            actions.append(
                Action(
                    kind="Put",
                    request={"Item": guard_item(new_key, schema, owner), **_NOT_EXISTS},
                    on_condition_failed=taken,
                    entity=schema.name,
                )
            )
    return actions


def unexpected(reason: Mapping[str, Any]) -> DynamodelError:
    return DynamodelError(f"an unconditional action failed its condition: {dict(reason)}")


def create(table: Table, schema: EntitySchema[M], obj: M) -> M:
    new = obj.model_copy(update={VERSION_ATTRIBUTE: 1}) if schema.versioned else obj
    entries = flatten(schema, new)
    actions = [
        Action(
            kind="Put",
            request={"Item": item, **_NOT_EXISTS},
            on_condition_failed=_exists_error(schema, entry_schema, entry, item),
            entity=entry_schema.name,
            describe=partial(entry_schema.describe, entry),
        )
        for entry_schema, entry, item in entries
    ]
    actions += guard_actions(schema, None, new, entries[0][2])
    run(table, actions)
    return new


def _exists_error(
    root: EntitySchema[Any], schema: EntitySchema[Any], obj: Any, item: Item
) -> ErrorFactory:
    def exists(reason: Mapping[str, Any]) -> DynamodelError:
        return AlreadyExistsError(
            f"{schema.describe(obj)} already exists", entity=root.name, key=key_text(item)
        )

    return exists


def current_state(
    table: Table, schema: EntitySchema[Any], key: Item
) -> tuple[Item | None, list[Item]]:
    """The stored root item and (for aggregates) every item of its partition, consistently."""
    if schema.members:
        items = table.query_all(index=None, partition=key["PK"]["S"], sort=None, consistent=True)
        root = next((i for i in items if i.get(TYPE_ATTRIBUTE, {}).get("S") == schema.name), None)
        return root, items
    return table.get_item(key, consistent=True), []


def delete_actions(items: Sequence[Item]) -> list[Action]:
    """Unconditional deletes of stored items (members leaving an aggregate, or all of them):
    the root's own condition in the same transaction guards them."""
    return [
        Action(
            kind="Delete",
            request={"Key": {"PK": item["PK"], "SK": item["SK"]}},
            on_condition_failed=unexpected,
        )
        for item in items
    ]


def root_condition(
    schema: EntitySchema[Any],
    stored: Item | None,
    expected: int | None,
    attributes: Sequence[str] = (),
) -> Condition:
    """The condition that the stored item is still the one this write was computed from: it
    exists (or not), has the expected version, and holds the read values of `attributes`."""
    if stored is None:
        return Condition(["attribute_not_exists(#pk)"])
    condition = Condition(["attribute_exists(#pk)"])
    if schema.versioned and expected is not None:
        condition.parts.append("#v = :expected")
        condition.names["#v"] = VERSION_ATTRIBUTE
        condition.values[":expected"] = {"N": str(expected)}
    for position, name in enumerate(sorted(set(attributes))):
        alias = f"#c{position}"
        condition.names[alias] = name
        if name in stored:
            condition.parts.append(f"{alias} = :c{position}")
            condition.values[f":c{position}"] = stored[name]
        else:
            condition.parts.append(f"attribute_not_exists({alias})")
    return condition


def conflict(schema: EntitySchema[Any], obj: Any, key: Item, expected: int | None) -> Any:
    def factory(reason: Mapping[str, Any]) -> DynamodelError:
        found = _found_version(reason)
        if not reason.get("Item") and expected:
            return NotFoundError(f"{schema.describe(obj)} does not exist", entity=schema.name)
        if expected is None and found is None:  # not versioned: the values it was read with
            detail = "another writer changed or created it since it was read"
        else:
            detail = f"expected version {expected}, found {found}"
        return VersionConflictError(
            f"{schema.describe(obj)} changed since it was read: {detail}",
            entity=schema.name,
            key=key_text(key),
            expected=expected,
            found=found,
        )

    return factory


def save(table: Table, schema: EntitySchema[M], obj: M) -> M:
    """Create or replace, checking and bumping the version; for a root, write its members and
    delete members no longer present; move unique guards whose values changed."""
    key = schema.table_key(obj)
    if not (schema.versioned or schema.unique or schema.members):
        action = Action(
            kind="Put",
            request={"Item": schema.to_item(obj)},
            on_condition_failed=unexpected,
            entity=schema.name,
            describe=partial(schema.describe, obj),
        )
        run(table, [action])
        return obj
    stored, partition = current_state(table, schema, key)
    current = schema.from_item(stored) if stored is not None else None
    expected: int | None = None
    new = obj
    if schema.versioned:
        expected = int(getattr(obj, VERSION_ATTRIBUTE))
        found = int(getattr(current, VERSION_ATTRIBUTE)) if current is not None else None
        if (found or 0) != expected:
            raise VersionConflictError(
                f"{schema.describe(obj)} changed since it was read: expected version "
                f"{expected}, found {found}",
                entity=schema.name,
                key=key_text(key),
                expected=expected,
                found=found,
            )
        new = obj.model_copy(update={VERSION_ATTRIBUTE: expected + 1})
    entries = flatten(schema, new)
    guarded = () if schema.versioned else unique_attributes(schema)
    condition = root_condition(schema, stored, expected, guarded)
    actions = [
        Action(
            kind="Put",
            request=_put(entries[0][2], condition),
            on_condition_failed=conflict(schema, new, key, expected),
            entity=schema.name,
            describe=partial(schema.describe, new),
        )
    ]
    kept = set()
    for entry_schema, entry, item in entries[1:]:
        kept.add((item["PK"]["S"], item["SK"]["S"]))
        actions.append(
            Action(
                kind="Put",
                request={"Item": item},
                on_condition_failed=unexpected,
                entity=entry_schema.name,
                describe=partial(entry_schema.describe, entry),
            )
        )
    actions += delete_actions(
        [
            item
            for item in partition
            if item is not stored and (item["PK"]["S"], item["SK"]["S"]) not in kept
        ]
    )
    actions += guard_actions(schema, current, new, key)
    run(table, actions)
    return new
