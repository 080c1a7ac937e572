"""Every data-plane request a client sends and what came back, through botocore's public
events: `provide-client-params` sees (and completes) the parameters, `after-call` the parsed
response. Each request asks for `ReturnConsumedCapacity: TOTAL`, so the report can show what
the endpoint says it consumed (moto reports fixed figures; DynamoDB the real ones)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from dynamodel.compiler.design.capacity import read_units
from dynamodel.runtime.sizes import item_size

Item = dict[str, Any]
READS = frozenset({"GetItem", "Query", "BatchGetItem"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
_CONTEXT_KEY = "dynamodel_try_request"


@dataclass(frozen=True)
class RecordedRequest:
    operation: str
    index: str | None
    key_condition: str | None  # a Query's KeyConditionExpression
    names: dict[str, str]  # ExpressionAttributeNames
    values: dict[str, Any]  # ExpressionAttributeValues, or a GetItem's Key
    consistent: bool
    items: tuple[Item, ...]  # what a read returned
    reported_units: float | None  # ConsumedCapacity as the endpoint reported it

    @property
    def units_by_rules(self) -> float:
        """DynamoDB's rule for a read: per 4 KB of the items it returned, rounded up, at least
        one unit; half when eventually consistent."""
        size = sum(item_size(item) for item in self.items)
        return read_units(size, consistent=self.consistent)


@dataclass
class Recorder:
    client: Any
    requests: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # sharded reads: threads

    def __post_init__(self) -> None:
        events = self.client.meta.events
        events.register("provide-client-params.dynamodb", self._params)
        events.register("after-call.dynamodb", self._response)

    def take(self) -> list[RecordedRequest]:
        """The requests recorded since the last call."""
        with self._lock:
            taken, self.requests = self.requests, []
        return taken

    def _params(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        if model.name in READS or model.name in WRITES:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
            context[_CONTEXT_KEY] = dict(params)

    def _response(
        self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        params = context.get(_CONTEXT_KEY)
        if params is None:
            return
        if "Item" in parsed:
            items: tuple[Item, ...] = (parsed["Item"],)
        else:
            items = tuple(parsed.get("Items", ()))
        recorded = RecordedRequest(
            operation=model.name,
            index=params.get("IndexName"),
            key_condition=params.get("KeyConditionExpression"),
            names=dict(params.get("ExpressionAttributeNames", {})),
            values=dict(params.get("ExpressionAttributeValues", params.get("Key", {}))),
            consistent=bool(params.get("ConsistentRead")),
            items=items,
            reported_units=_reported(parsed.get("ConsumedCapacity")),
        )
        with self._lock:
            self.requests.append(recorded)


def _reported(consumed: Any) -> float | None:
    if isinstance(consumed, dict):
        return float(consumed.get("CapacityUnits", 0.0))
    if isinstance(consumed, list) and consumed:  # transactions and batches: one per table
        return float(sum(c.get("CapacityUnits", 0.0) for c in consumed))
    return None
