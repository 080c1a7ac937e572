"""The fast response parser gives exactly botocore's result, for the same bodies, and is used
for the data-plane calls it claims."""

from __future__ import annotations

import json
import zlib
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.parsers import JSONParser, create_parser
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from dynamodel import ResponseIntegrityError
from dynamodel.runtime.transport import fastjson
from dynamodel.runtime.transport.fastjson import FastJSONParser, install

MODEL = botocore.session.get_session().get_service_model("dynamodb")
HEADERS = {"x-amzn-RequestId": "REQ1", "Content-Type": "application/x-amz-json-1.0"}

ITEM = {
    "PK": {"S": "Ticket#w%231#P5011"},
    "SK": {"S": "#Ticket"},
    "title": {"S": 'unicode é 日本 \u2028 "quoted"'},
    "priority": {"N": "-12.50"},
    "labels": {"SS": ["a", "b"]},
    "scores": {"NS": ["1", "2.5"]},
    "meta": {"M": {"k": {"L": [{"N": "1"}, {"S": "x"}, {"NULL": True}, {"BOOL": False}]}}},
}
CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "Query",
        {
            "Items": [ITEM, ITEM],
            "Count": 2,
            "ScannedCount": 2,
            "LastEvaluatedKey": {"PK": ITEM["PK"], "SK": ITEM["SK"]},
        },
    ),
    ("Query", {"Items": [], "Count": 0, "ScannedCount": 0}),
    ("GetItem", {}),
    ("GetItem", {"Item": ITEM}),
    ("PutItem", {}),
    ("PutItem", {"Attributes": ITEM}),
    ("UpdateItem", {"Attributes": ITEM}),
    ("DeleteItem", {}),
    (
        "BatchGetItem",
        {
            "Responses": {"t": [ITEM]},
            "UnprocessedKeys": {"t": {"Keys": [{"PK": ITEM["PK"], "SK": ITEM["SK"]}]}},
        },
    ),
    ("BatchWriteItem", {"UnprocessedItems": {"t": [{"PutRequest": {"Item": ITEM}}]}}),
    ("TransactWriteItems", {}),
    ("GetItem", {"Item": {**ITEM, "blob": {"B": "AAEC"}, "blobs": {"BS": ["AAE="]}}}),
    (
        "Query",
        {
            "Items": [ITEM],
            "Count": 1,
            "ScannedCount": 1,
            "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5},
        },
    ),
    ("DescribeTable", {"Table": {"TableName": "t", "CreationDateTime": 1.7e9, "ItemCount": 1}}),
]


def response(body: bytes, status: int = 200) -> dict[str, Any]:
    return {"body": body, "headers": dict(HEADERS), "status_code": status}


@pytest.mark.parametrize(
    ("operation", "body"), CASES, ids=[f"{o}-{i}" for i, (o, _) in enumerate(CASES)]
)
def test_same_result_as_botocore(operation: str, body: dict[str, Any]) -> None:
    shape = MODEL.operation_model(operation).output_shape
    raw = json.dumps(body).encode()
    expected = create_parser("json").parse(response(raw), shape)
    assert FastJSONParser(create_parser("json")).parse(response(raw), shape) == expected


def test_errors_go_to_botocore() -> None:
    shape = MODEL.operation_model("PutItem").output_shape
    raw = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            "message": "no",
            "Item": ITEM,
        }
    ).encode()
    expected = create_parser("json").parse(response(raw, 400), shape)
    got = FastJSONParser(create_parser("json")).parse(response(raw, 400), shape)
    assert got == expected and got["Error"]["Code"] == "ConditionalCheckFailedException"


# -- the JSON parse is json.loads', whichever parser reads the body ---------------------------

_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=30,
)
# Bytes that are almost JSON: the parsers' edge cases (escapes, numbers, literals, controls).
_NEAR_JSON = st.text(
    st.sampled_from('{}[]",:0123456789.eE+-\\utfnrlasNIy \x01\x7f\n\t'), max_size=30
)


def _outcome(parse: Any, body: bytes) -> tuple[str, str]:
    """What a parse gives, comparable (NaN is not equal to itself; its JSON text is)."""
    try:
        return "value", json.dumps(parse(body))
    except (ValueError, RecursionError) as error:
        return "error", type(error).__name__


@settings(max_examples=300, deadline=None)
@given(
    body=st.builds(
        lambda value, ascii: json.dumps(value, ensure_ascii=ascii).encode("utf-8", "surrogatepass"),
        _JSON_VALUES,
        st.booleans(),
    )
    | _NEAR_JSON.map(str.encode)
    | st.binary(max_size=30)
)
def test_parse_json_is_json_loads(body: bytes) -> None:
    assert _outcome(fastjson.parse_json, body) == _outcome(json.loads, body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"S": "\\ud800"}',  # a lone surrogate escape: pydantic-core refuses it
        b"\xef\xbb\xbf{}",  # a byte order mark
        '{"a": 1}'.encode("utf-16"),
        (b"[" * 250) + (b"]" * 250),  # deeper than pydantic-core's limit
    ],
)
def test_what_pydantic_core_refuses_json_loads_reads(body: bytes) -> None:
    assert _outcome(fastjson.parse_json, body) == _outcome(json.loads, body)
    assert _outcome(fastjson.parse_json, body)[0] == "value"


def test_real_clients_agree_and_the_fast_path_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_parses = 0
    real_parse = fastjson.parse_json

    def counting_parse(text: Any) -> Any:
        nonlocal fast_parses
        fast_parses += 1
        return real_parse(text)

    botocore_bodies: list[bytes] = []
    botocore_parse = JSONParser._parse_body_as_json

    def recording_parse(self: Any, body: bytes) -> Any:
        botocore_bodies.append(body)
        return botocore_parse(self, body)

    with mock_aws():
        plain = boto3.client("dynamodb", region_name="us-east-1")
        fast = boto3.client("dynamodb", region_name="us-east-1")
        assert install(fast)
        plain.create_table(
            TableName="tbl",
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for n in range(5):
            plain.put_item(
                TableName="tbl",
                Item={**ITEM, "SK": {"S": f"#{n}"}, "bin": {"B": b"\x00\x01"}}
                if n == 0
                else {**ITEM, "SK": {"S": f"#{n}"}},
            )
        calls = [
            (
                "query",
                {
                    "TableName": "tbl",
                    "KeyConditionExpression": "PK = :p",
                    "ExpressionAttributeValues": {":p": ITEM["PK"]},
                    "Limit": 3,
                },
            ),
            ("get_item", {"TableName": "tbl", "Key": {"PK": ITEM["PK"], "SK": {"S": "#1"}}}),
            ("get_item", {"TableName": "tbl", "Key": {"PK": ITEM["PK"], "SK": {"S": "#4"}}}),
            ("get_item", {"TableName": "tbl", "Key": {"PK": ITEM["PK"], "SK": {"S": "#9"}}}),
            ("describe_table", {"TableName": "tbl"}),
        ]
        expected = [getattr(plain, name)(**request) for name, request in calls]
        monkeypatch.setattr(fastjson, "parse_json", counting_parse)
        monkeypatch.setattr(JSONParser, "_parse_body_as_json", recording_parse)
        got = [getattr(fast, name)(**request) for name, request in calls]
    for (name, _), a, b in zip(calls, expected, got, strict=True):
        a.pop("ResponseMetadata"), b.pop("ResponseMetadata")
        assert a == b, name
    # botocore's parser read two bodies whole, each after the runtime's check that it is
    # complete JSON: the query's (its page holds the binary item #0) and DescribeTable's. The
    # three gets were read by the fast path alone (botocore only built their metadata, from
    # `{}`): five parses in all.
    whole = [body for body in botocore_bodies if body != b"{}"]
    assert len(whole) == 2 and b'"bin"' in whole[0] and b'"TableName"' in whole[1], whole
    assert fast_parses == 5


# -- integrity: damaged bodies never parse (issue 11, finding 5) ------------------------------

_GET_ITEM = MODEL.operation_model("GetItem").output_shape
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


def _answer(body: bytes, crc: int | None) -> dict[str, Any]:
    headers = dict(HEADERS) if crc is None else {**HEADERS, "x-amz-crc32": str(crc)}
    return {"status_code": 200, "headers": headers, "body": body}


@settings(max_examples=200, deadline=None)
@given(value=_TEXT, position=st.integers(0, 10_000), flip=st.integers(1, 255))
def test_any_damaged_byte_fails_the_crc32(value: str, position: int, flip: int) -> None:
    body = json.dumps({"Item": {**ITEM, "title": {"S": value}}}).encode()
    parser = FastJSONParser(create_parser("json"))
    intact = parser.parse(_answer(body, zlib.crc32(body)), _GET_ITEM)
    assert intact["Item"]["title"] == {"S": value}
    damaged = bytearray(body)
    damaged[position % len(body)] ^= flip  # CRC32 detects every error within one byte
    with pytest.raises(ResponseIntegrityError) as caught:
        parser.parse(_answer(bytes(damaged), zlib.crc32(body)), _GET_ITEM)
    assert caught.value.reason == "crc32" and caught.value.operation == "GetItem"


@settings(max_examples=200, deadline=None)
@given(value=_TEXT, binary=st.booleans(), keep=st.integers(0, 10_000))
def test_every_cut_body_is_refused(value: str, binary: bool, keep: int) -> None:
    item = {**ITEM, "title": {"S": value}}
    if binary:  # read by botocore's own parser, which takes a cut body for an empty one
        item["photo"] = {"B": "AAEC"}
    body = json.dumps({"Item": item}).encode()
    cut = body[: keep % len(body)]  # every proper prefix, the empty one included
    parser = FastJSONParser(create_parser("json"))
    with pytest.raises(ResponseIntegrityError) as caught:
        parser.parse(_answer(cut, None), _GET_ITEM)
    assert caught.value.reason == "truncated"


def test_a_damaged_error_response_without_a_shape_is_refused_as_the_request() -> None:
    # botocore parses error responses with no output shape (None): the CRC32 is still checked.
    body = b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException"}'
    wrong = str((zlib.crc32(body) + 1) & 0xFFFFFFFF)
    with pytest.raises(ResponseIntegrityError) as raised:
        fastjson.check_crc32({"headers": {"x-amz-crc32": wrong}, "status_code": 400}, body, None)
    assert raised.value.operation == "the request"
    assert str(raised.value).startswith("the response's body does not match its x-amz-crc32")
