"""The write boundary's errors (runtime/validation.py), on a small model: what an
InvalidValueError names (entity, attribute with its path, value, reason), how long a value
it shows may be, and which attributes the encoder's refusal is pinned on. Survivors of the
mutation run of issue 11 (see docs/development.md, "Mutation testing")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, model_validator

from dynamodel.runtime.errors import InvalidKeyValueError, InvalidValueError
from dynamodel.runtime.validation import check_changes, checked_encoder, shown, validated

SHOWN_LIMIT = 60  # characters of a value a message shows, "..." included


class Part(BaseModel):
    name: str
    tags: list[str]
    weight: Decimal | None = None


class Box(BaseModel):
    label: str
    parts: list[Part] = []


class Grid(BaseModel):
    rows: list[list[str]]


class Window(BaseModel):
    low: int
    high: int

    @model_validator(mode="after")
    def ordered(self) -> Window:
        if self.low > self.high:
            raise ValueError("low above high")
        return self


def encode_ok(obj: Any) -> dict[str, dict[str, Any]]:
    return {"label": {"S": obj.label}}


def test_a_value_of_60_characters_is_shown_whole_and_a_longer_one_cut() -> None:
    exact = "x" * (SHOWN_LIMIT - 2)  # its repr has two quotes: 60 characters
    assert shown(exact) == repr(exact)
    longer = "x" * (SHOWN_LIMIT - 1)
    assert shown(longer) == "'" + "x" * 56 + "..."
    assert len(shown(longer)) == SHOWN_LIMIT


def test_an_error_names_the_attribute_path_and_the_value() -> None:
    encode = checked_encoder("Part", Part, encode_ok, members=())
    bad = Part.model_construct(name="p", tags=["a", 7])
    with pytest.raises(InvalidValueError) as caught:
        encode(bad)
    assert caught.value.entity == "Part"
    assert caught.value.attribute == "tags[1]"
    assert caught.value.value == 7
    assert str(caught.value) == (
        "Part.tags[1] = 7: Input should be a valid string; nothing was sent"
    )


def test_a_partial_update_names_the_path_inside_its_value() -> None:
    with pytest.raises(InvalidValueError) as caught:
        check_changes("Part", Part, {"tags": ["a", 7]})
    assert caught.value.attribute == "tags[1]"
    assert caught.value.value == ["a", 7]


def test_a_wrapped_encoder_is_not_wrapped_again() -> None:
    calls: list[str] = []

    def encode(obj: Any) -> dict[str, dict[str, Any]]:
        calls.append("encode")
        return encode_ok(obj)

    once = checked_encoder("Box", Box, encode, members=("parts",))
    assert getattr(once, "checks_values", False) is True
    assert checked_encoder("Box", Box, once, members=("parts",)) is once
    assert once(Box(label="b")) == {"label": {"S": "b"}}
    assert calls == ["encode"]


def test_key_errors_pass_through_unchanged() -> None:
    refused = InvalidKeyValueError("label too long", attribute="label")

    def encode(obj: Any) -> dict[str, dict[str, Any]]:
        raise refused

    with pytest.raises(InvalidKeyValueError) as caught:
        checked_encoder("Box", Box, encode, members=())(Box(label="b"))
    assert caught.value is refused


def test_the_culprit_of_an_encoder_refusal_is_named_skipping_members_and_none() -> None:
    def encode(obj: Any) -> dict[str, dict[str, Any]]:
        raise ValueError("number out of range")

    huge = Decimal("1E+200")
    with pytest.raises(InvalidValueError) as caught:
        checked_encoder("Part", Part, encode, members=())(Part(name="p", tags=["t"], weight=huge))
    assert caught.value.attribute == "weight"
    assert caught.value.value == huge
    assert str(caught.value) == (
        "Part.weight = Decimal('1E+200'): Decimal('1E+200') is outside DynamoDB's number range"
        " (magnitude 1E-130 .. 9.99...E+125); nothing was sent"
    )


def test_an_encoder_refusal_with_no_culprit_keeps_its_message() -> None:
    def encode(obj: Any) -> dict[str, dict[str, Any]]:
        raise TypeError("cannot encode")

    with pytest.raises(InvalidValueError) as caught:
        # A member list holds models, which are encoded as their own items: not the culprit.
        checked_encoder("Box", Box, encode, members=("parts",))(
            Box(label="b", parts=[Part(name="p", tags=[])])
        )
    assert str(caught.value) == "Box: cannot encode; nothing was sent"
    assert caught.value.entity == "Box"


def test_a_nested_path_names_every_step() -> None:
    with pytest.raises(InvalidValueError) as caught:
        checked_encoder("Grid", Grid, encode_ok, members=())(
            Grid.model_construct(rows=[["a"], ["b", 7]])
        )
    assert caught.value.attribute == "rows[1][1]"


def test_an_error_of_the_whole_object_names_no_attribute() -> None:
    with pytest.raises(InvalidValueError) as caught:
        checked_encoder("Window", Window, encode_ok, members=())(
            Window.model_construct(low=2, high=1)
        )
    assert caught.value.attribute == ""
    assert str(caught.value).startswith("Window. = ")


def test_a_loose_value_is_refused_not_coerced() -> None:
    # Writes that build their item from loose values (counters' ids) are strict too: "1" is
    # not an int, so it is refused rather than silently turned into one.
    with pytest.raises(InvalidValueError) as caught:
        validated("Window", Window, {"low": "1", "high": 2})
    assert caught.value.attribute == "low"
    assert caught.value.value == "1"
    assert validated("Window", Window, {"low": 1, "high": 2}) == Window(low=1, high=2)


def test_a_partial_update_names_every_step_of_a_nested_path_and_the_reason() -> None:
    with pytest.raises(InvalidValueError) as caught:
        check_changes("Grid", Grid, {"rows": [["a"], ["b", 7]]})
    assert caught.value.attribute == "rows[1][1]"
    assert str(caught.value) == (
        "Grid.rows[1][1] = [['a'], ['b', 7]]: Input should be a valid string; nothing was sent"
    )


def test_an_object_of_another_model_is_refused_naming_both() -> None:
    with pytest.raises(InvalidValueError) as caught:
        checked_encoder("Box", Box, encode_ok, members=())(Part(name="p", tags=[]))
    assert caught.value.entity == "Box"
    assert str(caught.value) == "expected a Box, got Part; nothing was sent"


def test_an_object_holding_a_value_of_a_convertible_type_is_refused() -> None:
    # Strict: the value held is the value that would be written, so "1" is not taken as 1.
    with pytest.raises(InvalidValueError) as caught:
        checked_encoder("Window", Window, encode_ok, members=())(
            Window.model_construct(low="1", high=2)
        )
    assert (caught.value.entity, caught.value.attribute, caught.value.value) == (
        "Window",
        "low",
        "1",
    )
