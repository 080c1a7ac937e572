"""Recognising a retry whose condition failed only because its own earlier attempt was
applied: the stored item must be exactly what the write leaves behind."""

from __future__ import annotations

from typing import Any

import pytest

from dynamodel.runtime.transact import Action, same_value, shows_applied
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
