"""Record the canned responses: run each side's operations once against moto and print, as
JSON, the raw HTTP response (status, headers, body) of each operation's one request.

Run by `canned.record_responses` in a process of its own: `python bench/record.py SIDE...`.
Each side gets a fresh moto with the same seeded table (the workspace and its 40 members), so
every side's request is answered from the same data; reads are recorded before the writes.

One correction to moto: it answers TransactWriteItems with `"ConsumedCapacity": []` and
`"ItemCollectionMetrics": {}` whether or not the request asked for them, while DynamoDB sends
each only when asked (`ReturnConsumedCapacity`, `ReturnItemCollectionMetrics`): keys the
request did not ask for are removed (and the x-amz-crc32 header recomputed).
"""

from __future__ import annotations

import json
import sys
import zlib
from dataclasses import replace
from typing import Any

from canned import OPERATIONS, Canned, Recorded, install_recorder, setup_environment

ORDER = ("get", "query", "create", "transact")


def record(name: str) -> dict[str, Any]:
    from moto import mock_aws

    from sides import build, seed

    with mock_aws():
        seed()
        side = build(name)
        sink: list[Recorded] = []
        install_recorder(side.clients, sink)
        responses: dict[str, Any] = {}
        for op in ORDER:
            sink.clear()
            result = side.ops[op]()
            side.check(op, result)
            operations = [operation for operation, _, _ in sink]
            if operations != [OPERATIONS[op]]:
                raise AssertionError(f"{name} {op} sent {operations}, not one {OPERATIONS[op]}")
            _, request, response = sink[0]
            responses[op] = as_dynamodb(request, response).to_json()
        return responses


ASKED_BY = {"ConsumedCapacity": "ReturnConsumedCapacity"}
ASKED_BY["ItemCollectionMetrics"] = "ReturnItemCollectionMetrics"


def as_dynamodb(request: dict[str, Any], response: Canned) -> Canned:
    """The response without the keys that DynamoDB sends only when the request asks."""
    if response.status != 200:
        return response
    body = json.loads(response.body)
    unasked = [key for key, option in ASKED_BY.items() if request.get(option, "NONE") == "NONE"]
    if not any(key in body for key in unasked):
        return response
    for key in unasked:
        body.pop(key, None)
    text = json.dumps(body).encode()
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    crc = next((k for k in headers if k.lower() == "x-amz-crc32"), "x-amz-crc32")
    headers[crc] = str(zlib.crc32(text) & 0xFFFFFFFF)
    return replace(response, headers=headers, body=text)


def main() -> None:
    setup_environment()
    json.dump({name: record(name) for name in sys.argv[1:]}, sys.stdout)


if __name__ == "__main__":
    main()
