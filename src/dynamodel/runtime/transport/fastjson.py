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

Every response is checked first, whichever parser reads it: DynamoDB signs each body with
an `x-amz-crc32` header, and a body that does not match it, or a 200 body that is not
complete JSON, raises `ResponseIntegrityError` instead of being read. botocore checks the
CRC32 only in its retry handler (with retries off, as on the runtime's default client, a
corrupted body would be returned as data), and its JSON parser reads a truncated 200 body as
an empty response (a GetItem that found nothing). The runtime retries the error like a lost
response (`retry.is_retryable`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import loads as parse_json
from typing import Any
from zlib import crc32

from botocore.parsers import ResponseParserFactory

from dynamodel.runtime.errors import ResponseIntegrityError
from dynamodel.runtime.transport.wire import OPERATIONS

# The outputs of the item operations (those the runtime also serializes itself, see `wire`).
FAST_OUTPUTS = frozenset(f"{name}Output" for name in OPERATIONS.values())
_SLOW_MARKERS = (b'"B":', b'"BS":', b'"ConsumedCapacity"', b'"ItemCollectionMetrics"')
_EMPTY = b"{}"
_CRC32_HEADER = "x-amz-crc32"


class FastJSONParser:
    """`parse(response, shape)` like botocore's parsers, with a plain JSON fast path."""

    def __init__(self, fallback: Any) -> None:
        self._fallback = fallback

    def parse(self, response: dict[str, Any], shape: Any) -> Any:
        body = response.get("body")
        if not isinstance(body, bytes):
            return self._fallback.parse(response, shape)
        ok = response.get("status_code") == 200
        check_crc32(response, body, shape)
        if (
            ok
            and shape is not None
            and shape.name in FAST_OUTPUTS
            and body
            and not any(marker in body for marker in _SLOW_MARKERS)
        ):
            # botocore's own parse of an empty body builds the ResponseMetadata exactly as
            # it would for the real one; the items come from the plain JSON parse.
            parsed = self._fallback.parse({**response, "body": _EMPTY}, shape)
            parsed.update(_whole_json(body, shape, parse_json))
            return parsed
        if ok and (body or (shape is not None and shape.name in FAST_OUTPUTS)):
            # botocore's parser would read a cut body as an empty answer; DynamoDB answers
            # an item operation with at least `{}`, so an empty body is a cut one too.
            _whole_json(body, shape, json.loads)
        return self._fallback.parse(response, shape)


_UNNAMED = "the request"  # an error response has no output shape to name its operation


def _operation(shape: Any) -> str:
    name = str(getattr(shape, "name", "") or "")
    return name.removesuffix("Output") or _UNNAMED


def _response_of(operation: str) -> str:
    return "the response" if operation == _UNNAMED else f"the {operation} response"


def check_crc32(response: dict[str, Any], body: bytes, shape: Any) -> None:
    """Raise ResponseIntegrityError when the body does not match its `x-amz-crc32` header
    (a body without the header is not checked: DynamoDB always sends it, emulators may not)."""
    expected = response.get("headers", {}).get(_CRC32_HEADER)
    if expected is None:
        return
    actual = crc32(body) & 0xFFFFFFFF
    if not expected.isdigit() or int(expected) != actual:
        operation = _operation(shape)
        raise ResponseIntegrityError(
            f"{_response_of(operation)}'s body does not match its {_CRC32_HEADER} header "
            f"({expected!r}, computed {actual}): it was changed or damaged on the way",
            operation=operation,
            reason="crc32",
        )


def _whole_json(body: bytes, shape: Any, parse: Callable[[bytes], Any]) -> Any:
    try:
        return parse(body)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError both are
        operation = _operation(shape)
        raise ResponseIntegrityError(
            f"{_response_of(operation)}'s body is not complete JSON ({len(body)} bytes: "
            f"{error}); it was cut short or damaged on the way",
            operation=operation,
            reason="truncated",
        ) from error


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
