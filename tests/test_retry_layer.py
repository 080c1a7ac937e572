"""Exactly one layer retries, and the attempts reported are the HTTP requests sent (issue 11,
finding 4). Every count here is the number of requests a local server received, not a counter
of the code under test."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import botocore.session
import pytest
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

from dynamodel import OutcomeUnknownError, RetriesExhaustedError
from dynamodel.runtime.paging import CursorSigner
from dynamodel.runtime.retry import RETRYABLE_ERROR_CODES, RetryPolicy, is_retryable
from dynamodel.runtime.table import Table
from dynamodel.runtime.transport.client import default_client
from dynamodel.runtime.transport.retry_layer import botocore_retries
from tests.crafted_http import Server, crafted_server, error, ok
from tests.retry_support import client_error

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))

from tracker import TrackerRepository, Workspace

KEY = {"PK": {"S": "a"}, "SK": {"S": "b"}}
ITEM = {"Item": {**KEY, "n": {"N": "1"}}}
FAST = RetryPolicy(max_attempts=8, base_delay=0.001, max_delay=0.002)
CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}
# botocore's legacy mode backs DynamoDB off 50 ms, 100 ms, ...: quick enough for a test.
THREE_ATTEMPTS = Config(retries={"mode": "legacy", "total_max_attempts": 3})


def table(client: Any, policy: RetryPolicy = FAST) -> Table:
    return Table(
        client=client,
        name="tbl",
        retry=policy,
        signer=CursorSigner("k" * 32),
        index_keys={None: ("PK", "SK")},
    )


def runtime_client(server: Server, **options: Any) -> Any:
    return default_client(endpoint_url=server.url, **CREDENTIALS, **options)


def users_client(server: Server, **options: Any) -> Any:
    return boto3.client("dynamodb", endpoint_url=server.url, **CREDENTIALS, **options)


# -- what is retried ------------------------------------------------------------------------


def test_every_error_the_service_model_marks_retryable_is_retried() -> None:
    model = botocore.session.get_session().get_service_model("dynamodb")
    modeled = {s.name for s in model.error_shapes if s.metadata.get("retryable") is not None}
    if "ReplicatedWriteConflictException" in model.shape_names:  # in the model from 1.35 on
        assert "ReplicatedWriteConflictException" in modeled  # the one issue 11 found missing
    assert "ReplicatedWriteConflictException" in RETRYABLE_ERROR_CODES  # on botocore 1.34 too
    assert modeled <= RETRYABLE_ERROR_CODES
    for code in modeled:
        assert is_retryable(client_error(code, status=409))


def test_a_replicated_write_conflict_is_retried_until_it_passes() -> None:
    conflict = error("ReplicatedWriteConflictException", status=409)
    with crafted_server([conflict, conflict, ok(ITEM)]) as server:
        assert table(runtime_client(server)).get_item(KEY, consistent=True) == ITEM["Item"]
        assert server.requests == 3


def test_throttling_with_status_429_is_retried() -> None:
    assert is_retryable(client_error("SomethingNew", status=429))


# -- one layer, real counts -----------------------------------------------------------------


def test_the_runtime_alone_retries_on_its_default_client() -> None:
    with crafted_server([error("ThrottlingException")]) as server:
        with pytest.raises(RetriesExhaustedError) as caught:
            table(runtime_client(server)).get_item(KEY, consistent=True)
        assert server.requests == 8
    assert caught.value.attempts == 8 and caught.value.cause == "ThrottlingException"


def test_a_retries_config_given_to_default_client_is_honoured() -> None:
    with crafted_server([error("ThrottlingException")]) as server:
        client = runtime_client(server, config=THREE_ATTEMPTS)
        with pytest.raises(RetriesExhaustedError) as caught:
            table(client).get_item(KEY, consistent=True)
        assert server.requests == 3  # not the runtime's 8, nor 8 x 3
    assert client.meta.config.retries["total_max_attempts"] == 3
    assert caught.value.attempts == 3


def test_a_users_client_retries_alone_and_the_real_attempts_are_reported() -> None:
    with crafted_server([error("ThrottlingException")]) as server:
        client = users_client(server, config=THREE_ATTEMPTS)
        with pytest.raises(RetriesExhaustedError) as caught:
            table(client).get_item(KEY, consistent=True)
        assert server.requests == 3  # issue 11 saw 8 x 4 = 32 requests, reported as 8
    assert caught.value.attempts == 3
    assert client.meta.config.retries == {"mode": "legacy", "total_max_attempts": 3}


def test_the_runtime_retries_what_botocore_does_not_on_a_users_client() -> None:
    # botocore treats a cancelled transaction as final; a cancellation by a conflict with
    # another transaction passes, so the runtime retries it (and only it).
    cancelled = error(
        "TransactionCanceledException",
        CancellationReasons=[{"Code": "TransactionConflict"}],
    )
    with crafted_server([cancelled, cancelled, ok({})]) as server:
        client = users_client(server, config=THREE_ATTEMPTS)
        request = {"TransactItems": [{"Put": {"TableName": "tbl", "Item": ITEM["Item"]}}]}
        table(client).call(client.transact_write_items, **request)
        assert server.requests == 3


def test_a_success_after_botocores_retries_is_a_success() -> None:
    throttled = error("ThrottlingException")
    with crafted_server([throttled, throttled, ok(ITEM)]) as server:
        client = users_client(server, config=THREE_ATTEMPTS)
        assert table(client).get_item(KEY, consistent=True) == ITEM["Item"]
        assert server.requests == 3


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (None, True),  # boto3's default (legacy mode, standard from botocore 1.44) retries
        (Config(retries={"max_attempts": 0}), False),
        (Config(retries={"total_max_attempts": 1}), False),
        (Config(retries={"mode": "standard"}), True),
        (Config(retries={"max_attempts": 2}), True),
    ],
)
def test_which_clients_botocore_retries(config: Config | None, expected: bool) -> None:
    client = boto3.client("dynamodb", **CREDENTIALS, config=config)
    assert botocore_retries(client) is expected
    assert botocore_retries(default_client(**CREDENTIALS)) is False
    assert botocore_retries(object()) is False  # a stand-in for a client: nothing retries it


# -- a write retried by botocore, then refused by its condition -----------------------------


def workspace(name: str) -> Workspace:
    return Workspace(workspace_id="w1", name=name, created_at=datetime(2026, 12, 4, tzinfo=UTC))


@pytest.mark.parametrize("stored_name", ["Mine", "Theirs"])
def test_a_condition_failure_after_botocores_retries_is_not_taken_for_a_conflict(
    stored_name: str,
) -> None:
    # botocore resent the create after a 500 (the runtime never saw it); the retry found the
    # item already there. Exactly as this create writes it: it was applied, the call succeeds.
    # Otherwise another writer changed it, and whether ours was applied is unknown.
    stored = TrackerRepository.SCHEMAS[Workspace].to_item(workspace(stored_name))
    refused = error("ConditionalCheckFailedException", Item=stored)
    with crafted_server([error("InternalServerError", status=500), refused]) as server:
        client = users_client(server, config=THREE_ATTEMPTS)
        repo = TrackerRepository(client=client, table_name="tbl", cursor_key="k" * 32, retry=FAST)
        if stored_name == "Mine":
            repo.create_workspace(workspace("Mine"))
        else:
            with pytest.raises(OutcomeUnknownError) as caught:
                repo.create_workspace(workspace("Mine"))
            # The runtime saw no failed attempt: the cause named is botocore's retries.
            assert str(caught.value) == (
                "PutItem of Workspace PK='Workspace#w1' SK='#Workspace': an earlier attempt "
                "may have been applied (botocore's own retries), and another writer changed "
                "the item before the retry; whether this write was applied is unknown. Read "
                "the item and decide"
            )
        assert server.requests == 2  # both sent by botocore, in one call of the runtime
