"""The default client: boto3's DynamoDB client with the runtime's transport tuning plugged in."""

from __future__ import annotations

import os
import platform
from typing import Any

from dynamodel.runtime.transport import signing, wire


def default_client(**options: Any) -> Any:
    """`boto3.client("dynamodb", **options)`, tuned for requests the runtime builds itself.

    `options` are boto3's (`endpoint_url`, `region_name`, credentials; a `config` is merged
    with the settings below, except that validation stays off), e.g.
    `default_client(endpoint_url="http://localhost:4566")` for a local server.

    - botocore's own retries are off, unless `config` sets `retries`: the runtime retries
      (backoff, full jitter, the same idempotency token), and two layers of retries would
      multiply. A `Config(retries=...)` given here is honoured as it is: botocore retries as
      it says, and the runtime retries only what botocore does not (see `retry_layer`);
    - every response is checked against its `x-amz-crc32` header and for a complete body
      (`fastjson`), a damaged one raising the retryable `ResponseIntegrityError`;
    - botocore's request parameter validation is off (its public `parameter_validation`
      setting): every request is built by the runtime from typed models and checked by the
      tests, and validation is a third of the client-side cost of a small write;
    - data-plane responses are parsed by `fastjson.FastJSONParser` (botocore's public
      `response_parser_factory` component), which falls back to botocore's parser wherever
      a plain JSON parse would not give the same result;
    - the User-Agent header is fixed when the client is built (the public `user_agent`
      setting) instead of being rebuilt twice for every request, a fifth of a small
      request's client-side cost. It names dynamodel, Python, botocore and the Lambda
      runtime; it no longer lists the per-request SDK feature ids botocore reports;
    - request bodies the runtime serialized itself are sent as they are (`wire.install`,
      botocore's public event hooks) instead of being walked by botocore's serializer;
    - requests are signed by `signing` (SigV4, byte-for-byte botocore's signature, through
      botocore's public `choose-signer`/`before-sign` events) at a quarter of the cost.
    """
    import boto3  # imported here: building a repository with a given client needs no boto3
    from botocore.config import Config

    from dynamodel.runtime.transport.fastjson import fast_session

    agent = f"dynamodel/{_version()} Python/{_python()}"  # botocore appends its own name
    if os.environ.get("AWS_EXECUTION_ENV"):
        agent += f" exec-env/{os.environ['AWS_EXECUTION_ENV']}"
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        parameter_validation=False,
        user_agent=agent,
    )
    session = boto3.session.Session(botocore_session=fast_session())
    given = options.pop("config", None)
    if given is not None:
        # Theirs over the defaults, then what the runtime relies on: its request bodies skip
        # botocore's validation (which would see only the endpoint parameters). Their
        # `retries`, if they set any, stand: botocore then retries and the runtime leaves
        # those errors to it (`retry_layer`).
        config = config.merge(given).merge(Config(parameter_validation=False))
    client = session.client("dynamodb", config=config, **options)
    wire.install(client)
    signing.install(client)
    return client


def _version() -> str:
    from dynamodel import __version__

    return __version__


def _python() -> str:
    return platform.python_version()
