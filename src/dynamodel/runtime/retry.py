"""Retries of DynamoDB calls that failed for a transient reason, with capped full-jitter backoff.

The delay before retry ``n`` (0 for the first retry) is ``uniform(0, min(max_delay,
base_delay * 2 ** n))``, the "full jitter" of the AWS Architecture Blog post "Exponential
Backoff And Jitter": it spreads competing clients out better than a fixed or equal-jitter
backoff, which matters for throttling and transaction conflicts, where clients collide.

boto3 clients retry many of these errors themselves (their ``retries`` config); retrying here
too would multiply the attempts. `transport.retry_layer` decides, per client, which of the
two layers retries which error, so that exactly one does.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from functools import cache
from typing import TypeVar

# botocore ships no type information; the ignore stays harmless if stubs are installed later.
from botocore.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    ConnectionError as BotocoreConnectionError,
)

from dynamodel.runtime.errors import ResponseIntegrityError, RetriesExhaustedError
from dynamodel.runtime.frozen import frozen_dataclass

R = TypeVar("R")

# Codes DynamoDB documents as worth retrying that botocore's data does not list for it:
# another transaction holds one of the items; the account's request rate (botocore's standard
# mode lists this one and TooManyRequestsException among its throttling codes, in code);
# server errors by name (their 5xx status is retried in any case); a write conflicting with
# a replicated one (global tables: the model marks it `retryable` from botocore 1.35 on, and
# the runtime supports botocore 1.34).
_DOCUMENTED_RETRYABLE = frozenset(
    {
        "TransactionConflictException",
        "ReplicatedWriteConflictException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


@cache
def retryable_error_codes() -> frozenset[str]:
    """The error codes worth retrying: what botocore's retry configuration (`_retry.json`,
    its default and DynamoDB policies) and DynamoDB's service model (error shapes with the
    `retryable` trait, e.g. ReplicatedWriteConflictException) call retryable, and the few
    DynamoDB documents that botocore's data does not list. The one home of this decision:
    everything else asks `is_retryable`."""
    from botocore.loaders import create_loader

    loader = create_loader()
    config = loader.load_data("_retry")
    definitions = config.get("definitions", {})
    retry = config.get("retry", {})
    codes: set[str] = set(_DOCUMENTED_RETRYABLE)
    for section in (retry.get("__default__", {}), retry.get("dynamodb", {}).get("__default__", {})):
        for policy in section.get("policies", {}).values():
            policy = definitions.get(policy["$ref"], {}) if "$ref" in policy else policy
            code = policy.get("applies_when", {}).get("response", {}).get("service_error_code")
            if isinstance(code, str):
                codes.add(code)
    model = loader.load_service_model("dynamodb", "service-2")
    codes.update(
        name
        for name, shape in model.get("shapes", {}).items()
        if shape.get("exception") and shape.get("retryable") is not None
    )
    return frozenset(codes)


def __getattr__(name: str) -> frozenset[str]:
    # Loaded on first use: reading botocore's data costs ~10 ms, not worth paying at import.
    if name == "RETRYABLE_ERROR_CODES":
        return retryable_error_codes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The request may or may not have reached DynamoDB; only the response was lost. A write is
# safe to resend because the caller resends it with the same idempotency token / condition.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    BotocoreConnectionError,
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)
# base_delay * 2 ** 64 is beyond any sensible max_delay; clamping the exponent avoids an
# OverflowError (int too large for float) for absurd attempt numbers.
_MAX_EXPONENT = 64
_JITTER = random.Random()


@frozen_dataclass
class RetryPolicy:
    """How often and how long to retry: at most ``max_attempts`` calls in total (the first
    included), delays in seconds."""

    max_attempts: int = 8
    base_delay: float = 0.025
    max_delay: float = 1.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        # isfinite also rejects NaN, which every comparison would silently let through.
        if not (math.isfinite(self.base_delay) and self.base_delay >= 0):
            raise ValueError(f"base_delay must be finite and >= 0, got {self.base_delay}")
        if not (math.isfinite(self.max_delay) and self.max_delay >= 0):
            raise ValueError(f"max_delay must be finite and >= 0, got {self.max_delay}")

    def delay(self, attempt: int, *, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0 for the first retry)."""
        if attempt < 0:
            raise ValueError(f"attempt must be >= 0, got {attempt}")
        cap = min(self.max_delay, self.base_delay * 2 ** min(attempt, _MAX_EXPONENT))
        return (rng if rng is not None else _JITTER).uniform(0.0, cap)


def is_retryable(error: BaseException) -> bool:
    """Whether ``error`` is transient, so that sending the same request again may succeed."""
    if isinstance(error, (*_CONNECTION_ERRORS, ResponseIntegrityError)):
        return True
    if not isinstance(error, ClientError):
        return False
    response = error.response if isinstance(error.response, Mapping) else {}
    details = response.get("Error")
    code = details.get("Code") if isinstance(details, Mapping) else None
    if code in retryable_error_codes():
        return True
    if code == "TransactionCanceledException":
        # Decided by the reasons alone: a cancellation for a failed condition is final even if
        # it came with an odd status.
        return _cancelled_by_conflict_only(response.get("CancellationReasons"))
    metadata = response.get("ResponseMetadata")
    status = metadata.get("HTTPStatusCode") if isinstance(metadata, Mapping) else None
    return isinstance(status, int) and (status >= 500 or status == 429)


def may_have_applied(error: BaseException) -> bool:
    """Whether a write that failed with ``error`` may still have been applied: the connection
    broke or timed out after the request may have been sent, or DynamoDB answered with a
    server error (it documents that such a request may or may not have been processed), or
    its response failed its integrity check (it was answered, so it was processed)."""
    if isinstance(error, ResponseIntegrityError):
        return True
    if isinstance(error, _CONNECTION_ERRORS):
        return not isinstance(error, EndpointConnectionError | ConnectTimeoutError)
    if not isinstance(error, ClientError):
        return False
    response = error.response if isinstance(error.response, Mapping) else {}
    metadata = response.get("ResponseMetadata")
    status = metadata.get("HTTPStatusCode") if isinstance(metadata, Mapping) else None
    return isinstance(status, int) and status >= 500


# Cancellation reasons that pass: another transaction held an item, or the table throttled.
_TRANSIENT_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)


def _cancelled_by_conflict_only(reasons: object) -> bool:
    # One reason per action; "None" for the actions that did not fail. Only a conflict with
    # another transaction or throttling is transient; a failed condition or validation error
    # is not.
    if not isinstance(reasons, list):
        return False
    codes = [reason.get("Code") if isinstance(reason, Mapping) else None for reason in reasons]
    return any(code in _TRANSIENT_REASONS for code in codes) and all(
        code == "None" or code in _TRANSIENT_REASONS for code in codes
    )


def call_with_retries(
    operation: Callable[[], R],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
    retryable: Callable[[BaseException], bool] = is_retryable,
) -> R:
    """Call ``operation`` until it succeeds, retrying transient errors (``retryable``, by
    default :func:`is_retryable`).

    At most ``policy.max_attempts`` calls are made; the last error is re-raised when they are
    exhausted, and a non-retryable error is re-raised at once. Before each retry
    ``on_retry(attempts_made, error, delay)`` is called (for logging/metrics), then
    ``sleep(delay)``.

    The caller must make ``operation`` send the same request each time -- in particular the
    same ``ClientRequestToken`` for TransactWriteItems, so that a transaction that did commit
    before its response was lost is not applied twice (DynamoDB treats the token as idempotent
    for 10 minutes), and the same condition expressions for single-item writes.
    """
    attempts = 0
    while True:
        attempts += 1
        try:
            return operation()
        except Exception as error:
            if attempts >= policy.max_attempts or not retryable(error):
                raise
            delay = policy.delay(attempts - 1, rng=rng)
            if on_retry is not None:
                on_retry(attempts, error, delay)
            sleep(delay)


def give_up_typed(
    operation: Callable[[], R],
    *,
    name: str,
    policy: RetryPolicy,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
    retryable: Callable[[BaseException], bool] = is_retryable,
    requests_sent: Callable[[], int] | None = None,
) -> R:
    """:func:`call_with_retries`, except that a transient failure outlasting the policy is
    raised as RetriesExhaustedError (naming the operation ``name``, the attempts and the
    cause); other errors (a failed condition, a validation error) are the caller's to read.

    ``requests_sent()`` counts the HTTP requests sent so far (see `transport.retry_layer`): an
    attempt counts the requests it sent, botocore's own retries included, or 1 if it was
    answered without sending any. Without it each attempt counts 1."""
    uncertain = False  # whether any attempt may have been applied
    attempts = 0

    def note(attempt: int, error: BaseException, delay: float) -> None:
        nonlocal uncertain
        uncertain = uncertain or may_have_applied(error)
        if on_retry is not None:
            on_retry(attempt, error, delay)

    def counted() -> R:
        nonlocal attempts
        before = requests_sent() if requests_sent is not None else 0
        try:
            return operation()
        finally:
            sent = requests_sent() - before if requests_sent is not None else 0
            attempts += max(1, sent)

    try:
        return call_with_retries(counted, policy=policy, on_retry=note, retryable=retryable)
    except Exception as error:
        if not is_retryable(error):
            raise
        cause = _cause(error)
        raise RetriesExhaustedError(
            f"{name} failed {attempts} times ({cause}); the retries gave up",
            operation=name,
            attempts=attempts,
            cause=cause,
            may_have_applied=uncertain or may_have_applied(error),
        ) from error


def _cause(error: BaseException) -> str:
    if isinstance(error, ResponseIntegrityError):
        return f"ResponseIntegrityError ({error.reason})"
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        code = (response.get("Error") or {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__
