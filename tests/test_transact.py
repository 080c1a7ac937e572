"""Recognising a retry whose condition failed only because its own earlier attempt was
applied: the stored item must be exactly what the write leaves behind."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

from dynamodel.runtime.errors import DynamodelError, ItemTooLargeError, TransactionFailedError
from dynamodel.runtime.transact import (
    Action,
    check_limits,
    raise_for_cancellation,
    same_value,
    shows_applied,
)
from dynamodel.runtime.writes import unexpected


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ({"N": "1.50"}, {"N": "1.5"}, True),  # DynamoDB normalises numbers
        ({"N": "2"}, {"N": "3"}, False),
        ({"SS": ["a", "b"]}, {"SS": ["b", "a"]}, True),  # sets come back in any order
        ({"SS": ["a"]}, {"SS": ["a", "b"]}, False),
        ({"NS": ["1", "2.0"]}, {"NS": ["2", "1"]}, True),
        ({"BS": [b"x", b"y"]}, {"BS": [b"y", b"x"]}, True),
        ({"B": b"x"}, {"B": bytearray(b"x")}, True),
        (
            {"L": [{"N": "1"}, {"S": "x"}]},
            {"L": [{"S": "x"}, {"N": "1"}]},
            False,
        ),  # lists keep order
        ({"M": {"k": {"N": "1.0"}}}, {"M": {"k": {"N": "1"}}}, True),
        ({"M": {"k": {"N": "1"}}}, {"M": {"j": {"N": "1"}}}, False),
        ({"S": "1"}, {"N": "1"}, False),
        ({"BOOL": True}, {"BOOL": False}, False),
        ({"NULL": True}, {"NULL": True}, True),
    ],
)
def test_same_value(a: dict[str, Any], b: dict[str, Any], equal: bool) -> None:
    assert same_value(a, b) is equal
    assert same_value(b, a) is equal


ITEM = {"PK": {"S": "p"}, "SK": {"S": "s"}, "n": {"N": "1"}, "tags": {"SS": ["a", "b"]}}


def test_a_put_is_applied_when_the_item_is_exactly_it() -> None:
    put = Action(kind="Put", request={"Item": ITEM}, on_condition_failed=unexpected)
    assert shows_applied(put, {**ITEM, "tags": {"SS": ["b", "a"]}})
    assert not shows_applied(put, {**ITEM, "n": {"N": "2"}})  # another writer since
    assert not shows_applied(put, {**ITEM, "extra": {"S": "x"}})  # a put replaces everything
    assert not shows_applied(put, None)


def test_an_update_is_applied_when_its_sets_and_removes_show() -> None:
    update = Action(
        kind="Update",
        request={"Key": {"PK": ITEM["PK"], "SK": ITEM["SK"]}},
        on_condition_failed=unexpected,
        outcome=ITEM,
        removed=("gone",),
    )
    assert shows_applied(update, {**ITEM, "other": {"S": "kept"}})  # untouched attributes
    assert not shows_applied(update, {**ITEM, "gone": {"S": "still here"}})
    assert not shows_applied(update, {**ITEM, "n": {"N": "7"}})


def test_a_delete_is_applied_when_the_item_is_gone() -> None:
    delete = Action(kind="Delete", request={"Key": {}}, on_condition_failed=unexpected)
    assert shows_applied(delete, None)
    assert not shows_applied(delete, ITEM)


# Sampled mutation run (docs/development.md): what a cancelled transaction reports, and the size
# of a Put, pinned with DynamoDB's own spelling and sizes.


def _cancelled(response: dict[str, Any]) -> TransactionFailedError:
    error = ClientError(response, "TransactWriteItems")
    with pytest.raises(TransactionFailedError) as raised:
        raise_for_cancellation(error, [])
    return raised.value


def test_a_cancellation_without_reasons_or_error_says_none_given() -> None:
    error = _cancelled({})
    assert not error.reasons
    assert "(reasons: none given)" in str(error)


def test_a_reason_without_a_code_is_shown_as_dynamodbs_none() -> None:
    # DynamoDB's code for an action that did not fail is the word "None".
    error = _cancelled({"CancellationReasons": [{"Message": "x"}, {"Code": "TransactionConflict"}]})
    assert "(reasons: None, TransactionConflict)" in str(error)
    # The reasons themselves are kept, as DynamoDB gave them, for a caller to inspect.
    assert error.reasons == ({"Message": "x"}, {"Code": "TransactionConflict"})


def test_the_size_of_a_put_is_the_size_of_its_item() -> None:
    # DynamoDB counts name bytes plus value bytes: "pk" (2) + "abc" (3), "n" (1) + 1 digit (1),
    # plus 1 byte per number per 2 digits rounded up and 1 more: the number 7 counts 2 bytes.
    put = Action(
        kind="Put",
        request={"Item": {"pk": {"S": "abc"}, "n": {"N": "7"}}},
        on_condition_failed=unexpected,
    )
    assert put.size() == 2 + 3 + 1 + 2


class _Refused(DynamodelError):
    pass


def test_reasons_given_only_in_the_message_name_the_failed_action() -> None:
    # Some emulators (MiniStack, older moto) omit CancellationReasons and list the codes,
    # in action order, inside the message instead.
    message = (
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[None, ConditionalCheckFailed]"
    )
    error = ClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": message}},
        "TransactWriteItems",
    )

    def refused(reason: dict[str, Any]) -> DynamodelError:
        return _Refused(reason)

    def other(reason: dict[str, Any]) -> DynamodelError:
        raise AssertionError("the first action did not fail")

    actions = [
        Action(kind="Put", request={}, on_condition_failed=other),
        Action(kind="Put", request={}, on_condition_failed=refused),
    ]
    with pytest.raises(_Refused) as raised:
        raise_for_cancellation(error, actions)
    assert raised.value.args == ({"Code": "ConditionalCheckFailed"},)


def test_a_put_of_exactly_400_kb_is_within_the_limit_and_one_byte_more_is_not() -> None:
    # DynamoDB's item limit is 400 KB = 409,600 bytes, names included: "pk" (2) + the value.
    def put(value_bytes: int) -> Action:
        item = {"pk": {"S": "x" * value_bytes}}
        return Action(kind="Put", request={"Item": item}, on_condition_failed=unexpected)

    check_limits([put(409_600 - 2)], encoded_length=None)
    with pytest.raises(ItemTooLargeError):
        check_limits([put(409_600 - 1)], encoded_length=None)
