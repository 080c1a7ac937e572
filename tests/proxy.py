"""A fault-injecting HTTP/1.1 proxy between a DynamoDB client and a local backend.

`FaultProxy(upstream, seed=..., rates=...)` listens on 127.0.0.1 (a free port; only loopback
addresses, upstream included), reads each request of a keep-alive connection whole, and lets
a seeded random generator decide its fate:

* before forwarding (the request is certainly not applied): ``reset`` (close the connection
  with an RST), ``error_500`` (InternalServerError), ``throttle`` (400 ThrottlingException),
  ``unavailable`` (503 ServiceUnavailable);
* after forwarding (the request was applied; only its answer suffers): ``drop`` (close the
  connection without answering), ``delay`` (answer late, within the client's read timeout),
  ``stall`` (answer after the client's read timeout: a ReadTimeoutError), ``corrupt`` (change
  one letter or digit of the body but keep its ``x-amz-crc32``, so the JSON still parses and
  only the checksum tells), ``truncate`` (cut the body, with a matching Content-Length);
* ``pass``: forward and answer as is.

Every request and every fault is counted by kind (:attr:`FaultProxy.counts`). One RNG (under
a lock) decides for all connections, so a seed fixes the mix of faults, not the order the
worker threads meet them in. `close()` stops accepting and waits for requests already
forwarded to be answered by the backend, so that nothing is applied after the caller looks
at the table.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO, Final, Self
from urllib.parse import urlsplit

__all__ = ["AFTER_FAULTS", "BEFORE_FAULTS", "FAULT_KINDS", "FaultProxy", "FaultRates"]

BEFORE_FAULTS: Final = ("reset", "error_500", "throttle", "unavailable")
AFTER_FAULTS: Final = ("drop", "delay", "stall", "corrupt", "truncate")
FAULT_KINDS: Final = (*BEFORE_FAULTS, *AFTER_FAULTS)

# (status, reason, error type) of the answers given without forwarding.
_ERROR_ANSWERS: Final[Mapping[str, tuple[int, str, str]]] = {
    "error_500": (
        500,
        "Internal Server Error",
        "com.amazonaws.dynamodb.v20120810#InternalServerError",
    ),
    "throttle": (400, "Bad Request", "com.amazonaws.dynamodb.v20120810#ThrottlingException"),
    "unavailable": (
        503,
        "Service Unavailable",
        "com.amazonaws.dynamodb.v20120810#ServiceUnavailable",
    ),
}
_HOP_HEADERS: Final = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
_MAX_HEADER_BYTES: Final = 64 * 1024


@dataclass(frozen=True)
class FaultRates:
    """The probability of each fault per request (the rest pass), and the delays."""

    reset: float = 0.02
    error_500: float = 0.02
    throttle: float = 0.02
    unavailable: float = 0.01
    drop: float = 0.02
    delay: float = 0.02
    stall: float = 0.003
    corrupt: float = 0.02
    truncate: float = 0.01
    delay_seconds: float = 0.2  # "delay": well within the client's read timeout
    stall_seconds: float = 3.0  # "stall": past the client's read timeout

    def __post_init__(self) -> None:
        total = sum(getattr(self, kind) for kind in FAULT_KINDS)
        if not 0.0 <= total <= 1.0 or any(getattr(self, k) < 0 for k in FAULT_KINDS):
            raise ValueError(f"fault rates must be >= 0 and sum to at most 1, got {total}")

    def choose(self, draw: float) -> str:
        """The fault a uniform draw in [0, 1) picks ("pass" past the sum of the rates)."""
        edge = 0.0
        for kind in FAULT_KINDS:
            edge += getattr(self, kind)
            if draw < edge:
                return kind
        return "pass"


NO_FAULTS: Final = FaultRates(**{kind: 0.0 for kind in FAULT_KINDS})


def _loopback(host: str) -> str:
    address = socket.gethostbyname(host)
    if not ipaddress.ip_address(address).is_loopback:
        raise ValueError(f"the fault proxy only talks to loopback addresses, not {host!r}")
    return address


class FaultProxy:
    """A threaded fault-injecting proxy to `upstream` (``http://127.0.0.1:PORT``)."""

    def __init__(self, upstream: str, *, seed: int, rates: FaultRates | None = None) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"upstream must be http://HOST:PORT, got {upstream!r}")
        self.upstream = (_loopback(parts.hostname), parts.port)
        self.rates = rates if rates is not None else FaultRates()
        # "requests", each fault kind, and "upstream_lost" (the backend broke a connection)
        self.counts: Counter[str] = Counter()
        self.by_operation: Counter[tuple[str, str]] = Counter()  # (X-Amz-Target op, fault)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._closing = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._connections: set[socket.socket] = set()
        self._acceptor = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def faults(self) -> Counter[str]:
        """The faults injected so far, by kind."""
        with self._lock:
            return Counter({k: n for k, n in self.counts.items() if k in FAULT_KINDS})

    def set_rates(self, rates: FaultRates) -> None:
        with self._lock:
            self.rates = rates

    def start(self) -> Self:
        self._acceptor.start()
        return self

    def close(self, *, timeout: float = 30.0) -> None:
        """Stop accepting; wait until every forwarded request has been answered upstream."""
        self._closing.set()
        self._acceptor.join(timeout=timeout)
        self._listener.close()
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight and time.monotonic() < deadline:
                self._idle.wait(timeout=0.1)
            open_connections = list(self._connections)
        for conn in open_connections:  # idle keep-alive connections: their threads end
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _decide(self, operation: str) -> tuple[str, FaultRates]:
        with self._lock:
            fault = self.rates.choose(self._rng.random())
            self.counts["requests"] += 1
            if fault != "pass":
                self.counts[fault] += 1
                self.by_operation[(operation, fault)] += 1
            return fault, self.rates

    def _serve(self, conn: socket.socket) -> None:
        upstream = http.client.HTTPConnection(*self.upstream, timeout=60)
        reader = conn.makefile("rb")
        try:
            while not self._closing.is_set():
                request = _read_request(reader)
                if request is None:
                    return
                if not self._handle(conn, upstream, *request):
                    return
        except OSError:
            return
        finally:
            reader.close()
            upstream.close()
            conn.close()
            with self._lock:
                self._connections.discard(conn)

    def _handle(
        self,
        conn: socket.socket,
        upstream: http.client.HTTPConnection,
        line: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> bool:
        """Answer one request; False when the connection is to be closed."""
        target = next((v for k, v in headers if k.lower() == "x-amz-target"), "")
        fault, rates = self._decide(target.rpartition(".")[2])
        if fault == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if fault in _ERROR_ANSWERS:
            status, reason, error_type = _ERROR_ANSWERS[fault]
            payload = json.dumps({"__type": error_type, "message": "injected by the fault proxy"})
            _send(
                conn,
                status,
                reason,
                [("Content-Type", "application/x-amz-json-1.0")],
                payload.encode(),
            )
            return True
        method, path, _ = line.split(" ", 2)
        with self._lock:
            self._in_flight += 1
        try:
            upstream.request(method, path, body=body, headers=_forwarded(headers))
            response = upstream.getresponse()
            answer = response.read()
        except OSError:
            # The backend closed or broke the connection: the client's connection is closed
            # too (a drop the proxy did not choose), and counted apart.
            with self._lock:
                self.counts["upstream_lost"] += 1
            raise
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()
        answer_headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_HEADERS]
        if fault == "drop":
            return False
        if fault in ("delay", "stall"):
            time.sleep(rates.delay_seconds if fault == "delay" else rates.stall_seconds)
        elif fault == "corrupt":
            answer = self._corrupted(answer)
        elif fault == "truncate":
            answer = answer[: len(answer) // 2]
        _send(conn, response.status, response.reason, answer_headers, answer)
        return True

    def _corrupted(self, body: bytes) -> bytes:
        """One letter or digit replaced by another of its class (the JSON stays valid)."""
        positions = [n for n, byte in enumerate(body) if chr(byte).isalnum()]
        if not positions:
            return body + b" "  # nothing to change in place: still not the body CRC'd
        with self._lock:
            where = self._rng.choice(positions)
        old = chr(body[where])
        alphabet = "0123456789" if old.isdigit() else "abcdefghijklmnopqrstuvwxyz"
        if old.isupper():
            alphabet = alphabet.upper()
        new = alphabet[(alphabet.index(old) + 1) % len(alphabet)]
        return body[:where] + new.encode() + body[where + 1 :]


def _read_request(
    reader: BinaryIO,
) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """One request off a keep-alive connection (None once the client closed it)."""
    line = reader.readline(_MAX_HEADER_BYTES)
    if not line:
        return None
    headers: list[tuple[str, str]] = []
    while True:
        raw = reader.readline(_MAX_HEADER_BYTES)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    length = int(next((v for k, v in headers if k.lower() == "content-length"), "0"))
    body = reader.read(length) if length else b""
    return line.decode("latin-1").rstrip("\r\n"), headers, body


def _forwarded(headers: list[tuple[str, str]]) -> dict[str, str]:
    # http.client sets Host and Content-Length itself; the signature covers Host, which stays
    # the proxy's: the backends do not check signatures.
    return {k: v for k, v in headers if k.lower() not in _HOP_HEADERS and k.lower() != "host"}


def _send(
    conn: socket.socket, status: int, reason: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    head = [f"HTTP/1.1 {status} {reason}"]
    head += [f"{k}: {v}" for k, v in headers]
    head += [f"Content-Length: {len(body)}", "Connection: keep-alive", "", ""]
    conn.sendall("\r\n".join(head).encode("latin-1") + body)
