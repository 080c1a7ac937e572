"""Typed errors raised by the runtime; every one names its cause (which item, value, version)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DynamodelError(Exception):
    """Base class of every error dynamodel raises at run time."""


class AlreadyExistsError(DynamodelError):
    """A create found an item with the same key already in the table."""

    def __init__(self, message: str, *, entity: str = "", key: str = "") -> None:
        super().__init__(message)
        self.entity = entity
        self.key = key


class UniqueValueTakenError(DynamodelError):
    """A unique attribute (or composite) already belongs to another item."""

    def __init__(
        self,
        message: str,
        *,
        entity: str = "",
        attributes: Sequence[str] = (),
        values: Sequence[object] = (),
    ) -> None:
        super().__init__(message)
        self.entity = entity
        self.attributes = tuple(attributes)
        self.values = tuple(values)


class VersionConflictError(DynamodelError):
    """Optimistic locking failed: the stored version is not the one the caller read."""

    def __init__(
        self,
        message: str,
        *,
        entity: str = "",
        key: str = "",
        expected: int | None = None,
        found: int | None = None,
    ) -> None:
        super().__init__(message)
        self.entity = entity
        self.key = key
        self.expected = expected
        self.found = found


class CopySourceChangedError(VersionConflictError):
    """The source of a denormalized copy changed while its holder was written (after a few
    attempts from fresh reads); `entity` and `key` name the source. Nothing was written."""


class NotFoundError(DynamodelError):
    """The item to update or delete does not exist."""

    def __init__(self, message: str, *, entity: str = "", key: str = "") -> None:
        super().__init__(message)
        self.entity = entity
        self.key = key


class TransactionTooLargeError(DynamodelError):
    """A write needs more than 100 actions or 4 MB in one transaction; nothing was sent."""

    def __init__(self, message: str, *, actions: int = 0, size: int = 0) -> None:
        super().__init__(message)
        self.actions = actions
        self.size = size


class ItemTooLargeError(DynamodelError):
    """An item exceeds DynamoDB's 400 KB item size; nothing was sent."""

    def __init__(self, message: str, *, entity: str = "", size: int = 0) -> None:
        super().__init__(message)
        self.entity = entity
        self.size = size


class InvalidKeyValueError(DynamodelError, ValueError):
    """A value cannot be used in a key: empty, wrong type, unencodable, or too long."""

    def __init__(self, message: str, *, attribute: str | None = None) -> None:
        super().__init__(message)
        self.attribute = attribute


class InvalidCursorError(DynamodelError, ValueError):
    """A page cursor was tampered with, expired, or belongs to another query."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        # Short and free of secrets, so an API may return it to its client as a 400 message.
        self.reason = reason


class StreamRecordError(DynamodelError, ValueError):
    """A DynamoDB stream record that cannot be read: not a DynamoDB record, an unknown event
    name, or an image of a known entity that its decoder rejects (e.g. written by an older
    spec). Names the record, so a handler can report it as the batch's failed item."""

    def __init__(
        self, message: str, *, event_id: str = "", sequence_number: str = "", entity: str = ""
    ) -> None:
        super().__init__(message)
        self.event_id = event_id
        self.sequence_number = sequence_number
        self.entity = entity


class TransactionFailedError(DynamodelError):
    """DynamoDB cancelled a transaction for a reason that is not a condition we check."""

    def __init__(self, message: str, *, reasons: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.reasons = tuple(reasons)


class BatchIncompleteError(DynamodelError):
    """A batch call kept leaving items unprocessed after every retry; they are attached."""

    def __init__(self, message: str, *, unprocessed: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.unprocessed = list(unprocessed)


class RetriesExhaustedError(DynamodelError):
    """A call kept failing for a transient reason (throttling, a transaction conflict, a server
    or connection error, a damaged response) until the retries gave up. `attempts` counts the
    HTTP requests really sent, botocore's own retries included. When `may_have_applied` is
    true some attempt's response was lost or was a server error: a write may have been
    applied (whole: a transaction, or one item), and reading it back tells which."""

    def __init__(
        self, message: str, *, operation: str, attempts: int, cause: str, may_have_applied: bool
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.attempts = attempts
        self.cause = cause
        self.may_have_applied = may_have_applied


class InvalidValueError(DynamodelError, ValueError):
    """A write was given a value its attribute cannot hold: the wrong type, a string outside
    its enum, a missing required value, a number DynamoDB cannot store, or an aggregate with
    two members of the same id. Raised before any request; names the entity, the attribute
    (with a path inside it, e.g. `labels[0]`) and the value."""

    def __init__(
        self, message: str, *, entity: str = "", attribute: str = "", value: object = None
    ) -> None:
        super().__init__(message)
        self.entity = entity
        self.attribute = attribute
        self.value = value


class ResponseIntegrityError(DynamodelError):
    """A response failed its integrity check: its `x-amz-crc32` header does not match its
    body, or its body is not the complete JSON document DynamoDB sends (cut short, say).
    Nothing in it was used. It is retried like a lost response: the request it answers may
    have been applied. Once the retries are exhausted it is the cause of a
    RetriesExhaustedError."""

    def __init__(self, message: str, *, operation: str, reason: str) -> None:
        super().__init__(message)
        self.operation = operation
        self.reason = reason  # "crc32" or "truncated"


class OutcomeUnknownError(DynamodelError):
    """A write whose earlier attempt may have been applied (its response was lost, or was a
    server error) was retried, and the retry failed its condition on an item that another
    writer changed in between: whether this write was applied cannot be told. Read the item
    back and decide; the error names the operation and the item."""

    def __init__(self, message: str, *, operation: str, entity: str = "", key: str = "") -> None:
        super().__init__(message)
        self.operation = operation
        self.entity = entity
        self.key = key
