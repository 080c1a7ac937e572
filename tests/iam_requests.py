"""Record what a repository sends, as IAM authorises it: one `Request` per authorisation.

A botocore `before-send` hook (registered first, so it runs before moto answers) reads each
HTTP request's target and JSON body. IAM authorises a TransactWriteItems per contained action
(Put as PutItem, Update as UpdateItem, Delete as DeleteItem, ConditionCheck as
ConditionCheckItem) and a batch once with every partition key it holds; a Query is authorised
on the table or index it names, with the partition key value of its key condition.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dynamodel.compiler.design.ir import Design
from tests.iam_evaluator import Request

REGION = "us-east-1"
ACCOUNT = "123456789012"
_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def table_arn(table: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"


def _partition(design: Design, key: dict[str, Any]) -> str:
    return str(key[design.partition_key]["S"])


def _query_partition(design: Design, body: dict[str, Any]) -> str:
    """The partition key value of a Query's key condition (`#pk = :pk`)."""
    partition_key, _ = design.key_names(body.get("IndexName"))
    names = body.get("ExpressionAttributeNames", {})
    for name, value in re.findall(r"(#?\w+)\s*=\s*(:\w+)", body["KeyConditionExpression"]):
        if names.get(name, name) == partition_key:
            return str(body["ExpressionAttributeValues"][value]["S"])
    raise AssertionError(f"no partition key equality in {body['KeyConditionExpression']}")


def authorizations(
    design: Design, operation: str, body: dict[str, Any], method: str
) -> list[Request]:
    def request(action: str, table: str, keys: list[str], index: str | None = None) -> Request:
        arn = table_arn(table) + (f"/index/{index}" if index else "")
        return Request(f"dynamodb:{action}", arn, tuple(keys), method)

    if operation in ("GetItem", "DeleteItem", "UpdateItem"):
        return [request(operation, body["TableName"], [_partition(design, body["Key"])])]
    if operation == "PutItem":
        return [request(operation, body["TableName"], [_partition(design, body["Item"])])]
    if operation == "Query":
        index = body.get("IndexName")
        return [request("Query", body["TableName"], [_query_partition(design, body)], index)]
    if operation == "BatchGetItem":
        return [
            request(operation, table, [_partition(design, k) for k in spec["Keys"]])
            for table, spec in body["RequestItems"].items()
        ]
    if operation == "BatchWriteItem":
        found = []
        for table, writes in body["RequestItems"].items():
            keys = [
                _partition(
                    design,
                    w["PutRequest"]["Item"] if "PutRequest" in w else w["DeleteRequest"]["Key"],
                )
                for w in writes
            ]
            found.append(request(operation, table, keys))
        return found
    if operation in ("TransactWriteItems", "TransactGetItems"):
        found = []
        for item in body["TransactItems"]:
            ((kind, action),) = item.items()
            key = action.get("Key") or action["Item"]
            name = "GetItem" if kind == "Get" else _TRANSACT[kind]
            found.append(request(name, action["TableName"], [_partition(design, key)]))
        return found
    # Anything else (Scan, DescribeTable, ...) carries no leading keys.
    return [request(operation, body.get("TableName", "*"), [])]


class RequestLog:
    """The authorisations of every request a client sends while a method is being called."""

    def __init__(self, client: Any, design: Design) -> None:
        self.design = design
        self.method: str | None = None
        self.requests: dict[str, list[Request]] = {}
        client.meta.events.register_first("before-send.dynamodb", self._record)

    @contextmanager
    def calling(self, method: str) -> Iterator[None]:
        self.method = method
        self.requests.setdefault(method, [])
        try:
            yield
        finally:
            self.method = None

    def _record(self, request: Any, **_: Any) -> None:
        if self.method is None:
            return
        target = request.headers["X-Amz-Target"]
        if isinstance(target, bytes):
            target = target.decode()
        operation = target.rpartition(".")[2]
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        self.requests[self.method] += authorizations(
            self.design, operation, json.loads(body), self.method
        )
