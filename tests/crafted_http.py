"""A tiny DynamoDB stand-in on 127.0.0.1 that answers each request with the next response of a
script (the last one repeats), and counts the HTTP requests it received.

It lets tests hand the real client exactly the bytes they want -- a body that does not match
its `x-amz-crc32` header, a body cut short, throttling on every attempt -- and count what
was really sent over the wire, botocore's own retries included.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Crafted:
    """One HTTP response: status, body and headers (`crc32`: the x-amz-crc32 header's value;
    "auto" computes it from the body, None leaves it out)."""

    body: bytes
    status: int = 200
    crc32: str | None = "auto"

    def headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-RequestId": "CRAFTED",
            "Content-Length": str(len(self.body)),
        }
        if self.crc32 == "auto":
            headers["x-amz-crc32"] = str(zlib.crc32(self.body) & 0xFFFFFFFF)
        elif self.crc32 is not None:
            headers["x-amz-crc32"] = self.crc32
        return headers


def ok(document: dict[str, Any], *, crc_of: dict[str, Any] | None = None) -> Crafted:
    """A 200 answer; with `crc_of`, its CRC32 header is that of another document."""
    body = json.dumps(document).encode()
    if crc_of is None:
        return Crafted(body)
    return Crafted(body, crc32=str(zlib.crc32(json.dumps(crc_of).encode()) & 0xFFFFFFFF))


def error(code: str, *, status: int = 400, **fields: Any) -> Crafted:
    document = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": code, **fields}
    return Crafted(json.dumps(document).encode(), status=status)


@dataclass
class Server:
    url: str
    script: list[Crafted]
    received: list[tuple[str, bytes]] = field(default_factory=list)  # (X-Amz-Target, body)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return len(self.received)

    def answer(self, target: str, body: bytes) -> Crafted:
        with self._lock:
            self.received.append((target, body))
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]


@contextmanager
def crafted_server(script: Sequence[Crafted]) -> Iterator[Server]:
    state: list[Server] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            crafted = state[0].answer(self.headers.get("X-Amz-Target", ""), self.rfile.read(length))
            self.send_response(crafted.status)
            for name, value in crafted.headers().items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(crafted.body)

        def log_message(self, *_: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.append(Server(url=f"http://127.0.0.1:{httpd.server_address[1]}", script=list(script)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
