"""Denormalized copies (spec 1.1 `copy_of`): filled when a holder is written, kept current
from the table's stream.

**Stamps.** Every copy records which state of its source it holds, in the holder item's
`_copy_<Source>` attribute: the source's incarnation (a ULID its create stores in
`_incarnation`, so a source deleted and created again orders after its former self) and its
version (a source of copies is versioned), as one string that sorts in that order. A
holder is changed only by a newer stamp, so a duplicated, replayed or late stream record
never overwrites a newer copy.

**Writing a holder** (`fill_copies`): each source is read strongly consistently, its values
and stamp go into the holder item, and a ConditionCheck in the same transaction makes sure
the source is still in that state: a new holder is never stale at birth. A source changed
in between fails the check with `CopySourceChangedError`, and `keeping_copies` writes again
from a fresh read (a few times). A holder whose reference to a source is None holds no copy
of it; a reference to a source that does not exist raises NotFoundError.

**Source changes** (`CopyKeeper.handle` in `copy_keeper`, the generated `copies.handler`):
for each stream record of a source item whose copied values changed, every holder found
through the holder lookup the design provides is updated under the condition that it still
names that source and holds an older stamp. A record that fails stops the batch and is reported in
`batchItemFailures` (Lambda delivers it and every later record again; what was applied
already is skipped by its stamp). A deleted source leaves its holders' copies as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from dynamodel.runtime.errors import CopySourceChangedError, NotFoundError
from dynamodel.runtime.ids import new_ulid
from dynamodel.runtime.names import VERSION_ATTRIBUTE
from dynamodel.runtime.schema import CopySpec, EntitySchema, Item
from dynamodel.runtime.stamps import INCARNATION_ATTRIBUTE, stamp_of
from dynamodel.runtime.table import Table
from dynamodel.runtime.transact import Action
from dynamodel.runtime.write_once import key_text

_ATTEMPTS = 3  # writes of a holder from a fresh read of its sources, when they change meanwhile

M = TypeVar("M")
B = TypeVar("B", bound=BaseModel)

if TYPE_CHECKING:
    from dynamodel.runtime.copy_keeper import CopiedSource as CopiedSource
    from dynamodel.runtime.copy_keeper import CopyKeeper as CopyKeeper
    from dynamodel.runtime.copy_keeper import HolderLookup as HolderLookup
    from dynamodel.runtime.copy_keeper import KeptRecord as KeptRecord
    from dynamodel.runtime.copy_keeper import bring_up as bring_up

# Keeping copies current from the stream lives in `copy_keeper`, imported on first use of
# one of its names here (the generated copies handler, the backfills): a repository only
# writes holders, and its cold start is a millisecond shorter without it.
_KEEPER = frozenset({"CopiedSource", "CopyKeeper", "HolderLookup", "KeptRecord", "bring_up"})


def __getattr__(name: str) -> Any:
    if name in _KEEPER:
        from dynamodel.runtime import copy_keeper

        return getattr(copy_keeper, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def born(schema: EntitySchema[Any], item: Item) -> Item:
    """A source item as its create writes it: with a new incarnation."""
    if not schema.copied:
        return item
    return {**item, INCARNATION_ATTRIBUTE: {"S": new_ulid()}}


def reborn(schema: EntitySchema[Any], item: Item, stored: Item | None) -> Item:
    """A source item as a save writes it: the stored incarnation kept, a new one if it is
    created (or replaces an expired item)."""
    if not schema.copied:
        return item
    if stored is None:
        return born(schema, item)
    kept = stored.get(INCARNATION_ATTRIBUTE)
    return {**item, INCARNATION_ATTRIBUTE: kept} if kept is not None else item


def keeping_copies(schema: EntitySchema[Any], write: Callable[[], M]) -> M:
    """Run a holder write, again from fresh reads when a source changed in between."""
    if not schema.copies:
        return write()
    for attempt in range(_ATTEMPTS):
        try:
            return write()
        except CopySourceChangedError:
            if attempt + 1 == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def fill_copies(
    table: Table, schema: EntitySchema[B], obj: B, item: Item
) -> tuple[B, Item, list[Action]]:
    """The holder `obj` and its `item` with every copy as its source holds it now, and a
    ConditionCheck per source that it is still in that state when the write applies."""
    if not schema.copies:
        return obj, item, []
    filled = dict(item)
    actions: list[Action] = []
    changed = False
    for copy in schema.copies:
        for holder_attribute, _ in copy.attributes:
            changed |= filled.pop(holder_attribute, None) is not None
        changed |= filled.pop(copy.stamp, None) is not None
        key = copy.source_key(obj)
        if key is None:  # no source named: no copy
            continue
        changed = True
        stored = table.get_item(key, consistent=True)
        if stored is None or table.expired(stored):
            raise NotFoundError(
                f"{copy.source} {key_text(key)} does not exist ({schema.describe(obj)} copies "
                f"{', '.join(source for _, source in copy.attributes)} from it)",
                entity=copy.source,
                key=key_text(key),
            )
        for holder_attribute, source_attribute in copy.attributes:
            if source_attribute in stored:
                filled[holder_attribute] = stored[source_attribute]
        filled[copy.stamp] = {"S": stamp_of(stored)}
        actions.append(_still_as_read(schema, obj, copy, key, stored))
    if not changed:  # no source named and no copy held: the holder and its item as they are
        return obj, item, actions
    return schema.from_item(filled), filled, actions


def _still_as_read(
    schema: EntitySchema[Any], obj: Any, copy: CopySpec, key: Item, stored: Item
) -> Action:
    names = {"#pk": "PK", "#v": VERSION_ATTRIBUTE, "#i": INCARNATION_ATTRIBUTE}
    version = stored.get(VERSION_ATTRIBUTE)
    parts = ["attribute_exists(#pk)"]
    values: dict[str, Any] = {}
    if version is not None:
        parts.append("#v = :v")
        values[":v"] = version
    else:
        parts.append("attribute_not_exists(#v)")
    incarnation = stored.get(INCARNATION_ATTRIBUTE)
    if incarnation is not None:
        parts.append("#i = :i")
        values[":i"] = incarnation
    else:
        parts.append("attribute_not_exists(#i)")
    request: dict[str, Any] = {
        "Key": key,
        "ConditionExpression": " AND ".join(parts),
        "ExpressionAttributeNames": names,
    }
    if values:
        request["ExpressionAttributeValues"] = values

    def changed(reason: Mapping[str, Any]) -> CopySourceChangedError:
        return CopySourceChangedError(
            f"{copy.source} {key_text(key)} changed while {schema.describe(obj)} was written "
            "with a copy of it",
            entity=copy.source,
            key=key_text(key),
        )

    return Action(kind="ConditionCheck", request=request, on_condition_failed=changed)
