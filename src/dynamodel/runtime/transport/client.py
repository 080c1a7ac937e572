"""The default client, and the one call that tunes a client of the user's: boto3's DynamoDB client
with the runtime's transport tuning plugged in.

- `default_client(**options)`: a new client of boto3's default session (or of `session=`),
  built for the runtime: its retries and validation off, its User-Agent fixed, and the
  shortcuts below;
- `shared_client()`: the one default client of boto3's current default session, which
  every repository built without a client uses (a client costs milliseconds to build; one a
  repository would cost each Lambda that many per repository at cold start);
- `tune_client(client)`: the shortcuts on a client the user built (Powertools', a custom
  `Config`), leaving its configuration (retries, validation, User-Agent) and its own calls
  as they were.

The shortcuts (`wire`, `signing`, `fastjson`) each step aside for a request as soon as someone
else handles the events they would bypass (`hooks`), so everything botocore's events promise
keeps working on these clients.
"""

from __future__ import annotations

import os
import platform
import threading
from typing import Any

from dynamodel.runtime.transport import fastjson, signing, wire

_SHARED_LOCK = threading.Lock()
_SHARED: tuple[Any, Any] | None = None  # (boto3 session, its default client)


def default_client(*, session: Any = None, **options: Any) -> Any:
    """`session.client("dynamodb", **options)`, tuned for requests the runtime builds itself.

    `session` is a `boto3.session.Session`, by default boto3's default session (the one
    `boto3.client` uses and `boto3.setup_default_session(...)` sets up: its region, profile,
    credentials and configuration apply). `options` are boto3's (`endpoint_url`,
    `region_name`, credentials; a `config` is merged with the settings below, except that
    validation stays off), e.g. `default_client(endpoint_url="http://localhost:4566")`.

    - botocore's own retries are off, unless `config` sets `retries`: the runtime retries
      (backoff, full jitter, the same idempotency token), and two layers of retries would
      multiply. A `Config(retries=...)` given here is honoured as it is: botocore retries as
      it says, and the runtime retries only what botocore does not (see `retry_layer`);
    - every response is checked against its `x-amz-crc32` header and for a complete body
      (`fastjson`), a damaged one raising the retryable `ResponseIntegrityError`;
    - botocore's request parameter validation is off (its public `parameter_validation`
      setting): every request is built by the runtime from typed models and checked by the
      tests, and validation is a third of the client-side cost of a small write;
    - data-plane responses are parsed by `fastjson.FastJSONParser`, which falls back to
      botocore's parser wherever a plain JSON parse would not give the same result;
    - the User-Agent header is fixed when the client is built (the public `user_agent`
      setting) instead of being rebuilt twice for every request, a fifth of a small
      request's client-side cost. It names dynamodel, Python, botocore, the Lambda runtime and
      the session's or config's `user_agent_appid`; it no longer lists the per-request SDK
      feature ids botocore reports;
    - request bodies the runtime serialized itself are sent as they are (`wire`) and
      requests are signed by `signing` (SigV4, byte-for-byte botocore's signature), both
      through botocore's public events and both stepping aside for a request when other
      handlers listen (`hooks`).
    """
    from botocore.config import Config

    session = session if session is not None else _default_session()
    given = options.pop("config", None)
    appid = getattr(given, "user_agent_appid", None) or _session_appid(session)
    agent = f"dynamodel/{_version()} Python/{_python()}"  # botocore appends its own name
    if os.environ.get("AWS_EXECUTION_ENV"):
        agent += f" exec-env/{os.environ['AWS_EXECUTION_ENV']}"
    if appid:
        agent += f" app/{appid}"
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        parameter_validation=False,
        user_agent=agent,
    )
    if given is not None:
        # Theirs over the defaults, then what the runtime relies on: its request bodies skip
        # botocore's validation (which would see only the endpoint parameters). Their
        # `retries`, if they set any, stand: botocore then retries and the runtime leaves
        # those errors to it (`retry_layer`).
        config = config.merge(given).merge(Config(parameter_validation=False))
    client = session.client("dynamodb", config=config, **options)
    fastjson.install(client)
    wire.install(client)
    signing.install(client)
    return client


def shared_client() -> Any:
    """The default client of boto3's current default session, made once and shared by every
    repository built without a client (a botocore client is thread-safe). After
    `boto3.setup_default_session(...)`, the next repository gets a client of the new session."""
    global _SHARED
    session = _default_session()
    shared = _SHARED
    if shared is not None and shared[0] is session:
        return shared[1]
    with _SHARED_LOCK:
        if _SHARED is None or _SHARED[0] is not session:
            _SHARED = (session, default_client(session=session))
        return _SHARED[1]


def tune_client(client: Any) -> Any:
    """Give a DynamoDB client built elsewhere the default client's shortcuts for the runtime's
    requests, and return it: `TrackerRepository(tune_client(my_client))`.

    What is safe to change on someone else's client is changed, and nothing else:

    - the runtime's request bodies are sent as serialized (`wire`); with botocore's
      validation on, the client validates the few parameters it still serializes;
    - requests are signed by `signing` (the same signature, byte for byte);
    - the runtime's responses are checked (CRC32, whole body) and parsed by `fastjson`;
      the client's other calls keep botocore's parser and its errors.

    Its retries, validation setting, User-Agent and every event handler stay as they were,
    and every shortcut steps aside for a request while other handlers listen to the events
    it would bypass (`hooks`). A client that is not a DynamoDB client of botocore's JSON
    protocol is returned unchanged.
    """
    meta = getattr(client, "meta", None)
    model = getattr(meta, "service_model", None)
    if (
        model is None
        or getattr(model, "service_name", None) != "dynamodb"
        or getattr(model, "protocol", None) != "json"
    ):
        return client
    fastjson.install(client, runtime_only=True)
    wire.install(client)
    signing.install(client)
    return client


def _default_session() -> Any:
    import boto3  # imported here: building a repository with a given client needs no boto3

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return boto3.DEFAULT_SESSION


def _session_appid(session: Any) -> str | None:
    botocore_session: Any = getattr(session, "_session", None)  # boto3's handle on its botocore one
    try:
        value = botocore_session.get_config_variable("user_agent_appid")
    except Exception:  # an older botocore without the setting, or no botocore session
        return None
    return value if isinstance(value, str) and value else None


def _version() -> str:
    from dynamodel import __version__

    return __version__


def _python() -> str:
    return platform.python_version()
