"""Transactions: limits checked before sending, one idempotency token across retries, and
cancellation reasons turned into typed errors that name the item and the cause."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from json import dumps
from typing import Any

from botocore.exceptions import ClientError

from dynamodel.runtime.errors import (
    DynamodelError,
    ItemTooLargeError,
    TransactionFailedError,
    TransactionTooLargeError,
)
from dynamodel.runtime.schema import Item
from dynamodel.runtime.sizes import MAX_ITEM_BYTES, item_size

_dumps = partial(dumps, separators=(",", ":"), ensure_ascii=True)
MAX_ACTIONS = 100
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024

# Builds the typed error for a failed condition, from the reason DynamoDB gave (it carries
# the stored item when the request asked for ReturnValuesOnConditionCheckFailure=ALL_OLD).
ErrorFactory = Callable[[dict[str, Any]], DynamodelError]


@dataclass(frozen=True, kw_only=True)
class Action:
    """One action of a transaction, and what a failed condition on it means."""

    kind: str  # Put | Update | Delete | ConditionCheck
    request: dict[str, Any]  # the body of the action, without TableName
    on_condition_failed: ErrorFactory
    entity: str = ""
    item_bytes: int | None = None  # the Put item's size when already computed

    def size(self) -> int:
        if self.item_bytes is not None:
            return self.item_bytes
        if self.kind == "Put":
            return item_size(self.request["Item"])
        return item_size(self.request.get("Key", {})) + len(str(self.request))


def size_bound(item: Item) -> int | None:
    """A quick upper bound of DynamoDB's size of `item`: the length of its JSON.

    JSON spends more characters than DynamoDB counts bytes on everything it holds (names and
    strings are quoted, non-ASCII is escaped, numbers are counted by digits, every value is
    wrapped in its type), and `json.dumps` runs in C, so this bound costs a fraction of the
    exact walk. None when the item holds binary values (JSON has none).
    """
    try:
        return len(_dumps(item))
    except TypeError:
        return None


def check_item_size(item: Item, *, entity: str, described: str) -> int:
    """An upper bound of the item's size (exact when the quick bound is over the limit), or
    ItemTooLargeError (nothing is sent) when it exceeds 400 KB."""
    bound = size_bound(item)
    if bound is not None and bound <= MAX_ITEM_BYTES:
        return bound
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise ItemTooLargeError(
            f"{described} is {size:,} bytes, over DynamoDB's item limit of {MAX_ITEM_BYTES:,} "
            "bytes; nothing was written",
            entity=entity,
            size=size,
        )
    return size


def transaction_request(
    table: str, actions: Sequence[Action], *, token: str | None = None
) -> dict[str, Any]:
    """The TransactWriteItems request, after checking DynamoDB's limits (nothing is sent when
    they are exceeded)."""
    if len(actions) > MAX_ACTIONS:
        raise TransactionTooLargeError(
            f"this write needs {len(actions)} actions in one transaction; DynamoDB allows "
            f"{MAX_ACTIONS}. Nothing was written",
            actions=len(actions),
        )
    size = sum(action.size() for action in actions)
    if size > MAX_TRANSACTION_BYTES:
        # The sizes may be upper bounds: count exactly before refusing.
        size = sum(item_size(a.request["Item"]) if a.kind == "Put" else a.size() for a in actions)
    if size > MAX_TRANSACTION_BYTES:
        raise TransactionTooLargeError(
            f"this write is {size:,} bytes in one transaction; DynamoDB allows "
            f"{MAX_TRANSACTION_BYTES:,}. Nothing was written",
            actions=len(actions),
            size=size,
        )
    items = []
    for action in actions:
        body = {"TableName": table, **action.request}
        if "ConditionExpression" in body:
            # The stored item comes back with a failed condition: errors can say what was found.
            body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        items.append({action.kind: body})
    return {
        "TransactItems": items,
        # The same token on every retry: DynamoDB applies a transaction once per token (for 10
        # minutes), so a retry after a lost response cannot apply it twice.
        "ClientRequestToken": token or uuid.uuid4().hex,
    }


def raise_for_cancellation(error: ClientError, actions: Sequence[Action]) -> None:
    """Turn a TransactionCanceledException into the typed error of the action that failed."""
    response: dict[str, Any] = dict(error.response)
    reasons: list[dict[str, Any]] = list(response.get("CancellationReasons") or [])
    if not reasons:
        reasons = _reasons_from_message(str(response.get("Error", {}).get("Message", "")))
    for action, reason in zip(actions, reasons, strict=False):
        if reason.get("Code") == "ConditionalCheckFailed":
            raise action.on_condition_failed(reason) from error
    codes = [r.get("Code", "None") for r in reasons]
    raise TransactionFailedError(
        f"DynamoDB cancelled the transaction (reasons: {', '.join(codes) or 'none given'}); "
        "nothing was written",
        reasons=reasons,
    ) from error


def _reasons_from_message(message: str) -> list[dict[str, Any]]:
    """Some emulators put the reasons only in the message: `... reasons [None, Conditional...]`."""
    start, end = message.find("["), message.rfind("]")
    if start < 0 or end < start:
        return []
    names = [part.strip() for part in message[start + 1 : end].split(",")]
    return [{"Code": name or "None"} for name in names]
