"""Transactions: limits checked before sending, one idempotency token across retries, and
cancellation reasons turned into typed errors that name the item and the cause."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from dynamodel.runtime.errors import (
    DynamodelError,
    ItemTooLargeError,
    TransactionFailedError,
    TransactionTooLargeError,
)
from dynamodel.runtime.frozen import frozen_dataclass
from dynamodel.runtime.schema import Item
from dynamodel.runtime.sizes import MAX_ITEM_BYTES, item_size
from dynamodel.runtime.transport.wire import encode_body

MAX_ACTIONS = 100
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024

# Builds the typed error for a failed condition, from the reason DynamoDB gave (it carries
# the stored item when the request asked for ReturnValuesOnConditionCheckFailure=ALL_OLD).
ErrorFactory = Callable[[dict[str, Any]], DynamodelError]


@frozen_dataclass
class Action:
    """One action of a transaction, and what a failed condition on it means."""

    kind: str  # Put | Update | Delete | ConditionCheck
    request: dict[str, Any]  # the body of the action, without TableName
    on_condition_failed: ErrorFactory
    entity: str = ""
    # Says which item a Put writes, for the error when it is too large (called only then).
    describe: Callable[[], str] | None = None
    # What the item holds once this action is applied (None: it is deleted), to recognise a
    # retry whose condition failed only because an earlier attempt was applied.
    outcome: Item | None = None
    removed: tuple[str, ...] = ()  # attributes an Update removes
    # For a single-item write whose request may not be resent once an attempt may have been
    # applied (an update: resending it could apply it again, over a change made in between):
    # the request to send instead, conditioned on the stored values of what it changes, so
    # that it fails once the earlier attempt was applied.
    resend: dict[str, Any] | None = None

    def __init__(
        self,
        *,
        kind: str,
        request: dict[str, Any],
        on_condition_failed: ErrorFactory,
        entity: str = "",
        describe: Callable[[], str] | None = None,
        outcome: Item | None = None,
        removed: tuple[str, ...] = (),
        resend: dict[str, Any] | None = None,
    ) -> None:
        # The dataclass's own __init__ of a frozen class sets each field with
        # `object.__setattr__`; filling the instance dict at once halves the cost, paid for
        # every item of every write. The same fields, in the same order (a test compares).
        self.__dict__.update(
            kind=kind,
            request=request,
            on_condition_failed=on_condition_failed,
            entity=entity,
            describe=describe,
            outcome=outcome,
            removed=removed,
            resend=resend,
        )

    def size(self) -> int:
        """DynamoDB's size of the item a Put writes; for other actions, of the key plus the
        request's text (an estimate of what the transaction limit counts)."""
        if self.kind == "Put":
            return item_size(self.request["Item"])
        return item_size(self.request.get("Key", {})) + len(str(self.request))


def size_bound(item: Item) -> int:
    """A quick upper bound of DynamoDB's size of `item`: the length of its JSON.

    JSON spends more characters than DynamoDB counts bytes on everything it holds (names and
    strings are quoted, non-ASCII is escaped, numbers are counted by digits, binary values are
    base64 text, every value is wrapped in its type), and it is encoded in C, so this bound
    costs a fraction of the exact walk.
    """
    body = encode_body(item)
    return len(body) if body is not None else item_size(item)


def _too_large(size: int, *, entity: str, described: str) -> ItemTooLargeError:
    return ItemTooLargeError(
        f"{described} is {size:,} bytes, over DynamoDB's item limit of {MAX_ITEM_BYTES:,} "
        "bytes; nothing was written",
        entity=entity,
        size=size,
    )


def check_item_size(item: Item, *, entity: str, described: Callable[[], str]) -> None:
    """Raise ItemTooLargeError (nothing is sent) when the item exceeds 400 KB: the quick bound
    first, the exact size only when the bound is over the limit."""
    if size_bound(item) <= MAX_ITEM_BYTES:
        return
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise _too_large(size, entity=entity, described=described())


def check_limits(actions: Sequence[Action], *, encoded_length: int | None) -> None:
    """Check DynamoDB's limits on the items and the transaction before anything is sent:
    400 KB per item, 100 actions and 4 MB per transaction.

    `encoded_length` is the length of the request's JSON body. Each item's JSON is a part of
    it, and JSON never undercounts (see `size_bound`), so a body within 400 KB proves every
    limit at once; only a larger one is counted exactly, action by action.
    """
    if len(actions) > MAX_ACTIONS:
        raise TransactionTooLargeError(
            f"this write needs {len(actions)} actions in one transaction; DynamoDB allows "
            f"{MAX_ACTIONS}. Nothing was written",
            actions=len(actions),
        )
    if encoded_length is not None and encoded_length <= MAX_ITEM_BYTES:
        return
    total = 0
    for action in actions:
        size = action.size()
        if action.kind == "Put" and size > MAX_ITEM_BYTES:
            described = action.describe() if action.describe else f"the {action.entity} item"
            raise _too_large(size, entity=action.entity, described=described)
        total += size
    if len(actions) > 1 and total > MAX_TRANSACTION_BYTES:
        raise TransactionTooLargeError(
            f"this write is {total:,} bytes in one transaction; DynamoDB allows "
            f"{MAX_TRANSACTION_BYTES:,}. Nothing was written",
            actions=len(actions),
            size=total,
        )


def transaction_request(table: str, actions: Sequence[Action]) -> dict[str, Any]:
    """The TransactWriteItems request for these actions (limits: see `check_limits`)."""
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
        # minutes), so a retry after a lost response cannot apply it twice. 128 random bits as
        # hex, like `uuid4().hex` (which costs five times more, for the version bits).
        "ClientRequestToken": os.urandom(16).hex(),
    }


def shows_applied(action: Action, stored: Item | None) -> bool:
    """Whether `stored` (the item as it is now) is what `action` leaves behind: a retried
    write whose condition failed because its own earlier attempt was applied."""
    if action.kind == "Delete":
        return stored is None
    expected = action.request.get("Item") if action.kind == "Put" else action.outcome
    if stored is None or expected is None:
        return False
    if action.kind == "Put" and set(stored) != set(expected):
        return False  # a Put replaces the whole item
    return all(
        name in stored and same_value(stored[name], value) for name, value in expected.items()
    ) and not any(name in stored for name in action.removed)


def same_value(a: Any, b: Any) -> bool:
    """AttributeValues equal as DynamoDB stores them: numbers by value, sets in any order."""
    if not (isinstance(a, dict) and isinstance(b, dict)) or a.keys() != b.keys() or len(a) != 1:
        return False
    tag = next(iter(a))
    x, y = a[tag], b[tag]
    if tag == "N":
        return Decimal(x) == Decimal(y)
    if tag == "NS":
        return {Decimal(v) for v in x} == {Decimal(v) for v in y}
    if tag in ("SS", "BS"):
        return {bytes(v) if tag == "BS" else v for v in x} == {
            bytes(v) if tag == "BS" else v for v in y
        }
    if tag == "L":
        return len(x) == len(y) and all(same_value(i, j) for i, j in zip(x, y, strict=True))
    if tag == "M":
        return x.keys() == y.keys() and all(same_value(x[k], y[k]) for k in x)
    if tag == "B":
        return bytes(x) == bytes(y)
    return bool(x == y)


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
