"""Stream records as moto's `dynamodbstreams` serves them, and as Lambda delivers them.

`read_stream` reads every record of a table's stream with boto3's `dynamodbstreams` client
(`describe_stream`, `get_shard_iterator`, `get_records`): binary values are bytes there, and
creation times datetimes. `lambda_event` re-encodes records as a DynamoDB event source
mapping hands them to a function: JSON, binary values as base64 text, creation times as epoch
seconds, `eventSourceARN` added.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

REGION = "us-east-1"


def stream_arn(dynamodb: Any, table_name: str) -> str:
    return str(dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"])


def read_stream(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    """Every record of the table's stream, in order (shard by shard, as listed)."""
    endpoint = dynamodb.meta.endpoint_url
    # A local server serves both APIs on one endpoint; AWS (and moto in-process) has its own.
    local = None if endpoint is None or "amazonaws.com" in endpoint else endpoint
    # botocore 1.44 sends calls that name a stream ARN to an account-based endpoint
    # (`<account>.streams-ddb.<region>.amazonaws.com`), which moto 5.2 does not serve: the
    # regional endpoint is the same API.
    streams = boto3.client(
        "dynamodbstreams",
        region_name=dynamodb.meta.region_name,
        endpoint_url=local,
        config=Config(account_id_endpoint_mode="disabled"),
    )
    arn = stream_arn(dynamodb, table_name)
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    records: list[dict[str, Any]] = []
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records.extend(page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return records


def _lambda_value(value: dict[str, Any]) -> dict[str, Any]:
    tag, inner = next(iter(value.items()))
    if tag == "B":
        return {"B": base64.b64encode(inner).decode("ascii")}
    if tag == "BS":
        return {"BS": [base64.b64encode(v).decode("ascii") for v in inner]}
    if tag == "M":
        return {"M": {k: _lambda_value(v) for k, v in inner.items()}}
    if tag == "L":
        return {"L": [_lambda_value(v) for v in inner]}
    return {tag: inner}


def lambda_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
    body = dict(record["dynamodb"])
    for image in ("Keys", "NewImage", "OldImage"):
        if image in body:
            body[image] = {k: _lambda_value(v) for k, v in body[image].items()}
    created = body.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        body["ApproximateCreationDateTime"] = int(created.timestamp())
    out = {k: v for k, v in record.items() if k != "dynamodb"}
    out["dynamodb"] = body
    out["eventSourceARN"] = arn
    return out


def lambda_event(records: Sequence[dict[str, Any]], arn: str) -> dict[str, Any]:
    """The event a DynamoDB event source mapping invokes a function with, through JSON."""
    event = {"Records": [lambda_record(r, arn) for r in records]}
    return dict(json.loads(json.dumps(event)))  # what arrives is JSON: nothing else survives
