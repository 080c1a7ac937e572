"""Write paths: create, save, update and delete of entities and whole aggregates.

Every call writes all its items — the root, its members, its unique guards — in one request:
a conditional PutItem/UpdateItem/DeleteItem when one item changes, else one TransactWriteItems.
Conditions make each write safe against concurrent writers: version checks for versioned
entities, and for partial updates, checks that the attributes an index key is built from still
hold the values the new key was computed from, so no index key can go stale.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel

from dynamodel.runtime.copies import born, fill_copies, keeping_copies, reborn
from dynamodel.runtime.counted import counter_actions
from dynamodel.runtime.errors import (
    AlreadyExistsError,
    DynamodelError,
    InvalidKeyValueError,
    InvalidValueError,
    NotFoundError,
    VersionConflictError,
)
from dynamodel.runtime.expiry import absent_or_expired
from dynamodel.runtime.guards import GUARD_TYPE as GUARD_TYPE
from dynamodel.runtime.guards import guard_actions, run_claiming
from dynamodel.runtime.guards import guard_item as guard_item
from dynamodel.runtime.schema import (
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


class Condition:
    """A ConditionExpression under construction: AND-ed parts, with names and values."""

    # A plain class: a dataclass costs half a millisecond at import (issue 14, item 5), and
    # conditions are neither compared nor printed.
    __slots__ = ("names", "parts", "values")

    def __init__(
        self, parts: list[str], names: dict[str, str] | None = None, values: Item | None = None
    ) -> None:
        self.parts = parts
        self.names = {} if names is None else names
        self.values = {} if values is None else values

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
    """The items of an aggregate: the root first, then members (depth first). Each item is
    checked as it is encoded (`EntitySchema.to_item`); two members with one id would be one
    item written twice, which DynamoDB refuses, so they raise InvalidValueError here."""
    item = schema.to_item(obj)
    if root_item is None:
        root_item = item
    elif schema.inherited_ttl and schema.inherited_ttl in root_item:
        item[schema.inherited_ttl] = root_item[schema.inherited_ttl]
    entries = [(schema, obj, item)]
    if not schema.members:
        return entries
    identity = schema.identity(obj)
    width = len(identity)
    for member in schema.members:
        child_schema = member.schema
        seen: set[tuple[object, ...]] = set()
        for child in getattr(obj, member.field):
            if child_schema.members:
                entries.extend(flatten(child_schema, child, root_item=root_item))
            else:  # a leaf member (nearly all of them), without a call of its own
                child_item = child_schema.to_item(child)
                ttl = child_schema.inherited_ttl
                if ttl and ttl in root_item:
                    child_item[ttl] = root_item[ttl]
                entries.append((child_schema, child, child_item))
            child_identity = child_schema.identity(child)
            if child_identity[:width] != identity:
                raise InvalidKeyValueError(
                    f"{child_schema.describe(child)} is in {schema.describe(obj)}."
                    f"{member.field}, but its id does not start with the root's id"
                )
            if child_identity in seen:
                raise InvalidValueError(
                    f"{schema.describe(obj)}.{member.field} holds {child_schema.describe(child)}"
                    " twice: member ids must be distinct; nothing was sent",
                    entity=schema.name,
                    attribute=member.field,
                    value=child_identity,
                )
            seen.add(child_identity)
    return entries


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


def creates(table: Table, schema: EntitySchema[Any]) -> Condition:
    """The condition of a write that creates an item: none is stored, or the stored one has
    expired (DynamoDB's TTL would delete it, and reads already hide it)."""
    expression, names, values = absent_or_expired(schema.expiry_attribute, table.now())
    return Condition([expression], names, values)


@functools.cache
def _create_condition(expiry: str) -> Mapping[str, Any]:
    """`creates`' condition for items with this TTL attribute, but for the value of "now":
    built once per attribute (shared by requests, never mutated)."""
    expression, names, _ = absent_or_expired(expiry, 0)
    return conditioned({}, Condition([expression], names))


def _create_requests(
    table: Table, entries: Sequence[tuple[EntitySchema[Any], Any, Item]]
) -> list[dict[str, Any]]:
    """The Put request of each item a create writes, under `creates`' condition: the same
    requests as `_put(item, creates(table, schema))`, from conditions built once, with one
    "now" for the whole write."""
    now: int | None = None
    values: dict[str, Item] = {}
    requests = []
    for schema, _, item in entries:
        expiry = schema.expiry_attribute
        if expiry is None:
            requests.append({"Item": item, **_NOT_EXISTS})
            continue
        if expiry not in values:
            now = table.now() if now is None else now
            values[expiry] = absent_or_expired(expiry, now)[2]
        condition = _create_condition(expiry)
        requests.append({"Item": item, **condition, "ExpressionAttributeValues": values[expiry]})
    return requests


def unexpected(reason: Mapping[str, Any]) -> DynamodelError:
    return DynamodelError(f"an unconditional action failed its condition: {dict(reason)}")


def create(table: Table, schema: EntitySchema[M], obj: M) -> M:
    return keeping_copies(schema, partial(_create, table, schema, obj))


def _create(table: Table, schema: EntitySchema[M], obj: M) -> M:
    new = obj.model_copy(update={VERSION_ATTRIBUTE: 1}) if schema.versioned else obj
    entries = flatten(schema, new)
    new, filled, copy_checks = fill_copies(table, schema, new, entries[0][2])
    entries[0] = (entries[0][0], new, born(schema, filled))
    actions = [
        Action(
            kind="Put",
            request=request,
            on_condition_failed=_exists_error(schema, entry_schema, entry, item),
            entity=entry_schema.name,
            describe=partial(entry_schema.describe, entry),
        )
        for (entry_schema, entry, item), request in zip(
            entries, _create_requests(table, entries), strict=True
        )
    ]
    actions += guard_actions(table, schema, None, new, stored=None, written=entries[0][2])
    actions += counter_actions(table, schema, new, +1)
    actions += copy_checks
    run_claiming(table, schema, new, actions, send=run)
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
    delete members no longer present; move unique guards whose values changed; fill a
    holder's copies from their sources as they are now."""
    return keeping_copies(schema, partial(_save, table, schema, obj))


def _save(table: Table, schema: EntitySchema[M], obj: M) -> M:
    key = schema.table_key(obj)
    if not (
        schema.versioned or schema.unique or schema.members or schema.counts or schema.counters
    ):
        # An unconditional Put; a holder's copies are filled first, and each source checked
        # in the same transaction (none to check when its references are None).
        new, item, copy_checks = fill_copies(table, schema, obj, schema.to_item(obj))
        action = Action(
            kind="Put",
            request={"Item": item},
            on_condition_failed=unexpected,
            entity=schema.name,
            describe=partial(schema.describe, new),
        )
        run(table, [action, *copy_checks])
        return new
    entries = flatten(schema, obj)  # every item encoded (so checked) before anything is read
    stored, partition = current_state(table, schema, key)
    # An expired item is gone to readers, so a save replaces it as it would create the item.
    live = stored if stored is not None and not table.expired(stored) else None
    current = schema.from_item(live) if live is not None else None
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
        # The version is no key and no member's: only the root item's version attribute moves.
        root_item = {**entries[0][2], VERSION_ATTRIBUTE: {"N": str(expected + 1)}}
        entries[0] = (schema, new, root_item)
    guarded = () if schema.versioned else unique_attributes(schema)
    if schema.counters and live is not None:
        # Counters are kept by the children's writes: the stored values stay, under the
        # condition that they still are those (a child written meanwhile fails this save).
        kept_values = {name: live[name] for name in schema.counters if name in live}
        entries[0] = (entries[0][0], entries[0][1], {**entries[0][2], **kept_values})
        new = new.model_copy(update={n: getattr(current, n) for n in kept_values})
        guarded = (*guarded, *schema.counters)
    new, filled, copy_checks = fill_copies(table, schema, new, entries[0][2])
    entries[0] = (entries[0][0], new, reborn(schema, filled, live))
    condition = (
        root_condition(schema, live, expected, guarded)
        if live is not None
        else creates(table, schema)
    )
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
    actions += guard_actions(table, schema, current, new, stored=live, written=entries[0][2])
    if live is None:  # a save that creates the item counts it, as a create does
        actions += counter_actions(table, schema, new, +1)
    actions += copy_checks
    run_claiming(table, schema, new, actions, send=run)
    return new
