"""Where `dynamodel try` creates its table: an embedded DynamoDB (moto in process; with
`--keep`, moto's server on a local port, so the data can be poked at while it runs), any
DynamoDB endpoint (`--endpoint-url`: moto_server, MiniStack, LocalStack, DynamoDB Local), or
the account of the environment's AWS credentials (`--aws`, which needs `--yes`)."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

DEFAULT_REGION = "us-east-1"
# Local servers accept any credentials; these are used only where none are configured.
LOCAL_CREDENTIALS = {"aws_access_key_id": "dynamodel-try", "aws_secret_access_key": "try"}


@dataclass(frozen=True)
class Backend:
    client: Any  # a plain boto3 DynamoDB client: the recorder reads its parameters
    label: str  # what the report calls it
    endpoint_url: str | None  # where other tools reach the data (None: in process or AWS)
    real: bool = False  # a real account: every request is billed


class BackendError(Exception):
    """The backend cannot be used as asked (the message says why and what to do)."""


@contextmanager
def open_backend(
    *,
    endpoint_url: str | None,
    aws: bool,
    keep: bool,
    region: str | None,
    verbose: bool = False,
) -> Iterator[Backend]:
    """The backend asked for. `verbose`: let the embedded server (`keep` without an endpoint)
    log every request it serves on stderr, as werkzeug does by default."""
    import boto3

    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if aws:
        if endpoint_url:
            raise BackendError("--aws and --endpoint-url exclude each other")
        session = boto3.Session(region_name=region)
        if session.get_credentials() is None:
            raise BackendError(
                "--aws needs AWS credentials (environment, profile or role); none were found"
            )
        if session.region_name is None:
            raise BackendError("--aws needs a region: pass --region or set AWS_REGION")
        client = session.client("dynamodb")
        yield Backend(client, f"AWS account, {session.region_name}", None, real=True)
        return
    if endpoint_url:
        session = boto3.Session(region_name=region or DEFAULT_REGION)
        options: dict[str, Any] = (
            {} if session.get_credentials() is not None else dict(LOCAL_CREDENTIALS)
        )
        if not {"AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"} & set(os.environ):
            # botocore's legacy default for DynamoDB is 10 attempts with doubling backoff:
            # ~25 s before an unreachable endpoint is reported. Standard mode (3 attempts) is
            # what AWS recommends, and the repository retries what is transient besides.
            from botocore.config import Config

            options["config"] = Config(retries={"mode": "standard"})
        try:
            client = session.client("dynamodb", endpoint_url=endpoint_url, **options)
        except ValueError as error:  # botocore: "Invalid endpoint: ..."
            raise BackendError(f"--endpoint-url {endpoint_url!r} is not a URL ({error})") from None
        yield Backend(client, endpoint_url, endpoint_url)
        return
    if keep:
        with _moto_server(verbose=verbose) as url:
            client = boto3.client(
                "dynamodb", endpoint_url=url, region_name=DEFAULT_REGION, **LOCAL_CREDENTIALS
            )
            yield Backend(client, f"embedded moto server at {url}", url)
        return
    yield from _moto_in_process()


def _moto_in_process() -> Iterator[Backend]:
    try:
        from moto import mock_aws
    except ImportError as error:  # pragma: no cover - moto is a dependency of dynamodel
        raise BackendError("the embedded backend needs moto: pip install moto") from error
    import boto3

    # moto answers in process; the credentials only have to exist (none are ever sent).
    with mock_aws():
        client = boto3.client("dynamodb", region_name=DEFAULT_REGION, **LOCAL_CREDENTIALS)
        yield Backend(client, "embedded DynamoDB (moto, in process)", None)


@contextmanager
def _moto_server(*, verbose: bool) -> Iterator[str]:
    try:
        with warnings.catch_warnings():  # moto's "install moto[server]": the error below says
            warnings.filterwarnings("ignore", "When using MotoServer")  # what to install
            from moto.server import ThreadedMotoServer
    except ImportError as error:  # Flask: the `server` extra (pyproject.toml, docs/cli.md)
        raise BackendError(
            f"--keep runs moto's server, which needs Flask ({error}): "
            "pip install 'dynamodel[server]'; without --keep the embedded DynamoDB runs in process"
        ) from error
    # werkzeug logs a line per request on stderr (INFO, its own handler): while `try --keep`
    # serves the table, every request a user or tool sends would be echoed there. Its
    # warnings and errors still show.
    requests_log = logging.getLogger("werkzeug")
    level = requests_log.level
    if not verbose:
        requests_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        requests_log.setLevel(level)
