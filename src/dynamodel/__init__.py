"""dynamodel: DynamoDB single-table design from a declarative access-pattern spec.

Importing this package loads only the runtime's error classes, so that Lambdas importing a
generated repository never pay for the compiler, YAML, typer or rich.
"""

from dynamodel.runtime.errors import (
    AlreadyExistsError,
    BatchIncompleteError,
    DynamodelError,
    InvalidCursorError,
    InvalidKeyValueError,
    InvalidValueError,
    ItemTooLargeError,
    NotFoundError,
    OutcomeUnknownError,
    ResponseIntegrityError,
    RetriesExhaustedError,
    StreamRecordError,
    TransactionFailedError,
    TransactionTooLargeError,
    UniqueValueTakenError,
    VersionConflictError,
)

__version__ = "0.1.0"

__all__ = [
    "AlreadyExistsError",
    "BatchIncompleteError",
    "DynamodelError",
    "InvalidCursorError",
    "InvalidKeyValueError",
    "InvalidValueError",
    "ItemTooLargeError",
    "NotFoundError",
    "OutcomeUnknownError",
    "ResponseIntegrityError",
    "RetriesExhaustedError",
    "StreamRecordError",
    "TransactionFailedError",
    "TransactionTooLargeError",
    "UniqueValueTakenError",
    "VersionConflictError",
    "__version__",
]
