"""Keeping denormalized copies current from the table's stream (`CopyKeeper`, behind the
generated `copies.handler`), and bringing one holder up to its source (`bring_up`, also used
by the copy backfills). See `dynamodel.runtime.copies` for stamps and for writing holders.

Apart from `copies` so that a repository, which only writes holders, does not import this at
its cold start: `dynamodel.runtime.copies` still exports these names, loaded on first use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from dynamodel.runtime.schema import CopySpec, EntitySchema, Item
from dynamodel.runtime.stamps import incarnation_of, stamp_of
from dynamodel.runtime.table import Table

_LOG = logging.getLogger("dynamodel.copies")


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
            and incarnation_of(old) == incarnation_of(new)
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
