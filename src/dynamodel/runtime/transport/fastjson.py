"""A faster response parser for DynamoDB's data-plane calls, plugged in through botocore's
public `response_parser_factory` session component.

botocore's JSON parser walks every response against its model to convert blobs and
timestamps. For GetItem, Query, PutItem and the other item operations the model has no
timestamps, and blobs only appear as `B`/`BS` attribute values: for every other body a plain
JSON parse (`parse_json`: json.loads' result) gives exactly botocore's result, at a fraction of the cost (botocore's parser is
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
import re
from typing import Any
from zlib import crc32

from botocore.parsers import ResponseParserFactory
from pydantic_core import from_json

from dynamodel.runtime.errors import ResponseIntegrityError
from dynamodel.runtime.transport.wire import OPERATIONS, runtime_call

# The outputs of the item operations (those the runtime also serializes itself, see `wire`).
FAST_OUTPUTS = frozenset(f"{name}Output" for name in OPERATIONS.values())
# A binary attribute value (`"B":` or `"BS":`, base64 text that botocore decodes): one regex
# pass over the body, half the cost of one search per marker on a 10 kB page. The capacity
# figures botocore converts are top-level members: looked up in the parsed body instead.
_BINARY = re.compile(rb'"BS?":')
_SLOW_MEMBERS = ("ConsumedCapacity", "ItemCollectionMetrics")
_EMPTY = b"{}"
_CRC32_HEADER = "x-amz-crc32"


def parse_json(body: bytes) -> Any:
    """`json.loads(body)`, botocore's own parse, by way of pydantic-core's parser: a fifth
    faster on a page of items. What it refuses, json.loads reads (or refuses) itself: a lone
    surrogate escape, nesting past 200 levels, a byte order mark, UTF-16 or UTF-32. Where it
    accepts a body, the value is json.loads' (`tests/test_fastjson.py` holds the two to it)."""
    try:
        return from_json(body)
    except ValueError:
        return json.loads(body)


class FastJSONParser:
    """`parse(response, shape)` like botocore's parsers, with a plain JSON fast path.

    With `runtime_only` (on a client `tune_client` tuned: its owner's own calls keep
    botocore's parser and its errors), only the runtime's calls (`wire.runtime_call`) are
    checked and parsed here; every other response goes to botocore's parser untouched."""

    def __init__(self, fallback: Any, *, runtime_only: bool = False) -> None:
        self._fallback = fallback
        self._runtime_only = runtime_only

    def parse(self, response: dict[str, Any], shape: Any) -> Any:
        body = response.get("body")
        if not isinstance(body, bytes) or (self._runtime_only and not runtime_call()):
            return self._fallback.parse(response, shape)
        ok = response.get("status_code") == 200
        check_crc32(response, body, shape)
        if (
            ok
            and shape is not None
            and shape.name in FAST_OUTPUTS
            and body
            and _BINARY.search(body) is None
        ):
            whole = _whole_json(body, shape)
            if isinstance(whole, dict) and not any(name in whole for name in _SLOW_MEMBERS):
                # botocore's own parse of an empty body builds the ResponseMetadata exactly
                # as it would for the real one; the items come from the plain JSON parse.
                parsed = self._fallback.parse({**response, "body": _EMPTY}, shape)
                parsed.update(whole)
                return parsed
            return self._fallback.parse(response, shape)  # whole JSON, checked above
        if ok and (body or (shape is not None and shape.name in FAST_OUTPUTS)):
            # botocore's parser would read a cut body as an empty answer; DynamoDB answers
            # an item operation with at least `{}`, so an empty body is a cut one too.
            _whole_json(body, shape)
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


def _whole_json(body: bytes, shape: Any) -> Any:
    try:
        return parse_json(body)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError both are
        operation = _operation(shape)
        raise ResponseIntegrityError(
            f"{_response_of(operation)}'s body is not complete JSON ({len(body)} bytes: "
            f"{error}); it was cut short or damaged on the way",
            operation=operation,
            reason="truncated",
        ) from error


class FastParserFactory:
    """A client's parser factory, handing out the fast parser for the `json` protocol (and
    botocore's own for the others: `base`, the factory the client had)."""

    def __init__(self, base: Any = None, *, runtime_only: bool = False) -> None:
        self._base = base if base is not None else ResponseParserFactory()
        self._runtime_only = runtime_only

    def set_parser_defaults(self, **kwargs: Any) -> None:
        self._base.set_parser_defaults(**kwargs)

    def create_parser(self, protocol_name: str) -> Any:
        parser = self._base.create_parser(protocol_name)
        if protocol_name != "json":
            return parser
        return FastJSONParser(parser, runtime_only=self._runtime_only)


def install(client: Any, *, runtime_only: bool = False) -> bool:
    """Parse this client's responses with `FastJSONParser` (its other clients are not
    affected). botocore reads a client's parser factory from its endpoint, where the
    session's `response_parser_factory` component was put when the client was made: there is
    no public way to set it on one client after that, so this replaces that attribute, and
    does nothing (False) on an endpoint without it."""
    endpoint: Any = getattr(client, "_endpoint", None)
    base = getattr(endpoint, "_response_parser_factory", None)
    if base is None:
        return False
    if not isinstance(base, FastParserFactory):
        endpoint._response_parser_factory = FastParserFactory(base, runtime_only=runtime_only)
    return True
