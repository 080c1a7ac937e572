"""What the retry tests share (tests/test_retry_classification.py, tests/test_retry_backoff.py,
tests/test_retry_layer.py): botocore's errors as DynamoDB raises them."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

URL = "https://dynamodb.eu-west-1.amazonaws.com"


def client_error(
    code: str, *, status: int = 400, operation: str = "PutItem", **extra: Any
) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": "x"},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return ClientError(response, operation)


def cancelled(*codes: str) -> ClientError:
    return client_error(
        "TransactionCanceledException",
        operation="TransactWriteItems",
        CancellationReasons=[{"Code": code} for code in codes],
    )
