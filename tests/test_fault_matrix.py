"""Every write and read path of a generated repository under every injected fault, on every
backend: a fault that clears up is retried (after a delay the retry policy draws with full
jitter, with the same request and token) and the call succeeds with exactly the fault-free
outcome; a fault that persists surfaces as a typed `RetriesExhaustedError`, and the table
holds the whole change or none of it. A batch call that keeps handing back unprocessed items
or keys raises `BatchIncompleteError` listing exactly what was not done: the table holds
exactly the part DynamoDB processed. The paths are in tests/fault_paths.py, the injector in
tests/faults.py."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from dynamodel import BatchIncompleteError, RetriesExhaustedError
from dynamodel.runtime import retry as retry_module
from tests.backend_fixtures import SELECTED
from tests.backends import client_for, delete_tables
from tests.fault_paths import (
    FAST_RETRIES,
    PATHS,
    REPOSITORIES,
    PathCase,
    comparable,
    snapshot,
)
from tests.faults import (
    APPLIED_FAULTS,
    BATCH_FAULTS,
    BATCH_OPERATIONS,
    FAULTS,
    INJECTED,
    FaultInjector,
)
from tests.faults import uninstall as uninstall_faults


class FaultBackend:
    """What the module's cases on one backend share (they run grouped by backend): one client,
    and the fault-free reference outcome of each path, which is the same for every fault and
    mode of the path (the same act on the same seed; the cases compare the faulted outcome
    with it exactly, so it cannot depend on when it is computed). Building a client per case
    and acting out the reference again for each of its ~20 cases were most of a case's time.
    Every case still gets a table of its own, created, seeded and deleted for it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.references: dict[str, tuple[Any, list[tuple[str, str, str]]]] = {}
        self.tables: list[str] = []  # the current case's, deleted after it

    def make_repo(self, example: str) -> Any:
        """A repository on a new table, seeded."""
        repository, seed = REPOSITORIES[example]
        repo = repository(
            client=self.client,
            table_name=f"t{uuid4().hex[:12]}",
            cursor_key="faults" * 8,
            retry=FAST_RETRIES,
        )
        self.tables.append(repo.table_name)
        repo.create_table()
        seed(repo)
        return repo

    def reference(self, path: str) -> tuple[Any, list[tuple[str, str, str]]]:
        """The path's fault-free result and the table after it, on a seeded table of its
        own: `(comparable(result), snapshot)`."""
        if path not in self.references:
            case = PATHS[path]
            repo = self.make_repo(case.example)
            self.references[path] = (comparable(case.act(repo)), snapshot(repo))
        return self.references[path]

    def clean_up(self) -> None:
        """After a case: its tables go, and so does its fault injector (its handlers' unique
        ids would keep the next case's injector from registering on the shared client)."""
        uninstall_faults(self.client)
        tables, self.tables = self.tables, []
        delete_tables(self.client, tables)


@pytest.fixture(scope="module")
def fault_backend(backend: str, request: pytest.FixtureRequest) -> Iterator[FaultBackend]:
    if backend == "moto":
        from moto import mock_aws

        with mock_aws():
            yield FaultBackend(client_for(backend))
        return
    yield FaultBackend(client_for(backend, str(request.getfixturevalue(f"{backend}_url"))))


@pytest.fixture
def shared(fault_backend: FaultBackend) -> Iterator[FaultBackend]:
    try:
        yield fault_backend
    finally:
        fault_backend.clean_up()


class RecordingJitter(random.Random):
    """The retry module's source of jitter, recording each delay it draws as (low, high,
    value)."""

    def __init__(self) -> None:
        super().__init__(20261129)
        self.draws: list[tuple[float, float, float]] = []
        self._lock = threading.Lock()  # shard Queries back off in parallel

    def uniform(self, a: float, b: float) -> float:
        with self._lock:
            value = super().uniform(a, b)
            self.draws.append((a, b, value))
            return value


def may_apply(fault: str) -> bool:
    """Whether an attempt that met `fault` may have been applied (a server error may follow
    an applied request)."""
    return fault in APPLIED_FAULTS or fault in ("internal_error", "unavailable")


def cap(attempts: int) -> float:
    """The longest delay the policy allows after `attempts` attempts."""
    return min(FAST_RETRIES.max_delay, FAST_RETRIES.base_delay * 2 ** (attempts - 1))


def requests_of(body: bytes) -> list[Any]:
    """The write requests or keys of a batch call's body."""
    ((entry,),) = [json.loads(body)["RequestItems"].values()]
    return list(entry) if isinstance(entry, list) else list(entry["Keys"])


def written_key(request: dict[str, Any]) -> str:
    return str(request["PutRequest"]["Item"]["PK"]["S"])


def applies(backend: str, path: str, fault: str) -> bool:
    """Whether a fault on a path says something on a backend; only those cases are collected.

    The full matrix runs in process; over HTTP, MiniStack proves what only a server honouring
    ClientRequestToken can: lost responses, transactions included (moto ignores the token, so
    the retry of an applied transaction is applied again there, or fails its conditions).
    """
    case = PATHS[path]
    if backend == "moto_server" or (backend == "ministack" and fault not in APPLIED_FAULTS):
        return False
    if fault in BATCH_FAULTS and case.operation not in BATCH_OPERATIONS:
        return False  # only batch calls hand back unprocessed items or keys
    if fault == "conflict" and case.operation == "BatchWriteItem":
        return False  # batch writes take part in no transaction
    return not (fault in APPLIED_FAULTS and case.transaction and backend != "ministack")


CASES = [
    pytest.param(backend, path, fault, mode, id=f"{path}-{fault}-{mode}-{backend}")
    for backend in SELECTED
    for path in PATHS
    for fault in FAULTS
    for mode in ("once", "always")
    if applies(backend, path, fault)
]


# Module-scoped parameters: the cases of a backend run together, sharing its `fault_backend`.
@pytest.mark.parametrize(("backend", "path", "fault", "mode"), CASES, scope="module")
def test_fault(
    backend: str,
    shared: FaultBackend,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    fault: str,
    mode: str,
) -> None:
    case = PATHS[path]
    repo = shared.make_repo(case.example)
    before = snapshot(repo)
    expected, after = shared.reference(path)
    injector = FaultInjector(repo.table.client)
    jitter = RecordingJitter()
    monkeypatch.setattr(retry_module, "_JITTER", jitter)
    backoffs: list[tuple[int, float]] = []  # (attempts made, delay), as each retry waits
    repo.table.on_retry = lambda attempts, _, delay: backoffs.append((attempts, delay))
    per_call = FAST_RETRIES.max_attempts
    times = 1 if mode == "once" else per_call * case.fanout
    injector.arm(case.operation, fault, times=times)
    raised: BaseException | None = None
    if mode == "once" or (fault in APPLIED_FAULTS and case.retry_recognises_itself):
        assert comparable(case.act(repo)) == expected
        assert snapshot(repo) == after
        assert len(injector.injected) == 1  # the retry went through
    else:
        with pytest.raises((RetriesExhaustedError, BatchIncompleteError)) as caught:
            case.act(repo)
        error = raised = caught.value
        state = snapshot(repo)
        assert len(injector.injected) == times  # every attempt (of every shard's Query) failed
        if fault in BATCH_FAULTS:
            assert isinstance(error, BatchIncompleteError) and error.__cause__ is None
            check_unprocessed(case, injector, error, before, state, after)
        else:
            if isinstance(error, BatchIncompleteError):
                # Not atomic: whatever is missing is listed (a chunk whose answer was lost
                # may be written and listed too: writing it again is harmless).
                listed = {written_key(r) for r in error.unprocessed}
                assert set(before) <= set(state) <= set(after)
                assert all(pk in listed for pk, _, _ in set(after) - set(state))
                if fault not in APPLIED_FAULTS:
                    assert state == before  # the first chunk already failed, unsent
                error = error.__cause__  # type: ignore[assignment]
            assert isinstance(error, RetriesExhaustedError)
            assert error.operation == case.operation
            assert error.may_have_applied is may_apply(fault)
            if case.operation == "BatchWriteItem":
                pass  # checked above: a batch is not atomic
            elif fault in APPLIED_FAULTS and case.writes:
                assert state == after  # applied once, by the first attempt
            else:
                assert state == before  # refused before it was sent
    if fault in BATCH_FAULTS:
        # Each retry sent exactly what the attempt before it was handed back.
        for number, left in enumerate(injector.left):
            if number + 1 < len(injector.bodies):
                assert requests_of(injector.bodies[number + 1]) == left
    elif case.fanout > 1:
        # Each shard's Query was resent unchanged; when it kept failing, on every attempt.
        sent, faulted = Counter(injector.bodies), Counter(injector.faulted)
        assert all(sent[body] >= min(n + 1, per_call) for body, n in faulted.items())
        if raised is not None:
            assert sorted(faulted.values()) == [per_call] * case.fanout
    else:
        # Every retry resent the very same request (for a transaction: the same token); a
        # batch moves on to its next chunk afterwards.
        retried = injector.bodies[: len(injector.injected) + 1]
        assert len(retried) >= min(2, times)
        if case.guarded_resend and may_apply(fault):
            assert len(set(retried[1:])) == 1 and retried[1] != retried[0]
        else:
            assert len(set(retried)) == 1
    # Retries are bounded by the policy, and each waited a delay the policy drew with full
    # jitter, uniform(0, min(max_delay, base_delay * 2 ** retry)): one wait per fault that
    # was retried, none after a call's last attempt.
    gave_up = case.fanout if raised is not None else 0  # calls that ended in their last attempt
    assert len(backoffs) == len(injector.injected) - gave_up
    assert all(1 <= attempts < per_call for attempts, _ in backoffs)
    assert all(low == 0.0 for low, _, _ in jitter.draws)
    drawn = Counter((high, value) for _, high, value in jitter.draws)
    assert drawn == Counter((cap(attempts), delay) for attempts, delay in backoffs)
    injector.disarm()
    INJECTED.extend((backend, path, fault, mode) for _ in injector.injected)


def check_unprocessed(
    case: PathCase,
    injector: FaultInjector,
    error: BatchIncompleteError,
    before: list[Any],
    state: list[Any],
    after: list[Any],
) -> None:
    """Every batch call handed part of its request back: the error lists exactly what was
    not done, and the table holds exactly what DynamoDB was sent (and processed)."""
    processed = [request for sent in injector.forwarded for request in sent]
    if case.operation == "BatchGetItem":
        requested = requests_of(injector.bodies[0])
        assert error.unprocessed == injector.left[-1]  # the keys the last attempt left
        assert sorted(map(repr, [*processed, *error.unprocessed])) == sorted(map(repr, requested))
        assert state == before
        return
    listed = [written_key(r) for r in error.unprocessed]
    missing = {pk for pk, _, _ in set(after) - set(state)}
    written = {pk for pk, _, _ in set(state) - set(before)}
    assert set(before) <= set(state) <= set(after)
    assert sorted(listed) == sorted(missing)  # nothing dropped, nothing listed that was done
    assert written == {written_key(r) for r in processed}
    # first what the last attempt was handed back, then every chunk never sent
    assert listed[: len(injector.left[-1])] == [written_key(r) for r in injector.left[-1]]
