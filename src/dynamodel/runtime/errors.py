"""Typed errors raised by the runtime; every one names its cause."""

from __future__ import annotations


class DynamodelError(Exception):
    """Base class of every error dynamodel raises at run time."""


class AlreadyExistsError(DynamodelError):
    """A create found an item with the same key already in the table."""


class UniqueValueTakenError(DynamodelError):
    """A unique attribute (or composite) already belongs to another item."""


class VersionConflictError(DynamodelError):
    """Optimistic locking failed: the stored version is not the one the caller read."""


class NotFoundError(DynamodelError):
    """The item to update or delete does not exist."""


class TransactionTooLargeError(DynamodelError):
    """A write needs more than 100 actions or 4 MB in one transaction; nothing was sent."""


class ItemTooLargeError(DynamodelError):
    """An item exceeds DynamoDB's 400 KB item size; nothing was sent."""


class InvalidKeyValueError(DynamodelError, ValueError):
    """A value cannot be used in a key: empty, wrong type, unencodable, or too long."""

    def __init__(self, message: str, *, attribute: str | None = None) -> None:
        super().__init__(message)
        self.attribute = attribute


class InvalidCursorError(DynamodelError, ValueError):
    """A page cursor was tampered with, expired, or belongs to another query."""
