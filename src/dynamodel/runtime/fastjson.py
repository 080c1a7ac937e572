"""A faster response parser for DynamoDB's data-plane calls, plugged in through botocore's
public `response_parser_factory` session component.

botocore's JSON parser walks every response against its model to convert blobs and
timestamps. For GetItem, Query, PutItem and the other item operations the model has no
timestamps, and blobs only appear as `B`/`BS` attribute values: for every other body a plain
`json.loads` gives exactly botocore's result, at a fraction of the cost (botocore's parser is
most of the client-side time of a 25-item Query). Error responses, bodies with binary values
or capacity figures, and every other operation go to botocore's own parser, unchanged, and so
do the response metadata, retries and errors. `tests/test_fastjson.py` compares both parsers'
output on the same bodies.
"""

from __future__ import annotations

from json import loads as parse_json
from typing import Any

from botocore.parsers import ResponseParserFactory

from dynamodel.runtime.wire import OPERATIONS

# The outputs of the item operations (those the runtime also serializes itself, see `wire`).
FAST_OUTPUTS = frozenset(f"{name}Output" for name in OPERATIONS.values())
_SLOW_MARKERS = (b'"B":', b'"BS":', b'"ConsumedCapacity"', b'"ItemCollectionMetrics"')
_EMPTY = b"{}"


class FastJSONParser:
    """`parse(response, shape)` like botocore's parsers, with a plain JSON fast path."""

    def __init__(self, fallback: Any) -> None:
        self._fallback = fallback

    def parse(self, response: dict[str, Any], shape: Any) -> Any:
        body = response.get("body")
        if (
            response.get("status_code") == 200
            and shape is not None
            and shape.name in FAST_OUTPUTS
            and isinstance(body, bytes)
            and body
            and not any(marker in body for marker in _SLOW_MARKERS)
        ):
            # botocore's own parse of an empty body builds the ResponseMetadata exactly as
            # it would for the real one; the items come from the plain JSON parse.
            parsed = self._fallback.parse({**response, "body": _EMPTY}, shape)
            parsed.update(parse_json(body))
            return parsed
        return self._fallback.parse(response, shape)


class FastParserFactory(ResponseParserFactory):  # type: ignore[misc]
    """botocore's factory, handing out the fast parser for the `json` protocol."""

    def create_parser(self, protocol_name: str) -> Any:
        parser = super().create_parser(protocol_name)
        return FastJSONParser(parser) if protocol_name == "json" else parser


def fast_session() -> Any:
    """A botocore session whose clients parse data-plane responses with `FastJSONParser`."""
    import botocore.session

    session = botocore.session.get_session()
    session.register_component("response_parser_factory", FastParserFactory())
    return session
