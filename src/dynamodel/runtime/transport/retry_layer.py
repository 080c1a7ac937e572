"""Which layer retries a call, botocore's or the runtime's, so that exactly one does; and how
many HTTP requests a call really sent.

The rule, per client:

- botocore's retries are off (`retries={"total_max_attempts": 1}`, as on the runtime's
  `default_client` unless the caller's `Config` asks for retries): the runtime retries every
  transient error (`retry.is_retryable`) under the repository's `RetryPolicy`, with full
  jitter, seeing each failure (a lost response marks a write as possibly applied);
- botocore's retries are on (any other client: a user's own `boto3.client("dynamodb")`, or a
  `default_client(config=Config(retries=...))`): botocore retries, as its configuration
  says, and the runtime leaves to it every error it retries. The runtime retries only what
  botocore never retries: transactions cancelled by a conflict with another transaction (a
  TransactionCanceledException, which botocore treats as final) and responses the runtime's
  parser refused (`ResponseIntegrityError`, raised where botocore's retry handler does not
  look). The user's configuration is never changed.

The attempts a RetriesExhaustedError reports are HTTP requests, counted by a `before-send`
handler (it only counts: it answers nothing and changes nothing), so they include
botocore's own retries.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar, Token
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

from dynamodel.runtime.errors import ResponseIntegrityError
from dynamodel.runtime.retry import is_retryable

_HANDLER_ID = "dynamodel-count-requests"
# The requests sent by the call running in this context (each thread has its own: the
# shards of a sharded query are sent in parallel).
_SENT: ContextVar[list[int] | None] = ContextVar("dynamodel_requests_sent", default=None)


def botocore_retries(client: Any) -> bool:
    """Whether botocore retries this client's calls itself (more than one attempt a call)."""
    config = getattr(getattr(client, "meta", None), "config", None)
    if config is None:
        return False  # not a botocore client (a test's stand-in): nothing retries it
    retries = getattr(config, "retries", None)
    if not isinstance(retries, Mapping):
        return True  # botocore's default: legacy mode, several attempts
    # botocore turns `max_attempts` (retries) into `total_max_attempts` (attempts) itself.
    total = retries.get("total_max_attempts")
    return not (isinstance(total, int) and total <= 1)


def retried_by_runtime_only(error: BaseException) -> bool:
    """The errors the runtime retries on a client whose botocore retries are on: the transient
    ones botocore does not retry."""
    if not is_retryable(error):
        return False
    if isinstance(error, ResponseIntegrityError):
        return True
    if isinstance(error, ClientError) and isinstance(error.response, Mapping):
        code = (error.response.get("Error") or {}).get("Code")
        return bool(code == "TransactionCanceledException")
    return False


def install_counter(client: Any) -> None:
    """Count this client's HTTP requests (see `counting`); registering twice is harmless."""
    events = getattr(getattr(client, "meta", None), "events", None)
    if events is not None:  # a test's stand-in for a client has none
        events.register("before-send.dynamodb", _count, unique_id=_HANDLER_ID)


def _count(**_: Any) -> None:
    sent = _SENT.get()
    if sent is not None:
        sent[0] += 1


class counting:  # lower case: used as the `@contextmanager` function it replaced
    """Within the block, `[n]` holds the HTTP requests this context's calls have sent.

    A class rather than a `@contextmanager` generator: entered around every request, where
    the generator's machinery cost a microsecond."""

    __slots__ = ("_sent", "_token")

    def __init__(self) -> None:
        self._sent = [0]
        self._token: Token[list[int] | None] | None = None

    def __enter__(self) -> list[int]:
        self._token = _SENT.set(self._sent)
        return self._sent

    def __exit__(self, *_: object) -> None:
        if self._token is not None:
            _SENT.reset(self._token)
