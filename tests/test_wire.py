"""Bodies the runtime serializes are exactly botocore's, and the runtime's default client sends
the same HTTP requests as a plain boto3 client (the body, the endpoint, the target, the length;
the signature computed over that body)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.serialize import create_serializer
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.runtime.transport import wire
from dynamodel.runtime.transport.client import default_client

MODEL = botocore.session.get_session().get_service_model("dynamodb")
SERIALIZER = create_serializer("json", include_validation=True)
TABLE = "tracker-test"
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/tracker-test"

names = st.text(min_size=1, max_size=6)
numbers = st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{1,8})?", fullmatch=True)
scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=12)),
    st.builds(lambda n: {"N": n}, numbers),
    st.builds(lambda b: {"B": b}, st.binary(max_size=12)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda v: {"SS": v}, st.lists(st.text(max_size=5), min_size=1, max_size=3)),
    st.builds(lambda v: {"NS": v}, st.lists(numbers, min_size=1, max_size=3)),
    st.builds(lambda v: {"BS": v}, st.lists(st.binary(max_size=5), min_size=1, max_size=3)),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.builds(lambda v: {"L": v}, st.lists(children, max_size=3)),
        st.builds(lambda v: {"M": v}, st.dictionaries(names, children, max_size=3)),
    ),
    max_leaves=8,
)
items = st.dictionaries(names, values, min_size=1, max_size=5)
keys = st.fixed_dictionaries({"PK": st.builds(lambda s: {"S": s}, st.text(min_size=1))})


def requests() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    condition = {
        "ConditionExpression": "attribute_not_exists(#pk) OR #v = :v",
        "ExpressionAttributeNames": {"#pk": "PK", "#v": "version"},
    }
    put = st.builds(
        lambda item, value: {
            "TableName": TABLE,
            "Item": item,
            **condition,
            "ExpressionAttributeValues": {":v": value},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
        items,
        values,
    )
    return st.one_of(
        st.tuples(st.just("PutItem"), put),
        st.tuples(
            st.just("GetItem"),
            st.builds(
                lambda key, consistent: {
                    "TableName": TABLE,
                    "Key": key,
                    "ConsistentRead": consistent,
                },
                keys,
                st.booleans(),
            ),
        ),
        st.tuples(
            st.just("Query"),
            st.builds(
                lambda value, limit, start: {
                    "TableName": TABLE,
                    "IndexName": "GSI1",
                    "KeyConditionExpression": "#pk = :pk",
                    "ExpressionAttributeNames": {"#pk": "GSI1PK"},
                    "ExpressionAttributeValues": {":pk": value},
                    "Limit": limit,
                    "ScanIndexForward": False,
                    **({"ExclusiveStartKey": start} if start else {}),
                },
                values,
                st.integers(1, 1000),
                st.none() | items,
            ),
        ),
        st.tuples(
            st.just("TransactWriteItems"),
            st.builds(
                lambda puts, deletes, token: {
                    "TransactItems": [{"Put": {"TableName": TABLE, "Item": i}} for i in puts]
                    + [{"Delete": {"TableName": TABLE, "Key": k}} for k in deletes],
                    "ClientRequestToken": token,
                },
                st.lists(items, min_size=1, max_size=4),
                st.lists(keys, max_size=2),
                st.text(
                    st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=36
                ),
            ),
        ),
        st.tuples(
            st.just("BatchWriteItem"),
            st.builds(
                lambda puts: {"RequestItems": {TABLE: [{"PutRequest": {"Item": i}} for i in puts]}},
                st.lists(items, min_size=1, max_size=4),
            ),
        ),
    )


@settings(max_examples=300, deadline=None)
@given(requests())
def test_bodies_are_byte_for_byte_botocores(case: tuple[str, dict[str, Any]]) -> None:
    operation, params = case
    expected = SERIALIZER.serialize_to_request(params, MODEL.operation_model(operation))["body"]
    assert wire.encode_body(params) == expected


def test_values_botocore_alone_serializes_are_left_to_it() -> None:
    from decimal import Decimal

    assert wire.encode_body({"Item": {"n": {"N": Decimal("1")}}}) is None


# -- what the clients send -------------------------------------------------------------------


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _capture(client: Any) -> list[dict[str, Any]]:
    """Answer every request with `{}` (no network) and record what was signed and sent."""
    sent: list[dict[str, Any]] = []

    def before_sign(request: Any, **_: Any) -> None:
        sent.append({"signed_body": request.body})

    def before_send(request: Any, **_: Any) -> AWSResponse:
        sent[-1].update(
            url=request.url,
            method=request.method,
            body=request.body,
            headers={
                name: request.headers[name]
                for name in ("X-Amz-Target", "Content-Type", "Content-Length")
                if name in request.headers
            },
        )
        return AWSResponse(request.url, 200, {"x-amzn-RequestId": "R"}, _Body(b"{}"))

    client.meta.events.register("before-sign.dynamodb", before_sign)
    client.meta.events.register("before-send.dynamodb", before_send)
    return sent


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return boto3.session.Session().client("dynamodb", region_name="us-east-1"), default_client()


ITEM = {
    "PK": {"S": "Ticket#w%231#P5011"},
    "SK": {"S": "#Ticket"},
    "title": {"S": 'unicode é 日本 \u2028 "quoted"'},
    "blob": {"B": b"\x00\xff binary"},
    "blobs": {"BS": [b"a", b"\x01"]},
    "labels": {"SS": ["a", "b"]},
    "meta": {"M": {"k": {"L": [{"N": "-1.5"}, {"NULL": True}, {"BOOL": False}]}}},
}
CALLS: list[tuple[str, dict[str, Any]]] = [
    (
        "put_item",
        {"TableName": TABLE, "Item": ITEM, "ConditionExpression": "attribute_not_exists(PK)"},
    ),
    (
        "get_item",
        {"TableName": TABLE, "Key": {"PK": ITEM["PK"], "SK": ITEM["SK"]}, "ConsistentRead": True},
    ),
    (
        "query",
        {
            "TableName": ARN,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": ITEM["PK"]},
            "Limit": 26,
        },
    ),
    (
        "transact_write_items",
        {
            "TransactItems": [
                {"Put": {"TableName": ARN, "Item": ITEM}},
                {"Delete": {"TableName": "other", "Key": {"PK": {"S": "x"}, "SK": {"S": "y"}}}},
                {"Put": {"TableName": ARN, "Item": {**ITEM, "SK": {"S": "2"}}}},
            ],
            "ClientRequestToken": "token-1",
        },
    ),
    (
        "batch_write_item",
        {
            "RequestItems": {
                TABLE: [{"PutRequest": {"Item": ITEM}}],
                "bbb": [{"DeleteRequest": {"Key": {"PK": {"S": "k"}}}}],
            }
        },
    ),
    (
        "batch_get_item",
        {"RequestItems": {ARN: {"Keys": [{"PK": {"S": "k"}}], "ConsistentRead": True}}},
    ),
]


@pytest.mark.parametrize(("method", "params"), CALLS, ids=[c[0] for c in CALLS])
def test_the_default_client_sends_what_boto3_sends(
    clients: tuple[Any, Any], method: str, params: dict[str, Any]
) -> None:
    plain, fast = clients
    plain_sent, fast_sent = _capture(plain), _capture(fast)
    getattr(plain, method)(**params)
    body = wire.encode_body(params)
    assert body is not None
    wire.send(getattr(fast, method), params, body)
    assert fast_sent == plain_sent
    assert fast_sent[0]["body"] == fast_sent[0]["signed_body"] == body
    # An ARN as the table name moves the endpoint to the account's (in botocore releases whose
    # endpoint rules read it): resolved the same way, from the endpoint parameters.
    if ARN in repr(params) and _account_endpoints():
        assert fast_sent[0]["url"].startswith("https://123456789012.ddb.")


def _account_endpoints() -> bool:
    rules = botocore.session.get_session().get_component("data_loader")
    ruleset = rules.load_service_model("dynamodb", "endpoint-rule-set-1")
    return "ResourceArn" in json.dumps(ruleset)


def test_a_client_without_the_hooks_sends_the_parameters(clients: tuple[Any, Any]) -> None:
    plain, _ = clients
    sent = _capture(plain)
    params = CALLS[0][1]
    wire.send(plain.put_item, params, b'{"not": "this"}')
    assert sent[0]["body"] == wire.encode_body(params)
    assert wire._PENDING.get() is None


def test_the_body_goes_only_to_its_own_operation(clients: tuple[Any, Any]) -> None:
    _, fast = clients
    sent = _capture(fast)
    params = CALLS[0][1]
    # A body for PutItem, while a GetItem is made (e.g. by a hook): the GetItem is untouched.
    token = wire._PENDING.set(wire._Pending("PutItem", b'{"not": "this"}'))
    try:
        fast.get_item(**CALLS[1][1])
    finally:
        wire._PENDING.reset(token)
    assert json.loads(sent[0]["body"]) == CALLS[1][1]
    wire.send(fast.put_item, params, wire.encode_body(params))
    assert sent[1]["body"] == wire.encode_body(params)


def test_sending_leaves_the_callers_parameters_intact(clients: tuple[Any, Any]) -> None:
    # The hooks cut botocore's copy of the parameters down; the runtime resends its own dict
    # on every retry (the fault matrix checks that retries send identical bodies).
    import copy

    _, fast = clients
    sent = _capture(fast)
    params = CALLS[3][1]
    before = copy.deepcopy(params)
    body = wire.encode_body(params)
    for _ in range(2):
        wire.send(fast.transact_write_items, params, body)
    assert params == before and [s["body"] for s in sent] == [body, body]


def test_a_given_config_cannot_turn_validation_back_on_and_keeps_its_retries(
    clients: tuple[Any, Any],
) -> None:
    from botocore.config import Config

    client = default_client(
        config=Config(parameter_validation=True, retries={"max_attempts": 5}, read_timeout=7)
    )
    assert client.meta.config.read_timeout == 7  # their setting kept
    # ... and their retries (issue 11: they were silently replaced by "no retries")
    assert client.meta.config.retries["total_max_attempts"] == 6
    sent = _capture(client)
    params = CALLS[0][1]
    # With validation on, botocore would check the stripped parameters and refuse the call.
    wire.send(client.put_item, params, wire.encode_body(params))
    assert sent[0]["body"] == wire.encode_body(params)


def test_the_default_client_sends_the_runtimes_own_bytes(clients: tuple[Any, Any]) -> None:
    # A body that differs from botocore's serialization in its bytes (compact separators):
    # what is sent and signed is the runtime's body, not a re-serialization of the params.
    _, fast = clients
    sent = _capture(fast)
    params = CALLS[3][1]
    compact = json.dumps(
        params,
        separators=(",", ":"),
        default=lambda b: __import__("base64").b64encode(b).decode(),
    ).encode()
    assert compact != wire.encode_body(params)
    wire.send(fast.transact_write_items, params, compact)
    assert sent[0]["body"] == sent[0]["signed_body"] == compact
