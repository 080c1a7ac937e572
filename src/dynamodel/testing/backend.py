"""The client the plugin's tables are created with, and the environment a test runs in, so that
code under test which builds its own clients (a handler's `TrackerRepository()` at import)
reaches the same backend as the fixtures, and nothing reaches AWS by accident.

- embedded moto: `moto.mock_aws()` for the test, dummy credentials, no endpoint, profile or
  AWS config files from the environment;
- an endpoint: the same isolation, dummy credentials (the user's own are never sent to a
  test endpoint, and a client built without an endpoint cannot silently fall through to the
  account they belong to: `AWS_ENDPOINT_URL_DYNAMODB` points every default client at it);
- real AWS: the environment's credentials and region, untouched but for `--dynamodel-region`.

In every mode boto3's default session is replaced for the test (repositories built without a
client share the default session's client: they get a new one, made in the test's
environment), and `DYNAMODEL_CURSOR_KEY` is set when it is not, so that cursors of the
fixture's repository and of handlers' repositories verify each other.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from dynamodel.testing.errors import BackendUnavailable
from dynamodel.testing.settings import Backend

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "dynamodel-testing",
    "AWS_SECRET_ACCESS_KEY": "dynamodel-testing",
    "AWS_SESSION_TOKEN": "dynamodel-testing",
}
# Everything that could point a client at an account or another endpoint.
ISOLATED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
)
# One key per pytest process: any cursor a test's repositories sign, they all verify.
CURSOR_KEY = f"dynamodel-testing-{secrets.token_hex(16)}"
_REACHED: set[str] = set()  # endpoints that answered once: not probed again


@contextmanager
def opened(backend: Backend, patch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A DynamoDB client on `backend`, with the test's environment set by `patch` (undone
    by the caller's MonkeyPatch at the end of the test)."""
    import boto3

    from dynamodel.runtime.transport.client import default_client

    if not os.environ.get("DYNAMODEL_CURSOR_KEY"):
        patch.setenv("DYNAMODEL_CURSOR_KEY", CURSOR_KEY)
    if backend.aws:
        if backend.region:
            patch.setenv("AWS_REGION", backend.region)
            patch.setenv("AWS_DEFAULT_REGION", backend.region)
        patch.setattr(boto3, "DEFAULT_SESSION", None)
        session = boto3.Session()
        if session.get_credentials() is None:
            raise BackendUnavailable(
                "--dynamodel-aws needs AWS credentials (environment, profile or role); "
                "none were found"
            )
        if session.region_name is None:
            raise BackendUnavailable(
                "--dynamodel-aws needs a region: pass --dynamodel-region or set AWS_REGION"
            )
        yield default_client(session=session)
        return
    _isolate(patch, backend)
    patch.setattr(boto3, "DEFAULT_SESSION", None)
    if backend.endpoint is None:
        from moto import mock_aws

        with mock_aws():
            yield default_client(region_name=backend.region)
        return
    _probe(backend)
    yield default_client(endpoint_url=backend.endpoint, region_name=backend.region)


def _isolate(patch: pytest.MonkeyPatch, backend: Backend) -> None:
    for name in ISOLATED:
        patch.delenv(name, raising=False)
    for name, value in DUMMY_CREDENTIALS.items():
        patch.setenv(name, value)
    # No profile, credential process or configured endpoint of the user's applies.
    patch.setenv("AWS_CONFIG_FILE", os.devnull)
    patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    assert backend.region is not None  # settings give local backends a region
    patch.setenv("AWS_REGION", backend.region)
    patch.setenv("AWS_DEFAULT_REGION", backend.region)
    if backend.endpoint is not None:
        # Local servers serve DynamoDB and its streams on one endpoint.
        patch.setenv("AWS_ENDPOINT_URL_DYNAMODB", backend.endpoint)
        patch.setenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", backend.endpoint)


def _probe(backend: Backend) -> None:
    """One quick ListTables the first time an endpoint is used, so that a server that is
    not running fails the test at once with a message instead of after the retries."""
    assert backend.endpoint is not None
    if backend.endpoint in _REACHED:
        return
    import boto3
    from botocore.config import Config

    probe = boto3.client(
        "dynamodb",
        endpoint_url=backend.endpoint,
        region_name=backend.region,
        config=Config(connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 1}),
    )
    try:
        probe.list_tables(Limit=1)
    except Exception as error:
        raise BackendUnavailable(
            f"nothing answers DynamoDB requests at --dynamodel-endpoint {backend.endpoint} "
            f"({type(error).__name__}: {error}); start the server, or drop the option to test "
            "on embedded moto"
        ) from None
    _REACHED.add(backend.endpoint)
