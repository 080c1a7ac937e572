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

**Source changes** (`CopyKeeper.handle`, the generated `copies.handler`): for each stream
record of a source item whose copied values changed, every holder found through the holder
lookup the design provides is updated under the condition that it still names that source
and holds an older stamp. A record that fails stops the batch and is reported in
`batchItemFailures` (Lambda delivers it and every later record again; what was applied
already is skipped by its stamp). A deleted source leaves its holders' copies as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from dynamodel.runtime.errors import CopySourceChangedError, NotFoundError
from dynamodel.runtime.ids import new_ulid
from dynamodel.runtime.names import VERSION_ATTRIBUTE
from dynamodel.runtime.schema import CopySpec, EntitySchema, Item
from dynamodel.runtime.table import Table
from dynamodel.runtime.transact import Action
from dynamodel.runtime.write_once import key_text

INCARNATION_ATTRIBUTE = "_incarnation"
# The incarnation of a source written before it had one: older than every ULID.
_NO_INCARNATION = "0" * 26
_ATTEMPTS = 3  # writes of a holder from a fresh read of its sources, when they change meanwhile
_LOG = logging.getLogger("dynamodel.copies")

M = TypeVar("M")
B = TypeVar("B", bound=BaseModel)


def stamp_of(source: Item) -> str:
    """The order of a stored source state: incarnation, then version (fixed width)."""
    incarnation = source.get(INCARNATION_ATTRIBUTE, {}).get("S", _NO_INCARNATION)
    version = int(source.get(VERSION_ATTRIBUTE, {}).get("N", "0"))
    return f"{incarnation}.{version:020d}"


def _incarnation(item: Item) -> str:
    return stamp_of(item).split(".", 1)[0]


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
    for copy in schema.copies:
        for holder_attribute, _ in copy.attributes:
            filled.pop(holder_attribute, None)
        filled.pop(copy.stamp, None)
        key = copy.source_key(obj)
        if key is None:  # no source named: no copy
            continue
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


# -- keeping copies current from the stream ------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HolderLookup:
    """The holders of one source's copies in one holder entity, and how to find them."""

    holder: EntitySchema[Any]
    copy: CopySpec
    # (repository, source model, cursor) -> (holder models, next cursor or None): the design's
    # holder lookup pattern, strongly consistent where it is served by the base table.
    find: Callable[[Any, Any, str | None], tuple[Sequence[Any], str | None]]


@dataclass(frozen=True, kw_only=True)
class CopiedSource:
    schema: EntitySchema[Any]
    lookups: tuple[HolderLookup, ...]

    @property
    def attributes(self) -> frozenset[str]:
        """The source attributes any holder copies."""
        return frozenset(s for lookup in self.lookups for _, s in lookup.copy.attributes)


@dataclass(frozen=True)
class KeptRecord:
    """What one stream record did: holders updated, and holders already newer (skipped)."""

    updated: int = 0
    skipped: int = 0


class CopyKeeper:
    """Propagates source changes to their holders; one per generated package.

    `repository(table_name)` gives the repository of a table (each record's table comes
    from its `eventSourceARN`; None when a record has none). Images arrive as the low-level
    client gives them (binary values as bytes) or as Lambda's JSON (base64 text).
    """

    def __init__(
        self, *, sources: Iterable[CopiedSource], repository: Callable[[str | None], Any]
    ) -> None:
        self.sources = {source.schema.name: source for source in sources}
        self.repository = repository

    def handle(self, event: Mapping[str, Any], context: object = None) -> dict[str, Any]:
        """A Lambda handler's answer for `ReportBatchItemFailures`."""
        for record in event.get("Records", ()):
            try:
                self.apply(record)
            except Exception:
                sequence = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
                _LOG.exception("copies: record %s failed; it is retried", sequence)
                return {"batchItemFailures": [{"itemIdentifier": sequence}]}
        return {"batchItemFailures": []}

    def apply(self, record: Mapping[str, Any]) -> KeptRecord:
        """Bring every holder of the record's source up to it (nothing for other items)."""
        from dynamodel.runtime.streams import image_item  # the stream module is optional

        body = record.get("dynamodb") or {}
        if record.get("eventName") not in ("INSERT", "MODIFY"):
            return KeptRecord()  # a deleted source leaves its copies as they were
        new = image_item(body.get("NewImage"))
        if new is None:
            raise ValueError(
                "a stream record of the table has no new image: copies need the stream's "
                "NEW_AND_OLD_IMAGES view"
            )
        source = self.sources.get(new.get("_type", {}).get("S", ""))
        if source is None:
            return KeptRecord()
        old = image_item(body.get("OldImage"))
        if (
            old is not None
            and _incarnation(old) == _incarnation(new)
            and all(old.get(name) == new.get(name) for name in source.attributes)
        ):
            return KeptRecord()  # nothing any holder copies changed
        repository = self.repository(_table_name(record.get("eventSourceARN")))
        table = repository.table
        model = source.schema.from_item(new)
        kept = KeptRecord()
        for lookup in source.lookups:
            cursor: str | None = None
            while True:
                holders, cursor = lookup.find(repository, model, cursor)
                for holder in holders:
                    applied = bring_up(table, lookup.holder, lookup.copy, holder, new)
                    kept = KeptRecord(kept.updated + applied, kept.skipped + (not applied))
                if cursor is None:
                    break
        return kept


def _table_name(arn: object) -> str | None:
    # arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>
    if not isinstance(arn, str) or ":table/" not in arn:
        return None
    return arn.split(":table/", 1)[1].split("/", 1)[0]


def bring_up(
    table: Table, schema: EntitySchema[Any], copy: CopySpec, holder: Any, source: Item
) -> bool:
    """Update one holder's copies to the stored `source` item, unless it holds a newer stamp
    already or no longer names that source; whether it was updated."""
    stamp = stamp_of(source)
    names = {"#pk": "PK", "#s": copy.stamp}
    values: dict[str, Any] = {":s": {"S": stamp}}
    sets = ["#s = :s"]
    removes = []
    for position, (holder_attribute, source_attribute) in enumerate(copy.attributes):
        names[f"#c{position}"] = holder_attribute
        if source_attribute in source:
            sets.append(f"#c{position} = :c{position}")
            values[f":c{position}"] = source[source_attribute]
        else:
            removes.append(f"#c{position}")
    conditions = ["attribute_exists(#pk)", "(attribute_not_exists(#s) OR #s < :s)"]
    held = schema.to_item(holder)
    for position, name in enumerate(copy.references):
        if name not in held:
            return False  # it names no source (a lookup returned it from a stale index)
        names[f"#r{position}"] = name
        values[f":r{position}"] = held[name]
        conditions.append(f"#r{position} = :r{position}")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    try:
        table.call(
            table.client.update_item,
            TableName=table.name,
            Key=schema.table_key(holder),
            UpdateExpression=expression,
            ConditionExpression=" AND ".join(conditions),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False  # newer already, or no longer a holder of this source
        raise
    return True
