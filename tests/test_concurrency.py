"""Concurrent writers and lost responses, on the HTTP backends.

- 8 threads increment one aggregate through read-modify-save: every conflict surfaces as a
  VersionConflictError, the writer re-reads and tries again, and no update is lost. This runs
  on MiniStack: moto_server evaluates a transaction's conditions and applies its writes
  without isolation between request threads, and two concurrent saves of the same version
  were both seen to succeed there (a lost update that real DynamoDB, and MiniStack, prevent).
- A transaction whose response is lost is retried by the runtime with the same
  ClientRequestToken and applies once (MiniStack honours tokens; moto ignores them).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError

from dynamodel import VersionConflictError
from dynamodel.runtime.retry import RetryPolicy

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "examples" / "tracker" / "generated")
)

from tracker import ChecklistItem, Ticket, TrackerRepository

THREADS = 8
INCREMENTS = 5


@pytest.fixture
def http_backend(backend: str) -> str:
    if backend == "moto":
        pytest.skip("concurrency is tested over HTTP (MiniStack, moto_server)")
    return backend


@pytest.fixture
def repo(http_backend: str, dynamodb_client: Any, table_name: str) -> Iterator[TrackerRepository]:
    repository = TrackerRepository(client=dynamodb_client, table_name=table_name)
    repository.create_table()
    yield repository


def _ticket() -> Ticket:
    return Ticket(
        workspace_id="w1",
        ticket_no=1,
        title="counter",
        status="open",
        priority=0,
        updated_at=datetime(2026, 11, 28, tzinfo=UTC),
        checklist=[ChecklistItem(workspace_id="w1", ticket_no=1, position=1, text="a")],
    )


def test_no_update_is_lost_under_contention(http_backend: str, repo: TrackerRepository) -> None:
    if http_backend != "ministack":
        pytest.skip("moto_server does not isolate concurrent transactions (see the docstring)")
    repo.create_ticket(_ticket())
    conflicts = 0
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        nonlocal conflicts
        try:
            for _ in range(INCREMENTS):
                while True:
                    current = repo.get_ticket(workspace_id="w1", ticket_no=1)
                    assert current is not None
                    current.priority += 1
                    try:
                        repo.save_ticket(current)
                        break
                    except VersionConflictError:
                        with lock:
                            conflicts += 1
        except BaseException as error:  # surfaced below: a thread must not fail silently
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    final = repo.get_ticket(workspace_id="w1", ticket_no=1)
    assert final is not None
    assert final.priority == THREADS * INCREMENTS
    assert final.version == THREADS * INCREMENTS + 1
    assert [c.position for c in final.checklist] == [1]
    print(
        f"\ncontention: {THREADS} threads x {INCREMENTS} saves, {conflicts} version conflicts, "
        f"0 lost updates"
    )


class LosesFirstResponse:
    """A client that sends the first transaction, then reports the connection as closed."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.tokens: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **request: Any) -> Any:
        self.tokens.append(request["ClientRequestToken"])
        response = self._client.transact_write_items(**request)
        if len(self.tokens) == 1:
            raise ConnectionClosedError(endpoint_url="http://lost")
        return response


def test_a_retried_transaction_applies_once(
    http_backend: str, dynamodb_client: Any, table_name: str
) -> None:
    lossy = LosesFirstResponse(dynamodb_client)
    repo = TrackerRepository(
        client=lossy, table_name=table_name, retry=RetryPolicy(base_delay=0.001)
    )
    repo.create_table()
    if http_backend == "moto_server":
        # moto ignores ClientRequestToken: the retry is applied again and its version check
        # fails. The runtime's part — the same token on the retry — is checked all the same.
        with pytest.raises(VersionConflictError):
            repo.save_ticket(_ticket())
        assert len(lossy.tokens) == 2 and lossy.tokens[0] == lossy.tokens[1]
        return
    saved = repo.save_ticket(_ticket())
    assert saved.version == 1
    assert len(lossy.tokens) == 2 and lossy.tokens[0] == lossy.tokens[1]
    stored = repo.get_ticket(workspace_id="w1", ticket_no=1)
    assert stored is not None and stored.version == 1
