"""DynamoDB test backends: moto in-process, ``moto_server`` over HTTP and MiniStack over HTTP.

The selection comes from ``DYNAMODEL_BACKENDS`` (comma list, default: all of :data:`BACKENDS`).
MiniStack lives in its own virtualenv (it pins its own botocore): ``scripts/backends.sh install``
creates ``.backends/ministack-venv`` with :data:`MINISTACK_VERSION`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

import boto3  # type: ignore[import-untyped, unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]

from dynamodel.runtime.transport.client import default_client

BACKENDS: Final = ("moto", "moto_server", "ministack")
HTTP_BACKENDS: Final = ("moto_server", "ministack")
ENV_VAR: Final = "DYNAMODEL_BACKENDS"
MINISTACK_VERSION: Final = "1.5.33"  # keep in sync with scripts/backends.sh

ROOT: Final = Path(__file__).resolve().parent.parent
BACKENDS_DIR: Final = ROOT / ".backends"
MINISTACK_VENV: Final = BACKENDS_DIR / "ministack-venv"
REGION: Final = "us-east-1"
DUMMY_AWS_ENV: Final[Mapping[str, str]] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
# Variables that could point a client at real AWS or at another endpoint.
UNSET_AWS_ENV: Final = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)

Client = Any  # botocore's generated DynamoDB client (no stubs installed)
CommandFactory = Callable[[int], tuple[list[str], dict[str, str]]]


class BackendError(RuntimeError):
    """A backend could not be installed, started or reached."""


def selected_backends(value: str | None = None) -> tuple[str, ...]:
    """Backends chosen by ``DYNAMODEL_BACKENDS`` (or *value*), in :data:`BACKENDS` order."""
    raw = os.environ.get(ENV_VAR, "") if value is None else value
    names = {part.strip() for part in raw.split(",") if part.strip()}
    if not names:
        return BACKENDS
    unknown = sorted(names - set(BACKENDS))
    if unknown:
        raise BackendError(f"{ENV_VAR}: unknown backend(s) {unknown}; choose from {BACKENDS}")
    return tuple(name for name in BACKENDS if name in names)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client_for(backend: str, endpoint_url: str | None = None) -> Client:
    """A low-level DynamoDB client with dummy credentials (``endpoint_url`` for HTTP backends)."""
    if backend not in BACKENDS:
        raise BackendError(f"unknown backend {backend!r}; choose from {BACKENDS}")
    if backend in HTTP_BACKENDS and endpoint_url is None:
        raise BackendError(f"backend {backend!r} needs an endpoint_url")
    options: dict[str, Any] = {
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "endpoint_url": endpoint_url,
    }
    if os.environ.get("DYNAMODEL_TEST_CLIENT", "default") == "plain":
        return boto3.client("dynamodb", **options)
    # The client repositories build by default: its request bodies, signer and response
    # parser are what the backends see (DYNAMODEL_TEST_CLIENT=plain for boto3's own).
    return default_client(**options)


def _child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET_AWS_ENV}
    env.update(DUMMY_AWS_ENV)
    env.update(extra)
    return env


def moto_server_command(port: int) -> tuple[list[str], dict[str, str]]:
    """``python -m moto.server`` (same as the ``moto_server`` script) on 127.0.0.1:*port*."""
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return argv, _child_env({})


def ministack_command(port: int) -> tuple[list[str], dict[str, str]]:
    """MiniStack from its venv, bound to 127.0.0.1:*port*, DynamoDB only."""
    python = MINISTACK_VENV / "bin" / "python"
    if not python.is_file():
        raise BackendError(
            f"MiniStack is not installed ({python} missing); run: scripts/backends.sh install"
        )
    env = _child_env(
        {
            "GATEWAY_PORT": str(port),
            "BIND_HOST": "127.0.0.1",
            "SERVICES": "dynamodb",
            "MINISTACK_REGION": REGION,
            "PERSIST_STATE": "0",
        }
    )
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    return [str(python), "-m", "ministack"], env


COMMANDS: Final[Mapping[str, CommandFactory]] = {
    "moto_server": moto_server_command,
    "ministack": ministack_command,
}


class ServerProcess:
    """A DynamoDB-speaking server subprocess on a free localhost port.

    ``start()`` returns once the server answers ``ListTables``; ``stop()`` terminates it
    (then kills it). Output goes to *log_path*. Usable as a context manager.
    """

    def __init__(
        self,
        name: str,
        command: CommandFactory,
        log_path: Path,
        *,
        timeout: float = 60.0,
        port: int | None = None,
    ) -> None:
        self.name = name
        self.command = command
        self.log_path = log_path
        self.timeout = timeout
        self.port = port if port is not None else free_port()
        self.argv: list[str] = []
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def for_backend(cls, backend: str, log_dir: Path, *, timeout: float = 60.0) -> ServerProcess:
        if backend not in COMMANDS:
            raise BackendError(f"{backend!r} is not a server backend; choose from {HTTP_BACKENDS}")
        return cls(backend, COMMANDS[backend], log_dir / f"{backend}.log", timeout=timeout)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self) -> Self:
        if self._proc is not None:
            raise BackendError(f"{self.name} already started")
        self.argv, env = self.command(self.port)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.log_path.parent,
            )
        try:
            self._wait_ready(began)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def _wait_ready(self, began: float) -> None:
        assert self._proc is not None
        probe = boto3.client(
            "dynamodb",
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            endpoint_url=self.url,
            config=Config(connect_timeout=1, read_timeout=5, retries={"max_attempts": 1}),
        )
        last_error: Exception | None = None
        while time.monotonic() - began < self.timeout:
            code = self._proc.poll()
            if code is not None:
                raise BackendError(self._failure(f"exited with code {code} before answering"))
            try:
                probe.list_tables(Limit=1)
                return
            except Exception as exc:  # connection refused, 5xx while booting, ...
                last_error = exc
                time.sleep(0.1)
        raise BackendError(
            self._failure(f"did not answer ListTables within {self.timeout:.0f}s ({last_error!r})")
        )

    def _failure(self, what: str) -> str:
        return (
            f"{self.name} server {what}\n  command: {' '.join(self.argv)}\n  url: {self.url}\n"
            f"  log: {self.log_path}\n--- server output ---\n{self.output()[-8000:]}"
        )

    def stop(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def delete_tables(client: Client, names: Sequence[str]) -> None:
    """Best-effort delete of *names* (missing tables and other errors are ignored)."""
    for name in names:
        # best effort: teardown must not mask the test's outcome
        with contextlib.suppress(Exception):
            client.delete_table(TableName=name)


def tables_with_prefix(client: Client, prefix: str) -> list[str]:
    """Names of existing tables starting with *prefix* (all ListTables pages)."""
    names: list[str] = []
    for page in client.get_paginator("list_tables").paginate():
        names.extend(n for n in page.get("TableNames", []) if n.startswith(prefix))
    return names
