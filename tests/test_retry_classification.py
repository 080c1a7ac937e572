"""Retries (dynamodel.runtime.retry): the classification of botocore errors as transient or
final (`is_retryable`, `RETRYABLE_ERROR_CODES`), on errors made by hand and raised by a real
client."""

from __future__ import annotations

from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import pytest
from botocore.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)
from botocore.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    ConnectionError as BotocoreConnectionError,
)
from botocore.stub import Stubber  # type: ignore[import-untyped, unused-ignore]

from dynamodel.runtime.retry import RETRYABLE_ERROR_CODES, is_retryable
from tests.retry_support import URL, cancelled, client_error


@pytest.mark.parametrize("code", sorted(RETRYABLE_ERROR_CODES))
def test_transient_codes_are_retryable(code: str) -> None:
    assert is_retryable(client_error(code))


def test_the_documented_codes_are_all_there() -> None:
    assert {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "Throttling",
        "TooManyRequestsException",
        "TransactionConflictException",
        "TransactionInProgressException",
        "InternalServerError",
        "ServiceUnavailable",
    } <= RETRYABLE_ERROR_CODES


@pytest.mark.parametrize(
    "code",
    [
        "ConditionalCheckFailedException",
        "ValidationException",
        "ResourceNotFoundException",
        "AccessDeniedException",
        "ItemCollectionSizeLimitExceededException",
        "IdempotentParameterMismatchException",
        "UnrecognizedClientException",
    ],
)
def test_final_codes_are_not_retryable(code: str) -> None:
    assert not is_retryable(client_error(code))


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retryable_whatever_the_code(status: int) -> None:
    assert is_retryable(client_error("SomethingNew", status=status))
    assert is_retryable(client_error("", status=status))


def test_a_malformed_response_is_not_retryable() -> None:
    assert not is_retryable(ClientError({}, "PutItem"))
    for response in ({"Error": "odd", "ResponseMetadata": None}, {"Error": None}, None, "x"):
        error = ClientError({}, "PutItem")
        error.response = response  # botocore's constructor would refuse these
        assert not is_retryable(error)


@pytest.mark.parametrize(
    ("codes", "retryable"),
    [
        (("None", "TransactionConflict"), True),
        (("TransactionConflict",), True),
        (("TransactionConflict", "None", "TransactionConflict"), True),
        (("None", "ThrottlingError"), True),
        (("ProvisionedThroughputExceeded", "TransactionConflict"), True),
        (("ThrottlingError", "ConditionalCheckFailed"), False),
        (("ConditionalCheckFailed",), False),
        (("None", "ConditionalCheckFailed"), False),
        (("TransactionConflict", "ConditionalCheckFailed"), False),
        (("None", "ValidationError"), False),
        (("None", "None"), False),
        ((), False),
    ],
)
def test_cancelled_transactions(codes: tuple[str, ...], retryable: bool) -> None:
    assert is_retryable(cancelled(*codes)) is retryable


def test_cancelled_transaction_without_reasons_is_not_retryable() -> None:
    error = client_error("TransactionCanceledException", status=500)
    assert not is_retryable(error)  # decided by the (missing) reasons, not by the status
    error = client_error("TransactionCanceledException", CancellationReasons=[None, "x"])
    assert not is_retryable(error)


@pytest.mark.parametrize(
    "error",
    [
        BotocoreConnectionError(error="reset"),
        EndpointConnectionError(endpoint_url=URL),
        ConnectTimeoutError(endpoint_url=URL),
        ReadTimeoutError(endpoint_url=URL),
        ConnectionClosedError(endpoint_url=URL),
    ],
    ids=lambda e: type(e).__name__,
)
def test_connection_errors_are_retryable(error: BaseException) -> None:
    assert is_retryable(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("x"),
        KeyError("PK"),
        NoCredentialsError(),
        ParamValidationError(report="bad"),
        TimeoutError(),  # not botocore's: we do not know what it interrupted
    ],
    ids=lambda e: type(e).__name__,
)
def test_other_errors_are_not_retryable(error: BaseException) -> None:
    assert not is_retryable(error)


def _stubbed_client() -> Any:
    return boto3.client(
        "dynamodb",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_errors_raised_by_a_real_client_are_classified() -> None:
    client = _stubbed_client()
    item: dict[str, Any] = {"TableName": "t", "Item": {"PK": {"S": "a"}}}
    conflict = [{"Code": "None"}, {"Code": "TransactionConflict"}]
    cases: list[tuple[str, dict[str, Any], bool]] = [
        ("put_item", {"service_error_code": "ProvisionedThroughputExceededException"}, True),
        ("put_item", {"service_error_code": "ConditionalCheckFailedException"}, False),
        ("put_item", {"service_error_code": "InternalServerError", "http_status_code": 500}, True),
        (
            "transact_write_items",
            {
                "service_error_code": "TransactionCanceledException",
                "modeled_fields": {"CancellationReasons": conflict},
            },
            True,
        ),
    ]
    with Stubber(client) as stub:
        for method, error, _ in cases:
            stub.add_client_error(method, **error)
        for method, _, expected in cases:
            request: dict[str, Any] = (
                item if method == "put_item" else {"TransactItems": [{"Put": item}]}
            )
            with pytest.raises(ClientError) as caught:
                getattr(client, method)(**request)
            assert is_retryable(caught.value) is expected, method


def test_cancellation_reasons_of_a_real_transaction_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moto = pytest.importorskip("moto")
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with moto.mock_aws():
        client = _stubbed_client()
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        put = {
            "TableName": "t",
            "Item": {"PK": {"S": "a"}},
            "ConditionExpression": "attribute_not_exists(PK)",
        }
        client.transact_write_items(TransactItems=[{"Put": put}])
        with pytest.raises(ClientError) as caught:
            client.transact_write_items(TransactItems=[{"Put": put}])
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert caught.value.response["CancellationReasons"][0]["Code"] == "ConditionalCheckFailed"
    assert not is_retryable(caught.value)


def test_the_retryable_codes_are_an_attribute_read_on_first_use() -> None:
    # Read inside the test (not at import) so that a mutated module `__getattr__` is exercised.
    from dynamodel.runtime import retry

    codes = retry.RETRYABLE_ERROR_CODES
    assert codes == retry.retryable_error_codes()
    assert {"ReplicatedWriteConflictException", "ProvisionedThroughputExceededException"} <= codes
    with pytest.raises(AttributeError, match="no attribute 'NOT_A_NAME'"):
        _ = retry.NOT_A_NAME
