"""Fault injection through botocore's events: throttling, transaction conflicts, server
errors and connection errors before the request is sent, responses lost after the request
was applied, and batch calls that leave part of their request unprocessed, for the next N
calls of an operation on one client.

Errors are answered at `before-call` (botocore then skips sending, so the request is certainly
not applied, also under moto's in-process mock, whose handler would run on `before-send` even
when another handler answered), as the `(http, parsed)` pair botocore turns into a
ClientError exactly as for a real error response. A lost response is raised at `after-call`,
once the request was sent, applied and answered.

"unprocessed" does to BatchWriteItem and BatchGetItem what DynamoDB does under throttling or
at its 16 MB response limit: it processes part of the request and returns the rest as
UnprocessedItems / UnprocessedKeys, which it did not write or read. At `before-call` the body
is cut down to the processed part (what the table receives), at `after-call` the rest is
added to the parsed response; when nothing is left to send, the call is answered without
sending, as DynamoDB may leave a whole request unprocessed."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

# name -> (HTTP status, error type, message); the transaction-conflict body depends on the call.
ERROR_RESPONSES: dict[str, tuple[int, str, str]] = {
    "throttling": (400, "ThrottlingException", "Rate of requests exceeds the allowed throughput"),
    "provisioned": (400, "ProvisionedThroughputExceededException", "Throughput exceeded"),
    "internal_error": (500, "InternalServerError", "Internal server error"),
    "unavailable": (503, "ServiceUnavailable", "Service unavailable"),
}
# Faults after the request was applied: its response is lost, or replaced by a server error.
APPLIED_FAULTS = ("response_lost", "applied_then_500")
# Faults only batch calls can have: part of the request processed, the rest handed back.
BATCH_FAULTS = ("unprocessed",)
BATCH_OPERATIONS = ("BatchWriteItem", "BatchGetItem")
FAULTS = (*ERROR_RESPONSES, "conflict", "connection_refused", *APPLIED_FAULTS, *BATCH_FAULTS)
# Every fault the matrix injected, as (backend, path, fault, mode): the count it reports.
INJECTED: list[tuple[str, str, str, str]] = []


@dataclass
class FaultInjector:
    """Arms faults on one client; counts what it injected."""

    client: Any
    armed: dict[str, tuple[str, int]] = field(default_factory=dict)  # operation -> (fault, left)
    injected: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)  # every attempt's body, of armed calls
    faulted: list[bytes] = field(default_factory=list)  # the body of each call given a fault
    # "unprocessed": per faulted call, the requests (or keys) sent on to the table and those
    # handed back, as they appear in the request body
    forwarded: list[list[Any]] = field(default_factory=list)
    left: list[list[Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # shard Queries run in parallel

    def __post_init__(self) -> None:
        events = self.client.meta.events
        events.register_first("before-call.dynamodb", self._before_call, unique_id="faults-call")
        events.register_first("after-call.dynamodb", self._after_call, unique_id="faults-after")

    def arm(self, operation: str, fault: str, *, times: int = 1) -> None:
        assert fault in FAULTS, fault
        assert fault not in BATCH_FAULTS or operation in BATCH_OPERATIONS, (fault, operation)
        self.armed[operation] = (fault, times)

    def disarm(self) -> None:
        self.armed.clear()

    def _take(self, operation: str, body: bytes, *, lost: bool) -> str | None:
        with self._lock:
            fault, left = self.armed.get(operation, ("", 0))
            if left <= 0 or (fault in APPLIED_FAULTS) != lost:
                return None
            self.armed[operation] = (fault, left - 1)
            self.injected.append((operation, fault))
            self.faulted.append(body)
            return fault

    def _before_call(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[Any, dict[str, Any]] | None:
        body = context.get("dynamodel_body") or params["body"]
        context["faults_body"] = body
        if model.name in self.armed:  # what this attempt sends: retries must resend it as is
            self.bodies.append(body)
        fault = self._take(model.name, body, lost=False)
        if fault is None:
            return None
        if fault == "unprocessed":
            return self._leave_unprocessed(model.name, params, context)
        if fault == "connection_refused":
            raise EndpointConnectionError(endpoint_url=params.get("url", "injected"))
        if fault == "conflict":
            return _conflict(model.name, len(json.loads(body).get("TransactItems", [])))
        status, error_type, message = ERROR_RESPONSES[fault]
        return _error(status, error_type, message)

    def _leave_unprocessed(
        self, operation: str, params: dict[str, Any], context: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]] | None:
        """Send on part of a batch request; the rest comes back as unprocessed."""
        request = json.loads(context["faults_body"])
        ((table, entry),) = request["RequestItems"].items()
        listed = entry if operation == "BatchWriteItem" else entry["Keys"]
        # DynamoDB hands back any subset; here every other request counted from the last, so
        # at least one, and all of a one-request call.
        left = [r for n, r in enumerate(listed) if (len(listed) - 1 - n) % 2 == 0]
        sent = [r for n, r in enumerate(listed) if (len(listed) - 1 - n) % 2 == 1]
        self.forwarded.append(sent)
        self.left.append(left)
        unprocessed: dict[str, Any]
        if operation == "BatchWriteItem":
            unprocessed = {"UnprocessedItems": {table: [_write_request(r) for r in left]}}
            request["RequestItems"] = {table: sent}
        else:
            keys = [_item(key) for key in left]
            unprocessed = {"UnprocessedKeys": {table: {**entry, "Keys": keys}}}
            request["RequestItems"] = {table: {**entry, "Keys": sent}}
        if not sent:  # nothing processed: DynamoDB answers without reading or writing
            answer: dict[str, Any] = {**unprocessed, "ResponseMetadata": {"HTTPStatusCode": 200}}
            if operation == "BatchGetItem":
                answer["Responses"] = {table: []}
            return _Http(200), answer
        reduced = json.dumps(request).encode()
        if context.get("dynamodel_body"):
            context["dynamodel_body"] = reduced  # the runtime's wire handler sends it
        else:
            params["body"] = reduced
        context["faults_unprocessed"] = unprocessed
        return None

    def _after_call(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: Any, **_: Any
    ) -> None:
        # The request reached the table and was applied; its answer goes missing, or a server
        # error takes its place (DynamoDB documents that a 500 may follow an applied write).
        if http_response.status_code >= 300:
            return
        unprocessed = context.pop("faults_unprocessed", None)
        if unprocessed is not None:
            parsed.update(unprocessed)  # the table wrote or read only the part it was sent
            return
        fault = self._take(model.name, context.get("faults_body", b""), lost=True)
        if fault == "response_lost":
            raise ReadTimeoutError(endpoint_url="injected: response lost after it was applied")
        if fault == "applied_then_500":
            _http, error = _error(500, "InternalServerError", "Internal server error")
            raise ClientError(error, model.name)


def uninstall(client: Any) -> None:
    """Remove any FaultInjector's handlers from *client* (none installed: nothing to do). A
    client shared between tests needs it before its next injector: the handlers' unique ids
    would keep a second injector from registering."""
    events = client.meta.events
    events.unregister("before-call.dynamodb", unique_id="faults-call")
    events.unregister("after-call.dynamodb", unique_id="faults-after")


@dataclass
class _Http:
    status_code: int


def _error(status: int, code: str, message: str, **extra: Any) -> tuple[_Http, dict[str, Any]]:
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "FAULT"},
        **extra,
    }
    return _Http(status), parsed


def _conflict(operation: str, actions: int) -> tuple[_Http, dict[str, Any]]:
    if operation != "TransactWriteItems":
        return _error(400, "TransactionConflictException", "Transaction conflict")
    reasons = [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (actions - 1)
    message = "Transaction cancelled, please refer cancellation reasons for specific reasons ["
    message += ", ".join(r["Code"] for r in reasons) + "]"
    return _error(400, "TransactionCanceledException", message, CancellationReasons=reasons)


def _item(item: dict[str, Any]) -> dict[str, Any]:
    """An item or key from a request body as botocore parses it in a response (blobs as
    bytes)."""
    return {name: _value(value) for name, value in item.items()}


def _value(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, content),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(content)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) for v in content]}
    if kind == "M":
        return {"M": _item(content)}
    if kind == "L":
        return {"L": [_value(v) for v in content]}
    return {kind: content}


def _write_request(request: dict[str, Any]) -> dict[str, Any]:
    ((kind, body),) = request.items()
    field_name = "Item" if kind == "PutRequest" else "Key"
    return {kind: {field_name: _item(body[field_name])}}
