"""DynamoDB stream records as typed changes, one per entity item.

A generated package's `streams.py` declares one `Change` subclass per entity and a
`StreamParser` over them; `StreamParser.parse` reads a Lambda event (`{"Records": [...]}`,
binary values as base64 text, creation times as epoch seconds) or the records boto3's
`dynamodbstreams` client returns (binary values as bytes, creation times as datetimes), and
decodes each image with the entity's own generated decoder (`EntitySchema.from_item`).

- Which entity a record is about comes from the image's `_type`; without an image (a
  KEYS_ONLY stream, or a view type that gives no image for this event) from the table key,
  matched against each entity's key template. The id is decoded from the key either way.
- A stream record is one item: a root's change carries the root without its members (their
  list fields are empty); each member item changes on its own, as a change of the member.
- Unique guards, apply-once markers (`dynamodel.runtime.counters`), items of types the package
  does not know and keys no entity has are not changes: they are returned as
  `SkippedRecord`s with the reason, never dropped silently.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar, cast

from pydantic import BaseModel

from dynamodel.runtime.counters import MARKER_TAG, MARKER_TYPE
from dynamodel.runtime.errors import StreamRecordError
from dynamodel.runtime.key_decoding import decode
from dynamodel.runtime.keys import DELIMITER
from dynamodel.runtime.schema import TYPE_ATTRIBUTE, EntitySchema, Item
from dynamodel.runtime.writes import GUARD_TYPE

M = TypeVar("M", bound=BaseModel)
EventName = Literal["INSERT", "MODIFY", "REMOVE"]
SkipReason = Literal["unique_guard", "apply_once_marker", "unknown_type", "unknown_key"]
EVENT_NAMES: frozenset[str] = frozenset({"INSERT", "MODIFY", "REMOVE"})
# A TTL deletion is a REMOVE made by the DynamoDB service itself.
_TTL_PRINCIPAL = "dynamodb.amazonaws.com"


@dataclass(frozen=True, kw_only=True)
class Change(Generic[M]):
    """One stream record of an item of entity `M`.

    `new` is the item after the change, `old` before it; each is None where the event gives
    none (INSERT has no old image, REMOVE no new one) or the stream's view type does not carry
    it (KEYS_ONLY: neither; NEW_IMAGE: no old; OLD_IMAGE: no new). `id` holds the id
    attributes, decoded from the key, so it is there for every view type.
    """

    entity: str  # the entity's name, as in the spec
    event_name: EventName
    event_id: str  # unique per record, and the same on every redelivery of it
    sequence_number: str  # Lambda's itemIdentifier for ReportBatchItemFailures
    keys: dict[str, str]  # the table key, e.g. {"PK": "Alert#01J...", "SK": "#Alert"}
    id: dict[str, Any]
    new: M | None = None
    old: M | None = None
    approximate_creation_time: datetime | None = None  # when the change was made (UTC)
    stream_view_type: str | None = None  # KEYS_ONLY | NEW_IMAGE | OLD_IMAGE | NEW_AND_OLD_IMAGES
    expired: bool = False  # a REMOVE made by the table's TTL, not by a writer


@dataclass(frozen=True, kw_only=True)
class SkippedRecord:
    """A stream record that is not a change of an entity, and why."""

    reason: SkipReason
    event_name: str
    event_id: str
    sequence_number: str
    keys: dict[str, str]
    type: str | None = None  # the item's `_type`, when an image gave one

    def __str__(self) -> str:
        what = f" of type {self.type!r}" if self.type else ""
        return f"skipped {self.event_name} {self.event_id}{what} {self.keys}: {self.reason}"


C = TypeVar("C", bound=Change[Any])


@dataclass(frozen=True)
class ChangeBatch(Generic[C]):
    """The changes of one batch of records, in stream order, and the records skipped."""

    changes: list[C] = field(default_factory=list)
    skipped: list[SkippedRecord] = field(default_factory=list)

    def response(self, *, failed: Change[Any] | None = None) -> dict[str, list[dict[str, str]]]:
        """Lambda's answer under `FunctionResponseTypes: [ReportBatchItemFailures]`: nothing
        failed, or the first change that failed (Lambda redelivers it and every later record,
        so the changes after it must not have been applied or must be idempotent)."""
        if failed is None:
            return {"batchItemFailures": []}
        return {"batchItemFailures": [{"itemIdentifier": failed.sequence_number}]}


# A key segment: a literal, or (attribute, spec type) for an encoded value.
Segment = str | tuple[str, str]
SHARD = "_shard"  # the attribute name of a write-shard segment (not part of the id)


@dataclass(frozen=True)
class KeyShape:
    """The template of one kind of item's table key, to recognise its keys and decode them."""

    partition: tuple[Segment, ...]
    sort: tuple[Segment, ...]
    _patterns: tuple[re.Pattern[str], re.Pattern[str]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # Compiled once, when the generated module builds its parser (frozen: set directly).
        object.__setattr__(self, "_patterns", (_pattern(self.partition), _pattern(self.sort)))

    def match(self, partition: str, sort: str) -> dict[str, Any] | None:
        """The attribute values in this key, or None if the key is not of this shape."""
        values: dict[str, Any] = {}
        for text, pattern, segments in (
            (partition, self._patterns[0], self.partition),
            (sort, self._patterns[1], self.sort),
        ):
            found = pattern.fullmatch(text)
            if found is None:
                return None
            attributes = [s for s in segments if isinstance(s, tuple)]
            for (name, type_name), encoded in zip(attributes, found.groups(), strict=True):
                try:
                    value = decode(type_name, encoded)
                except ValueError:  # not a canonical encoding: not a key of this shape
                    return None
                if name != SHARD:
                    values[name] = value
        return values


def _pattern(segments: Sequence[Segment]) -> re.Pattern[str]:
    # Encoded values never contain the delimiter, so each value is one run of other characters;
    # literals are matched whole (a head item's "#Ticket" contains the delimiter itself).
    parts = [re.escape(s) if isinstance(s, str) else f"([^{DELIMITER}]+)" for s in segments]
    return re.compile(re.escape(DELIMITER).join(parts))


@dataclass(frozen=True, kw_only=True)
class StreamEntity:
    """One entity as the parser sees it: its change class, schema and table-key shape."""

    change: type[Change[Any]]
    schema: EntitySchema[Any]
    key: KeyShape


_MARKER_SHAPE = KeyShape((MARKER_TAG, ("consumer", "str"), ("token", "str")), (MARKER_TAG,))


class StreamParser(Generic[C]):
    """Turns stream records into the typed changes of one generated package."""

    def __init__(
        self,
        *,
        entities: Sequence[StreamEntity],
        guards: Sequence[KeyShape] = (),
        key_names: tuple[str, str] = ("PK", "SK"),
    ) -> None:
        self.entities = tuple(entities)
        self.guards = tuple(guards)
        self.key_names = key_names
        self._by_type = {entity.schema.name: entity for entity in self.entities}

    def parse(self, event: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> ChangeBatch[C]:
        """Every record of a Lambda event, a `get_records` response, or a list of records."""
        records = event.get("Records", ()) if isinstance(event, Mapping) else event
        batch: ChangeBatch[C] = ChangeBatch()
        for record in records:
            parsed = self.parse_record(record)
            if isinstance(parsed, SkippedRecord):
                batch.skipped.append(parsed)
            else:
                batch.changes.append(parsed)
        return batch

    def parse_record(self, record: Mapping[str, Any]) -> C | SkippedRecord:
        """One record: its change, or why it is skipped. Raises StreamRecordError for a
        record that is not a DynamoDB stream record or whose image cannot be decoded."""
        event_id = str(record.get("eventID", ""))
        body = record.get("dynamodb")
        source = record.get("eventSource", "aws:dynamodb")
        if source != "aws:dynamodb" or not isinstance(body, Mapping):
            raise StreamRecordError(
                f"record {event_id!r} is not a DynamoDB stream record (source {source!r})",
                event_id=event_id,
            )
        sequence_number = str(body.get("SequenceNumber", ""))
        event_name = str(record.get("eventName", ""))
        if event_name not in EVENT_NAMES:
            raise StreamRecordError(
                f"record {event_id!r} has an unknown eventName {event_name!r}",
                event_id=event_id,
                sequence_number=sequence_number,
            )
        try:
            keys = {name: _key_text(value) for name, value in (body.get("Keys") or {}).items()}
            new_image = image_item(body.get("NewImage"))
            old_image = image_item(body.get("OldImage"))
        except (ValueError, TypeError, AttributeError, StopIteration) as error:
            raise StreamRecordError(
                f"record {event_id!r} has malformed keys or images ({type(error).__name__}: {error})",
                event_id=event_id,
                sequence_number=sequence_number,
            ) from error
        image = new_image if new_image is not None else old_image

        def skipped(reason: SkipReason, type_name: str | None = None) -> SkippedRecord:
            return SkippedRecord(
                reason=reason,
                event_name=event_name,
                event_id=event_id,
                sequence_number=sequence_number,
                keys=keys,
                type=type_name,
            )

        partition = keys.get(self.key_names[0], "")
        sort = keys.get(self.key_names[1], "")
        entity: StreamEntity | None = None
        key_values: dict[str, Any] | None = None
        if image is not None:
            type_name = (image.get(TYPE_ATTRIBUTE) or {}).get("S")
            if type_name == GUARD_TYPE:
                return skipped("unique_guard", type_name)
            if type_name == MARKER_TYPE:
                return skipped("apply_once_marker", type_name)
            entity = self._by_type.get(type_name) if isinstance(type_name, str) else None
            if entity is None:
                return skipped("unknown_type", type_name)
            key_values = entity.key.match(partition, sort)
        else:  # no image: the key alone tells what the item is
            if _MARKER_SHAPE.match(partition, sort) is not None:
                return skipped("apply_once_marker")
            if any(guard.match(partition, sort) is not None for guard in self.guards):
                return skipped("unique_guard")
            for candidate in self.entities:
                key_values = candidate.key.match(partition, sort)
                if key_values is not None:
                    entity = candidate
                    break
            if entity is None:
                return skipped("unknown_key")
        schema = entity.schema
        new = self._decode(schema, new_image, "new", event_id, sequence_number)
        old = self._decode(schema, old_image, "old", event_id, sequence_number)
        shown = new if new is not None else old
        if shown is not None:  # the model's own values: typed exactly as the entity declares
            id_values = {name: getattr(shown, name) for name in schema.id_attributes}
        else:
            assert key_values is not None
            id_values = {name: key_values[name] for name in schema.id_attributes}
        identity = record.get("userIdentity") or {}
        change = entity.change(
            entity=schema.name,
            event_name=cast(EventName, event_name),
            event_id=event_id,
            sequence_number=sequence_number,
            keys=keys,
            id=id_values,
            new=new,
            old=old,
            approximate_creation_time=_creation_time(body.get("ApproximateCreationDateTime")),
            stream_view_type=body.get("StreamViewType"),
            expired=event_name == "REMOVE"
            and identity.get("type") == "Service"
            and identity.get("principalId") == _TTL_PRINCIPAL,
        )
        return cast(C, change)

    @staticmethod
    def _decode(
        schema: EntitySchema[Any],
        image: Item | None,
        which: str,
        event_id: str,
        sequence_number: str,
    ) -> Any:
        if image is None:
            return None
        try:
            return schema.from_item(image)
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            raise StreamRecordError(
                f"record {event_id!r}: the {which} image of a {schema.name} cannot be decoded "
                f"({type(error).__name__}: {error}); was it written by another version of the "
                "spec?",
                event_id=event_id,
                sequence_number=sequence_number,
                entity=schema.name,
            ) from error


def _key_text(value: Mapping[str, Any]) -> str:
    # dynamodel's table keys are strings; another type is shown as its text.
    tag, text = next(iter(value.items()))
    return str(text) if tag == "S" else f"{tag}:{text}"


def image_item(image: Mapping[str, Any] | None) -> Item | None:
    """A record's image as the low-level client gives items (None when there is none)."""
    if not image:
        return None
    return {name: _attribute_value(value) for name, value in image.items()}


def _attribute_value(value: Mapping[str, Any]) -> dict[str, Any]:
    """An AttributeValue as the low-level client gives it: Lambda's JSON carries binary
    values as base64 text, boto3's `dynamodbstreams` client as bytes (kept as they are)."""
    tag, inner = next(iter(value.items()))
    if tag == "B":
        return {"B": _binary(inner)}
    if tag == "BS":
        return {"BS": [_binary(v) for v in inner]}
    if tag == "M":
        return {"M": {k: _attribute_value(v) for k, v in inner.items()}}
    if tag == "L":
        return {"L": [_attribute_value(v) for v in inner]}
    return {tag: inner}


def _binary(value: str | bytes | bytearray) -> bytes:
    if isinstance(value, str):
        return base64.b64decode(value, validate=True)
    return bytes(value)


def _creation_time(value: object) -> datetime | None:
    """Lambda gives epoch seconds (a number), boto3 a datetime."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return None
