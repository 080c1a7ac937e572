"""The runtime's fast paths (issue 14, item 7) give exactly what the general paths give.

Each shortcut taken on the hot path of a write or a read is compared here with the code it
stands for: the int, str and datetime key encoders with the checked and Decimal paths, the
per-write create conditions with `creates`, `Action`'s own `__init__` with its fields,
`marshal.construct` with pydantic's `model_construct`, and the transport's reading of a
client's validation setting with what botocore does.
"""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.config import Config
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from dynamodel.runtime import keys, marshal
from dynamodel.runtime.errors import InvalidKeyValueError
from dynamodel.runtime.expiry import is_expired, unexpired
from dynamodel.runtime.transact import Action
from dynamodel.runtime.transport.wire import _validates


def _outcome(encode: Any, value: object) -> str:
    try:
        return str(encode(value))
    except InvalidKeyValueError as error:
        return f"refused: {error.args[0].split(': ')[-1]}"  # the reason, not the repr


@given(st.integers(min_value=-(10**40), max_value=10**40))
def test_int_keys_equal_the_decimal_encoding(value: int) -> None:
    # Up to 38 digits the fast path; beyond, the checks of every number type.
    assert _outcome(keys.encode_int, value) == _outcome(keys.encode_number, Decimal(value))


@pytest.mark.parametrize("value", [True, 1.0, Decimal(1), "1", None])
def test_int_keys_refuse_what_is_not_an_int(value: object) -> None:
    with pytest.raises(InvalidKeyValueError):
        keys.encode_int(value, attribute="n")


@given(st.text(min_size=1))
def test_str_keys_equal_the_escaping_of_every_character(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(InvalidKeyValueError):
            keys.encode_str(value)
        return
    expected = "".join(f"%{ord(c):02X}" if c <= "%" else c for c in value)
    assert keys.encode_str(value) == expected


@given(
    st.datetimes(
        min_value=datetime(2, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3))]),
    )
)
def test_datetime_keys_do_not_depend_on_what_was_encoded_before(value: datetime) -> None:
    other = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
    keys.encode_datetime(other)
    first = keys.encode_datetime(value)
    assert keys.encode_datetime(value) == first  # the remembered text, when it is `value`
    utc = value.astimezone(UTC)
    assert first == f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}.{utc.microsecond:06d}Z"
    assert marshal.put_datetime(value) == {"S": first}


def test_action_init_takes_every_field_in_order() -> None:
    fields = [field.name for field in dataclasses.fields(Action)]
    parameters = list(inspect.signature(Action.__init__).parameters)[1:]
    assert parameters == fields
    action = Action(kind="Put", request={}, on_condition_failed=lambda reason: None)  # type: ignore[arg-type, return-value]
    assert dataclasses.replace(action, kind="Delete").kind == "Delete"
    with pytest.raises(dataclasses.FrozenInstanceError):
        action.kind = "Update"  # type: ignore[misc]


class _Model(BaseModel):
    a: int
    b: str | None = None


def test_construct_is_model_construct() -> None:
    built = marshal.construct(_Model, {"a": 1, "b": None})
    expected = _Model.model_construct(a=1, b=None)
    assert built == expected
    assert built.model_fields_set == expected.model_fields_set
    assert built.__pydantic_extra__ is None and built.__pydantic_private__ is None


def test_unexpired_keeps_items_without_the_attribute() -> None:
    items: list[dict[str, Any]] = [
        {"PK": {"S": "a"}},
        {"PK": {"S": "b"}, "ttl": {"N": "5"}},
        {"PK": {"S": "c"}, "ttl": {"N": "50"}},
        {"PK": {"S": "d"}, "ttl": {"S": "5"}},
    ]
    kept = unexpired(items, "ttl", 10)
    assert kept == [item for item in items if not is_expired(item, "ttl", 10)]
    assert [item["PK"]["S"] for item in kept] == ["a", "c", "d"]


@pytest.mark.parametrize(("validation", "expected"), [(None, True), (True, True), (False, False)])
def test_the_validation_setting_is_read_from_the_serializer(
    validation: bool | None, expected: bool
) -> None:
    # botocore leaves `parameter_validation` out of the client's own config (it reads True
    # either way): only the serializer tells whether the client validates.
    config = Config(parameter_validation=validation) if validation is not None else None
    client = boto3.client("dynamodb", region_name="us-east-1", config=config)
    assert _validates(client) is expected
