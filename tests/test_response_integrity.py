"""Responses that fail their integrity check (issue 11, finding 5): a body that does not match
its `x-amz-crc32` header, or a 200 body that is not complete JSON, is never returned as data.
It raises the typed `ResponseIntegrityError`, which the runtime retries like a lost response;
once the retries are exhausted it is the cause of a `RetriesExhaustedError`. The responses are
crafted bytes from a local HTTP server, read by the real client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from dynamodel import ResponseIntegrityError, RetriesExhaustedError
from dynamodel.runtime.paging import CursorSigner
from dynamodel.runtime.retry import RetryPolicy
from dynamodel.runtime.table import Table
from dynamodel.runtime.transport.client import default_client
from tests.crafted_http import Crafted, Server, crafted_server, error, ok

KEY = {"PK": {"S": "Account#a1"}, "SK": {"S": "#Account"}}
STORED = {"Item": {**KEY, "balance": {"N": "100"}}}
CHANGED = {"Item": {**KEY, "balance": {"N": "900"}}}  # same length: only the CRC tells
BINARY = {"Item": {**KEY, "photo": {"B": "AAEC"}}}  # read by botocore's own parser
POLICY = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)


@pytest.fixture
def table_on() -> Iterator[Any]:
    tables: list[Table] = []

    def make(server: Server) -> Table:
        client = default_client(
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        table = Table(
            client=client,
            name="t",
            retry=POLICY,
            signer=CursorSigner("k" * 32),
            index_keys={None: ("PK", "SK")},
        )
        tables.append(table)
        return table

    yield make


def cut(document: dict[str, Any], keep: int) -> Crafted:
    """A 200 answer whose JSON body stops after `keep` bytes (Content-Length matches it)."""
    return Crafted(json.dumps(document).encode()[:keep], crc32=None)


def test_a_body_that_does_not_match_its_crc32_is_retried(table_on: Any) -> None:
    with crafted_server([ok(CHANGED, crc_of=STORED), ok(STORED)]) as server:
        item = table_on(server).get_item(KEY, consistent=True)
        assert server.requests == 2
    assert item == STORED["Item"]  # never the changed balance


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (ok(CHANGED, crc_of=STORED), "crc32"),
        (ok(BINARY, crc_of=STORED), "crc32"),  # botocore's parser would have read it
        (Crafted(b'{"Item": {}}', crc32="not a number"), "crc32"),
        (Crafted(error("ConditionalCheckFailedException").body, status=400, crc32="1"), "crc32"),
        (cut(STORED, 30), "truncated"),
        (cut(BINARY, 40), "truncated"),  # botocore's parser reads it as {}: "no item"
        (Crafted(b"\xff\xfe{", crc32=None), "truncated"),
    ],
    ids=["changed", "changed-binary", "bad-header", "error-body", "cut", "cut-binary", "bytes"],
)
def test_a_damaged_response_surfaces_typed_once_retries_are_exhausted(
    table_on: Any, answer: Crafted, reason: str
) -> None:
    with crafted_server([answer]) as server:
        with pytest.raises(RetriesExhaustedError) as caught:
            table_on(server).get_item(KEY, consistent=True)
        assert server.requests == 3
    assert caught.value.attempts == 3
    assert caught.value.may_have_applied  # it was answered: it was processed
    assert caught.value.cause == f"ResponseIntegrityError ({reason})"
    cause = caught.value.__cause__
    assert isinstance(cause, ResponseIntegrityError)
    assert cause.reason == reason and cause.operation == "GetItem"


def test_a_matching_crc32_and_a_missing_one_are_accepted(table_on: Any) -> None:
    with crafted_server([ok(STORED), Crafted(json.dumps(STORED).encode(), crc32=None)]) as server:
        table = table_on(server)
        assert table.get_item(KEY, consistent=True) == STORED["Item"]
        assert table.get_item(KEY, consistent=True) == STORED["Item"]
        assert server.requests == 2
