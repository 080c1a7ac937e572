"""`runtime/expiry.py` against DynamoDB's own evaluation of its condition (moto in-process).

The runtime decides "expired" in two places that must agree: `is_expired` on items that came
back (reads hide them), and the condition of `absent_or_expired` that DynamoDB evaluates on a
create (it may replace them). The oracle is DynamoDB: for each stored TTL value, the
conditional put succeeds exactly when `is_expired` says the stored item has expired. These
tests pin the boundary (a TTL equal to "now" has not expired: DynamoDB's `<`), TTL values that
are not numbers (DynamoDB's TTL ignores them), and the order `unexpired` keeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError

from dynamodel.runtime.expiry import absent_or_expired, is_expired, unexpired

NOW = 1_700_000_000
TTL = "expires_at"


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with moto.mock_aws():
        dynamodb = boto3.client(
            "dynamodb",
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        dynamodb.create_table(
            TableName="expiry",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb


def _create_succeeds(client: Any, key: str, attribute: str | None, now: int) -> bool:
    expression, names, values = absent_or_expired(attribute, now)
    request: dict[str, Any] = {
        "TableName": "expiry",
        "Item": {"PK": {"S": key}, "marker": {"S": "new"}},
        "ConditionExpression": expression,
        "ExpressionAttributeNames": {"#pk": "PK", **names},
    }
    if values:
        request["ExpressionAttributeValues"] = values
    try:
        client.put_item(**request)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
        return False
    stored = client.get_item(TableName="expiry", Key={"PK": {"S": key}}, ConsistentRead=True)
    assert stored["Item"]["marker"] == {"S": "new"}
    return True


STORED_TTLS: list[dict[str, str]] = [
    {"N": str(NOW - 1)},
    {"N": str(NOW)},
    {"N": str(NOW + 1)},
    {"N": "0"},
    {"N": "1.7e9"},  # 1,700,000,000: equal to NOW, written with an exponent
    {"N": "1699999999.5"},
    {"N": "1700000000.5"},
    # A TTL that is not a number (ignored by DynamoDB's TTL) is only in the test below: moto
    # raises a TypeError comparing a string with a number in a condition.
]


@pytest.mark.parametrize("stored_ttl", STORED_TTLS, ids=lambda value: repr(value))
def test_a_create_replaces_exactly_what_is_expired_says_has_expired(
    client: Any, stored_ttl: dict[str, str]
) -> None:
    key = f"item-{stored_ttl!r}"
    stored = {"PK": {"S": key}, TTL: stored_ttl, "marker": {"S": "old"}}
    client.put_item(TableName="expiry", Item=stored)
    expired = is_expired(stored, TTL, NOW)
    assert _create_succeeds(client, key, TTL, NOW) is expired


def test_the_boundary_and_ignored_values_exactly() -> None:
    def item(value: Any) -> dict[str, Any]:
        return {"PK": {"S": "k"}, TTL: value}

    assert is_expired(item({"N": str(NOW - 1)}), TTL, NOW) is True
    assert is_expired(item({"N": "1699999999.999"}), TTL, NOW) is True
    assert is_expired(item({"N": str(NOW)}), TTL, NOW) is False
    assert is_expired(item({"N": str(NOW + 1)}), TTL, NOW) is False
    # Not numbers, or not readable as one: never expired.
    assert is_expired(item({"S": "0"}), TTL, NOW) is False
    assert is_expired(item({"N": 0}), TTL, NOW) is False
    assert is_expired(item({"N": "not a number"}), TTL, NOW) is False
    assert is_expired(item("0"), TTL, NOW) is False
    assert is_expired({"PK": {"S": "k"}}, TTL, NOW) is False
    # No TTL attribute on the table: nothing expires, whatever the item holds.
    assert is_expired({"PK": {"S": "k"}, None: {"N": "0"}}, None, NOW) is False  # type: ignore[dict-item]


def test_a_create_on_an_absent_key_succeeds_and_on_a_live_item_fails(client: Any) -> None:
    assert _create_succeeds(client, "absent-with-ttl", TTL, NOW) is True
    assert _create_succeeds(client, "absent-without-ttl", None, NOW) is True
    client.put_item(TableName="expiry", Item={"PK": {"S": "live"}, TTL: {"N": "0"}})
    # Without a TTL attribute, even an item whose `expires_at` is long past is live.
    assert _create_succeeds(client, "live", None, NOW) is False


def test_without_a_ttl_attribute_the_condition_names_nothing_else() -> None:
    assert absent_or_expired(None, NOW) == ("attribute_not_exists(#pk)", {}, {})


def test_unexpired_drops_the_expired_items_in_order() -> None:
    items = [
        {"PK": {"S": "a"}, TTL: {"N": str(NOW + 5)}},
        {"PK": {"S": "b"}, TTL: {"N": str(NOW - 5)}},
        {"PK": {"S": "c"}},
        {"PK": {"S": "d"}, TTL: {"N": str(NOW)}},
        {"PK": {"S": "e"}, TTL: {"N": "1"}},
    ]
    assert [item["PK"]["S"] for item in unexpired(items, TTL, NOW)] == ["a", "c", "d"]
    kept = unexpired(items, None, NOW)
    assert kept == items
    assert isinstance(kept, list)
    assert unexpired((), TTL, NOW) == []
