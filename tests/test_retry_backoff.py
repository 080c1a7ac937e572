"""Retries (dynamodel.runtime.retry): the backoff policy (`RetryPolicy`: its delays drawn with
full jitter under a growing cap) and the retry loop that applies it (`call_with_retries`,
`give_up_typed`)."""

from __future__ import annotations

import itertools
import random
from statistics import fmean
from typing import Any

import pytest
from botocore.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    ClientError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.runtime.retry import RetryPolicy, call_with_retries
from tests.retry_support import URL, cancelled, client_error


class Flaky:
    """An operation that raises the given errors in turn, then returns "done"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


# -- RetryPolicy -----------------------------------------------------------------------------


def test_defaults() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.base_delay, policy.max_delay) == (8, 0.025, 1.0)


@pytest.mark.parametrize(
    "options",
    [
        {"max_attempts": 0},
        {"max_attempts": -1},
        {"base_delay": -0.001},
        {"max_delay": -1.0},
        {"base_delay": float("nan")},
        {"max_delay": float("inf")},
    ],
)
def test_invalid_policies_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**options)


def test_policy_is_frozen_and_keyword_only() -> None:
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_attempts = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        RetryPolicy(3)  # type: ignore[call-arg, misc, unused-ignore]


def test_delays_are_full_jitter_under_a_growing_cap() -> None:
    policy = RetryPolicy(base_delay=0.025, max_delay=1.0)
    rng = random.Random(1234)
    means = []
    for attempt in range(10):
        cap = min(1.0, 0.025 * 2**attempt)
        samples = [policy.delay(attempt, rng=rng) for _ in range(4000)]
        assert all(0.0 <= s <= cap for s in samples)
        # Uniform over [0, cap]: mean cap/2, and both ends of the range are reached.
        assert fmean(samples) == pytest.approx(cap / 2, rel=0.05)
        assert min(samples) < 0.02 * cap and max(samples) > 0.98 * cap
        means.append(fmean(samples))
    assert all(a < b for a, b in itertools.pairwise(means[:7]))  # doubling ...
    assert means[9] == pytest.approx(0.5, rel=0.05)  # ... up to max_delay


@settings(max_examples=100)
@given(
    attempt=st.integers(0, 10_000),
    base=st.floats(0, 10),
    cap=st.floats(0, 60),
    seed=st.integers(0, 2**32),
)
def test_delay_never_exceeds_its_cap(attempt: int, base: float, cap: float, seed: int) -> None:
    delay = RetryPolicy(base_delay=base, max_delay=cap).delay(attempt, rng=random.Random(seed))
    assert 0.0 <= delay <= min(cap, base * 2 ** min(attempt, 64))


def test_delay_is_deterministic_with_a_seeded_rng() -> None:
    policy = RetryPolicy()
    assert policy.delay(3, rng=random.Random(7)) == policy.delay(3, rng=random.Random(7))
    assert 0.0 <= policy.delay(3) <= 0.2
    with pytest.raises(ValueError):
        policy.delay(-1)


# -- call_with_retries -----------------------------------------------------------------------


def _run(operation: Any, policy: RetryPolicy, **options: Any) -> tuple[Any, list[float]]:
    slept: list[float] = []
    result = call_with_retries(
        operation, policy=policy, sleep=slept.append, rng=random.Random(0), **options
    )
    return result, slept


def test_success_at_once_makes_one_call_and_never_sleeps() -> None:
    operation = Flaky()
    assert _run(operation, RetryPolicy()) == ("done", [])
    assert operation.calls == 1


@pytest.mark.parametrize("failures", range(8))
def test_exact_number_of_calls_until_success(failures: int) -> None:
    operation = Flaky(*(client_error("ThrottlingException") for _ in range(failures)))
    result, slept = _run(operation, RetryPolicy(max_attempts=8))
    assert result == "done"
    assert operation.calls == failures + 1
    assert len(slept) == failures
    assert all(0 <= d <= min(1.0, 0.025 * 2**n) for n, d in enumerate(slept))


def test_exhaustion_reraises_the_last_error() -> None:
    errors = [client_error("ThrottlingException", operation=f"call{n}") for n in range(3)]
    operation = Flaky(*errors, client_error("ThrottlingException"))
    with pytest.raises(ClientError) as caught:
        _run(operation, RetryPolicy(max_attempts=3))
    assert caught.value is errors[2]
    assert operation.calls == 3


def test_one_attempt_means_no_retry() -> None:
    operation = Flaky(client_error("ThrottlingException"))
    with pytest.raises(ClientError):
        _run(operation, RetryPolicy(max_attempts=1))
    assert operation.calls == 1


@pytest.mark.parametrize(
    "error",
    [
        client_error("ConditionalCheckFailedException"),
        cancelled("ConditionalCheckFailed"),
        KeyError("x"),
    ],
    ids=["condition", "cancelled", "bug"],
)
def test_non_retryable_errors_raise_immediately(error: BaseException) -> None:
    operation = Flaky(error)
    with pytest.raises(type(error)) as caught:
        _run(operation, RetryPolicy())
    assert caught.value is error
    assert operation.calls == 1


def test_mixed_transient_errors_then_final_error() -> None:
    final = client_error("ValidationException")
    operation = Flaky(
        EndpointConnectionError(endpoint_url=URL),
        cancelled("None", "TransactionConflict"),
        client_error("Anything", status=503),
        final,
    )
    with pytest.raises(ClientError) as caught:
        _run(operation, RetryPolicy())
    assert caught.value is final
    assert operation.calls == 4


def test_on_retry_sees_each_retry_before_its_sleep() -> None:
    events: list[tuple[Any, ...]] = []
    errors = [client_error("ThrottlingException"), ReadTimeoutError(endpoint_url=URL)]
    call_with_retries(
        Flaky(*errors),
        policy=RetryPolicy(),
        sleep=lambda d: events.append(("sleep", d)),
        rng=random.Random(5),
        on_retry=lambda n, e, d: events.append(("retry", n, e, d)),
    )
    assert [e[0] for e in events] == ["retry", "sleep", "retry", "sleep"]
    assert [e[1] for e in events[::2]] == [1, 2]
    assert [e[2] for e in events[::2]] == errors
    assert [e[3] for e in events[::2]] == [e[1] for e in events[1::2]]


def test_same_seed_gives_the_same_sleeps() -> None:
    def sleeps() -> list[float]:
        operation = Flaky(*(client_error("ThrottlingException") for _ in range(5)))
        return _run(operation, RetryPolicy())[1]

    assert sleeps() == sleeps()


def test_gave_up_typed_remembers_any_attempt_that_may_have_applied() -> None:
    from botocore.exceptions import ReadTimeoutError

    from dynamodel.runtime.errors import RetriesExhaustedError
    from dynamodel.runtime.retry import give_up_typed

    errors = iter(
        [ReadTimeoutError(endpoint_url="x"), client_error("ThrottlingException", status=400)]
    )

    def attempt() -> None:
        raise next(errors)

    with pytest.raises(RetriesExhaustedError) as caught:
        give_up_typed(attempt, name="PutItem", policy=RetryPolicy(max_attempts=2, base_delay=0.0))
    assert caught.value.cause == "ThrottlingException" and caught.value.attempts == 2
    assert caught.value.may_have_applied  # the first attempt's response was lost
