"""Canned HTTP responses: recorded from moto, replayed through botocore's `before-send` event.

A `before-send` handler that returns an `AWSResponse` makes botocore skip the network: the
request is still built, serialised and signed, and the response is still checksummed, parsed
and turned into errors, exactly as for a real response. So replaying a response recorded from
a real call measures all of the client-side work and none of the server's.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
TRACKER_PATH = ROOT / "examples" / "tracker" / "generated"
REGION = "us-east-1"
TABLE = "Tracker-bench"
# The benchmark's operations and the one DynamoDB request each of them sends.
OPERATIONS: dict[str, str] = {
    "create": "PutItem",
    "get": "GetItem",
    "query": "Query",
    "transact": "TransactWriteItems",
}
Responses = dict[str, dict[str, "Canned"]]  # side -> operation -> response
Recorded = tuple[str, dict[str, Any], "Canned"]  # operation, request body, response


def setup_environment() -> None:
    """Dummy credentials and region for every client, no config files, no metadata service;
    the generated tracker package importable."""
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_RETRY_MODE",
        "AWS_MAX_ATTEMPTS",
    ):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    if str(TRACKER_PATH) not in sys.path:
        sys.path.insert(0, str(TRACKER_PATH))


@dataclass(frozen=True)
class Canned:
    """One HTTP response as DynamoDB (here: moto) sent it."""

    status: int
    headers: dict[str, str]
    body: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "headers": self.headers,
            "body": base64.b64encode(self.body).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Canned:
        return cls(int(data["status"]), dict(data["headers"]), base64.b64decode(data["body"]))

    def summary(self) -> str:
        """`25 items, 6.1 kB` and the top-level keys of the body."""
        parsed = json.loads(self.body) if self.body else {}
        keys = ",".join(k for k in parsed if k not in ("Items", "Item")) or "-"
        items = f"{len(parsed['Items'])} items, " if "Items" in parsed else ""
        item = "1 item, " if "Item" in parsed else ""
        return f"{items}{item}{len(self.body) / 1000:.1f} kB (other keys: {keys})"


class _Body:
    """The `raw` of an AWSResponse: botocore reads the content through `stream()`."""

    __slots__ = ("_chunks",)

    def __init__(self, body: bytes) -> None:
        self._chunks = (body,)

    def stream(self, **_: Any) -> tuple[bytes, ...]:
        return self._chunks


def install_replay(clients: Iterable[Any], responses: Mapping[str, Canned]) -> None:
    """Answer every DynamoDB request of these botocore clients with its canned response
    (by operation), as a new AWSResponse each time, like a real HTTP response."""
    from botocore.awsrequest import AWSResponse

    by_operation = {OPERATIONS[op]: canned for op, canned in responses.items()}

    def answer(request: Any, event_name: str, **_: Any) -> Any:
        canned = by_operation[event_name.rsplit(".", 1)[1]]
        return AWSResponse(request.url, canned.status, canned.headers, _Body(canned.body))

    for client in clients:
        client.meta.events.register("before-send.dynamodb.*", answer, unique_id="bench-replay")


def install_recorder(clients: Iterable[Any], sink: list[Recorded]) -> None:
    """Append (operation name, request body, response) of every DynamoDB call these clients
    make (the request as sent, the response as received, before botocore parses it)."""
    requests: list[dict[str, Any]] = []

    def sent(request: Any, **_: Any) -> None:
        requests.append(json.loads(request.body or b"{}"))

    def received(operation_model: Any, response_dict: Mapping[str, Any], **_: Any) -> None:
        canned = Canned(
            int(response_dict["status_code"]),
            {str(k): str(v) for k, v in response_dict["headers"].items()},
            bytes(response_dict["body"]),
        )
        sink.append((operation_model.name, requests.pop(), canned))

    for client in clients:
        client.meta.events.register("before-send.dynamodb.*", sent, unique_id="bench-sent")
        client.meta.events.register("before-parse.dynamodb.*", received, unique_id="bench-got")


def record_responses(sides: Iterable[str]) -> Responses:
    """Run `bench/record.py` (moto) in a fresh process: this process never imports moto, so
    moto's `before-send` hook is not on the measured clients."""
    result = subprocess.run(
        [sys.executable, str(BENCH / "record.py"), *sides],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"recording the canned responses failed:\n{result.stderr}")
    data = json.loads(result.stdout)
    return {
        side: {op: Canned.from_json(canned) for op, canned in ops.items()}
        for side, ops in data.items()
    }


def shared_responses(recorded: Responses, reference: str = "raw") -> Responses:
    """Every side gets the reference side's response where its own recorded body is the same
    (same DynamoDB answer); where its request asked for more (dynamodel's Limit=26, PynamoDB's
    ReturnConsumedCapacity=TOTAL), it keeps its own: what DynamoDB answers to its request."""
    base = recorded[reference]
    return {
        side: {op: base[op] if ops[op].body == base[op].body else ops[op] for op in ops}
        for side, ops in recorded.items()
    }
