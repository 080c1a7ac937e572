"""Sending a write so that it applies once, even when a response is lost.

`run` sends the actions of one repository call: a single Put or Update as a conditional
PutItem/UpdateItem, anything else (a single Delete included) as one TransactWriteItems with
a ClientRequestToken. Retries resend the same request (`Table.send`); what a retry that
fails its condition means depends on whether an earlier attempt may have been applied:

- no earlier attempt may have been applied: the condition failed for the reason it names
  (`Action.on_condition_failed`: already exists, version conflict, ...);
- one may have (a lost response, a server error, or botocore's own retries, which the
  runtime does not see): if the item is exactly as this write leaves it, the earlier
  attempt was applied and the call succeeds; otherwise another writer changed the item in
  between, and whether this write was applied before that change cannot be told:
  `OutcomeUnknownError`.

A resend must not apply a write a second time over a change made in between. A create's
condition (the item does not exist) and a versioned save's (the version read) fail once it
was applied; an update is resent, after an attempt that may have been applied, with its
`Action.resend` request (also conditioned on the stored values of what it changes: a version
alone holds again on an item deleted and created anew); an unconditional put is not resent
at all but read back.

A single Delete goes in a transaction because resending a DeleteItem is not safe: its
condition can only name what was read (the item exists, has version n), and an item another
writer re-creates in between looks the same. The token makes DynamoDB answer the retry of an
applied transaction with success and change nothing (for 10 minutes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from dynamodel.runtime.errors import OutcomeUnknownError
from dynamodel.runtime.retry import may_have_applied
from dynamodel.runtime.schema import Item
from dynamodel.runtime.table import Table
from dynamodel.runtime.transact import (
    Action,
    check_limits,
    raise_for_cancellation,
    shows_applied,
    transaction_request,
)
from dynamodel.runtime.transport.wire import encode_body


def key_text(item: Item) -> str:
    return f"PK={item['PK']['S']!r} SK={item['SK']['S']!r}"


def run(table: Table, actions: Sequence[Action]) -> None:
    """One conditional PutItem/UpdateItem for a single Put or Update, else one transaction
    (see the module docstring); DynamoDB's size limits are checked first (on the serialized
    request), so nothing is sent past them."""
    if len(actions) == 1 and actions[0].kind != "Delete":
        _run_single(table, actions[0])
        return
    request = transaction_request(table.name, actions)
    body = encode_body(request)
    check_limits(actions, encoded_length=len(body) if body is not None else None)
    uncertain: list[BaseException] = []
    try:
        table.send(table.client.transact_write_items, request, body, on_retry=_noting(uncertain))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons") or []
        if (
            len(actions) == 1
            and (uncertain or _retried_by_botocore(error))
            and reasons
            and reasons[0].get("Code") == "ConditionalCheckFailed"
            and shows_applied(actions[0], reasons[0].get("Item"))
        ):
            # A server that ignores the token: the item is gone, as this delete leaves it.
            return
        raise_for_cancellation(error, actions)


def _noting(
    uncertain: list[BaseException], *, stop: bool = False
) -> Callable[[int, BaseException, float], None]:
    """An `on_retry` that keeps the errors after which an attempt may have been applied, and
    with `stop`, ends the retries of the request at the first of them (`_MayHaveApplied`)."""

    def note(attempt: int, error: BaseException, delay: float) -> None:
        if may_have_applied(error):
            uncertain.append(error)
            if stop:
                raise _MayHaveApplied() from error

    return note


def _retried_by_botocore(error: ClientError) -> bool:
    """Whether botocore resent this request itself (the client's own retries): the runtime did
    not see why the earlier attempts failed, so any of them may have been applied."""
    retries = error.response.get("ResponseMetadata", {}).get("RetryAttempts")
    return isinstance(retries, int) and retries > 0


class _MayHaveApplied(Exception):
    """Stops the retries of a request that may not be resent once an attempt may have been
    applied (an unconditional put)."""


def _run_single(table: Table, action: Action) -> None:
    operation = {"Put": table.client.put_item, "Update": table.client.update_item}[action.kind]
    request = _single_request(table, action.request)
    body = encode_body(request)
    check_limits([action], encoded_length=len(body) if body is not None else None)
    uncertain: list[BaseException] = []  # attempts that may have been applied
    resend = None
    if action.resend is not None:
        replacement = _single_request(table, action.resend)
        resend = (replacement, encode_body(replacement))
    # An unconditional put has nothing that keeps its resend from overwriting a change made
    # since an attempt that may have been applied: its retries stop there, and it reads back.
    read_back = action.kind == "Put" and "ConditionExpression" not in request
    try:
        try:
            table.send(
                operation,
                request,
                body,
                on_retry=_noting(uncertain, stop=read_back),
                resend=resend,
            )
        except _MayHaveApplied:
            item = action.request["Item"]
            stored = table.get_item({"PK": item["PK"], "SK": item["SK"]}, consistent=True)
            if shows_applied(action, stored):
                return
            raise _outcome_unknown(action, request, uncertain) from uncertain[-1]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        if not (uncertain or _retried_by_botocore(error)):
            raise action.on_condition_failed(dict(error.response)) from error
        # An earlier attempt may have been applied, then the retry failed its condition. If
        # the item is exactly as this write leaves it, the earlier attempt was applied. If not,
        # another writer changed it in between: whether this write was applied before that
        # change, or never, cannot be told from here.
        if shows_applied(action, error.response.get("Item")):
            return
        raise _outcome_unknown(action, request, uncertain) from error


def _single_request(table: Table, body: Mapping[str, Any]) -> dict[str, Any]:
    request = {"TableName": table.name, **body}
    if "ConditionExpression" in request:
        # The stored item comes back with a failed condition: a retry can tell whether an
        # earlier attempt was applied, and errors can say what was found.
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return request


def _outcome_unknown(
    action: Action, request: Mapping[str, Any], uncertain: Sequence[BaseException]
) -> OutcomeUnknownError:
    key = request.get("Key") or request["Item"]
    shown = key_text(key)
    cause = type(uncertain[0]).__name__ if uncertain else "botocore's own retries"
    operation = f"{action.kind}Item"
    return OutcomeUnknownError(
        f"{operation} of {action.entity or 'an item'} {shown}: an earlier attempt may have been "
        f"applied ({cause}), and another writer changed the item before the retry; whether "
        "this write was applied is unknown. Read the item and decide",
        operation=operation,
        entity=action.entity,
        key=shown,
    )
