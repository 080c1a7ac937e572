"""Fault injection through botocore's events: throttling, transaction conflicts, server
errors and connection errors before the request is sent, and responses lost after the request
was applied, for the next N calls of an operation on one client.

Errors are answered at `before-call` (botocore then skips sending, so the request is certainly
not applied, also under moto's in-process mock, whose handler would run on `before-send` even
when another handler answered), as the `(http, parsed)` pair botocore turns into a
ClientError exactly as for a real error response. A lost response is raised at `after-call`,
once the request was sent, applied and answered."""

from __future__ import annotations

import json
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
FAULTS = (*ERROR_RESPONSES, "conflict", "connection_refused", *APPLIED_FAULTS)
# Every fault the matrix injected, as (backend, path, fault, mode): the count it reports.
INJECTED: list[tuple[str, str, str, str]] = []


@dataclass
class FaultInjector:
    """Arms faults on one client; counts what it injected."""

    client: Any
    armed: dict[str, tuple[str, int]] = field(default_factory=dict)  # operation -> (fault, left)
    injected: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)  # every attempt's body, of armed calls

    def __post_init__(self) -> None:
        events = self.client.meta.events
        events.register_first("before-call.dynamodb", self._before_call, unique_id="faults-call")
        events.register_first("after-call.dynamodb", self._after_call, unique_id="faults-after")

    def arm(self, operation: str, fault: str, *, times: int = 1) -> None:
        assert fault in FAULTS, fault
        self.armed[operation] = (fault, times)

    def disarm(self) -> None:
        self.armed.clear()

    def _take(self, operation: str, *, lost: bool) -> str | None:
        fault, left = self.armed.get(operation, ("", 0))
        if left <= 0 or (fault in APPLIED_FAULTS) != lost:
            return None
        self.armed[operation] = (fault, left - 1)
        self.injected.append((operation, fault))
        return fault

    def _before_call(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[Any, dict[str, Any]] | None:
        if model.name in self.armed:  # what this attempt sends: retries must resend it as is
            self.bodies.append(context.get("dynamodel_body") or params["body"])
        fault = self._take(model.name, lost=False)
        if fault is None:
            return None
        if fault == "connection_refused":
            raise EndpointConnectionError(endpoint_url=params.get("url", "injected"))
        if fault == "conflict":
            body = context.get("dynamodel_body") or params["body"]
            return _conflict(model.name, len(json.loads(body).get("TransactItems", [])))
        status, error_type, message = ERROR_RESPONSES[fault]
        return _error(status, error_type, message)

    def _after_call(self, http_response: Any, model: Any, **_: Any) -> None:
        # The request reached the table and was applied; its answer goes missing, or a server
        # error takes its place (DynamoDB documents that a 500 may follow an applied write).
        if http_response.status_code >= 300:
            return
        fault = self._take(model.name, lost=True)
        if fault == "response_lost":
            raise ReadTimeoutError(endpoint_url="injected: response lost after it was applied")
        if fault == "applied_then_500":
            _, parsed = _error(500, "InternalServerError", "Internal server error")
            raise ClientError(parsed, model.name)


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
