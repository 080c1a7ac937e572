"""Pytest fixtures running the same DynamoDB calls against every selected backend.

Import them into ``tests/conftest.py`` with ``from tests.backend_fixtures import *``.

* ``backend``: the backend name, parametrized over ``DYNAMODEL_BACKENDS`` (default: all).
* ``dynamodb_client``: a fresh low-level client on that backend (moto in-process runs the
  test inside ``moto.mock_aws()``; the HTTP backends share one server per session).
* ``dynamodb_endpoint_url``: the endpoint of that backend (``None`` for in-process moto),
  for code under test that builds its own clients.
* ``table_name``: a unique table name (also a prefix: ``f"{table_name}-2"``); at teardown,
  tables the client created and tables starting with it are deleted (best effort).
* ``moto_server_url`` / ``ministack_url``: session servers, started on first use only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from tests.backends import (
    DUMMY_AWS_ENV,
    HTTP_BACKENDS,
    UNSET_AWS_ENV,
    BackendError,
    Client,
    ServerProcess,
    client_for,
    delete_tables,
    selected_backends,
    tables_with_prefix,
)

__all__ = [
    "_dummy_aws_env",
    "backend",
    "dynamodb_client",
    "dynamodb_endpoint_url",
    "ministack_url",
    "moto_server_url",
    "table_name",
]

SELECTED = selected_backends()


@pytest.fixture(scope="session", autouse=True)
def _dummy_aws_env() -> Iterator[None]:
    """Dummy credentials and region for the whole session, so nothing reaches real AWS."""
    with pytest.MonkeyPatch.context() as mp:
        for name in UNSET_AWS_ENV:
            mp.delenv(name, raising=False)
        for name, value in DUMMY_AWS_ENV.items():
            mp.setenv(name, value)
        yield


def _log_dir(factory: pytest.TempPathFactory) -> Path:
    return factory.mktemp("backend-logs", numbered=True)


def _server(backend: str, factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend not in SELECTED:
        pytest.skip(f"{backend} not selected (DYNAMODEL_BACKENDS={','.join(SELECTED)})")
    try:
        server = ServerProcess.for_backend(backend, _log_dir(factory)).start()
    except BackendError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _server("moto_server", tmp_path_factory)


@pytest.fixture(scope="session")
def ministack_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _server("ministack", tmp_path_factory)


@pytest.fixture(params=SELECTED)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def dynamodb_endpoint_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    if backend in HTTP_BACKENDS:
        return str(request.getfixturevalue(f"{backend}_url"))
    return None


@pytest.fixture
def table_name() -> str:
    return f"t{uuid4().hex[:12]}"


@pytest.fixture
def dynamodb_client(
    backend: str, dynamodb_endpoint_url: str | None, table_name: str
) -> Iterator[Client]:
    if backend == "moto":
        from moto import mock_aws

        with mock_aws():
            yield client_for(backend)
        return

    client = client_for(backend, dynamodb_endpoint_url)
    created: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        name = params.get("TableName")
        if isinstance(name, str):
            created.append(name)

    client.meta.events.register("before-parameter-build.dynamodb.CreateTable", record)
    try:
        yield client
    finally:
        try:
            leftovers = set(created) | set(tables_with_prefix(client, table_name))
        except Exception:  # best effort: the server may be gone already
            leftovers = set(created)
        delete_tables(client, sorted(leftovers))
