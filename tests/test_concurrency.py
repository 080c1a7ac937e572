"""Concurrent writers and lost responses.

- Deterministic races, on every backend (moto in-process too, so they run in the quick loop):
  another writer acts between a write's read and its conditional write (`RacesAfterRead`),
  and the write must fail typed, without writing anything: a save whose item was deleted
  meanwhile (NotFoundError, no member brought back), a save whose item another writer saved
  or created meanwhile and a delete whose item was saved meanwhile (VersionConflictError),
  on the single-item path and in transactions.
- 8 threads increment one aggregate through read-modify-save: every conflict surfaces as a
  VersionConflictError, the writer re-reads and tries again, and no update is lost. This runs
  on MiniStack only: moto (in-process or moto_server) evaluates a transaction's conditions
  and applies its writes without isolation between threads, and two concurrent saves of the
  same version were both seen to succeed there (a lost update that real DynamoDB, and
  MiniStack, prevent). The deterministic races above cover the same conditions on moto.
- A transaction whose response is lost is retried by the runtime with the same
  ClientRequestToken and applies once (MiniStack honours tokens; moto, in-process or
  moto_server, ignores them: there only the same token is checked).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from botocore.exceptions import ConnectionClosedError

from dynamodel import NotFoundError, VersionConflictError
from dynamodel.runtime.retry import RetryPolicy

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "examples" / "tracker" / "generated")
)

from tracker import ChecklistItem, Ticket, TrackerRepository, User

THREADS = 8
INCREMENTS = 5


@pytest.fixture
def repo(dynamodb_client: Any, table_name: str) -> Iterator[TrackerRepository]:
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


@pytest.mark.backends("ministack")  # moto does not isolate concurrent transactions (docstring)
def test_no_update_is_lost_under_contention(backend: str, repo: TrackerRepository) -> None:
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
    backend: str, dynamodb_client: Any, table_name: str
) -> None:
    lossy = LosesFirstResponse(dynamodb_client)
    repo = TrackerRepository(
        client=lossy, table_name=table_name, retry=RetryPolicy(base_delay=0.001)
    )
    repo.create_table()
    if backend in ("moto", "moto_server"):
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


# -- deterministic races: another writer between a write's read and its conditional write -----


class RacesAfterRead:
    """A client that runs one action of another writer right after the next read (GetItem or
    Query) returns: the write that read it then meets a table that changed since."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._then: Callable[[], object] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def after_next_read(self, action: Callable[[], object]) -> None:
        self._then = action

    def _read(self, operation: str, request: dict[str, Any]) -> Any:
        response = getattr(self._client, operation)(**request)
        if self._then is not None:
            action, self._then = self._then, None
            action()
        return response

    def get_item(self, **request: Any) -> Any:
        return self._read("get_item", request)

    def query(self, **request: Any) -> Any:
        return self._read("query", request)


class Racing(NamedTuple):
    repo: TrackerRepository  # the repository under test, through `client`
    other: TrackerRepository  # the other writer's
    client: RacesAfterRead

    def race(self, action: Callable[[], object]) -> None:
        self.client.after_next_read(action)

    def items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.client.scan(TableName=self.repo.table_name)["Items"]
        return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


@pytest.fixture
def racing(dynamodb_client: Any, table_name: str) -> Racing:
    other = TrackerRepository(client=dynamodb_client, table_name=table_name)
    other.create_table()
    client = RacesAfterRead(dynamodb_client)
    return Racing(TrackerRepository(client=client, table_name=table_name), other, client)


def _user(email: str) -> User:
    return User(user_id="u1", email=email, display_name="Ada")


def test_a_save_whose_aggregate_was_deleted_meanwhile_raises_not_found(
    racing: Racing,
) -> None:
    repo, other = racing.repo, racing.other
    ticket = repo.create_ticket(_ticket())
    ticket.checklist.append(ChecklistItem(workspace_id="w1", ticket_no=1, position=2, text="b"))
    racing.race(lambda: other.delete_ticket(workspace_id="w1", ticket_no=1))
    with pytest.raises(NotFoundError) as info:
        repo.save_ticket(ticket)
    assert info.value.entity == "Ticket"
    assert racing.items() == []  # no member brought back without its root


def test_a_save_whose_aggregate_was_saved_meanwhile_raises_version_conflict(
    racing: Racing,
) -> None:
    repo, other = racing.repo, racing.other
    ticket = repo.create_ticket(_ticket())
    theirs = ticket.model_copy(update={"title": "theirs"})
    racing.race(lambda: other.save_ticket(theirs))
    ticket.title = "mine"
    with pytest.raises(VersionConflictError) as info:
        repo.save_ticket(ticket)
    assert (info.value.expected, info.value.found) == (1, 2)
    assert info.value.key == "PK='Ticket#w1#P5011' SK='#Ticket'"
    assert str(info.value) == (
        "Ticket(workspace_id='w1', ticket_no=1) changed since it was read: "
        "expected version 1, found 2"
    )
    stored = other.get_ticket(workspace_id="w1", ticket_no=1)
    assert stored is not None and (stored.title, stored.version) == ("theirs", 2)


def test_a_save_of_a_new_aggregate_created_meanwhile_raises_version_conflict(
    racing: Racing,
) -> None:
    repo, other = racing.repo, racing.other
    theirs = _ticket().model_copy(update={"title": "theirs"})
    racing.race(lambda: other.create_ticket(theirs))
    with pytest.raises(VersionConflictError) as info:
        repo.save_ticket(_ticket())
    assert (info.value.expected, info.value.found) == (0, 1)
    stored = other.get_ticket(workspace_id="w1", ticket_no=1)
    assert stored is not None and (stored.title, stored.version) == ("theirs", 1)


def test_a_delete_whose_aggregate_was_saved_meanwhile_raises_version_conflict(
    racing: Racing,
) -> None:
    repo, other = racing.repo, racing.other
    ticket = repo.create_ticket(_ticket())
    racing.race(lambda: other.save_ticket(ticket.model_copy(update={"title": "theirs"})))
    with pytest.raises(VersionConflictError) as info:
        repo.delete_ticket(workspace_id="w1", ticket_no=1)
    assert (info.value.expected, info.value.found) == (1, 2)
    stored = other.get_ticket(workspace_id="w1", ticket_no=1)
    assert stored is not None and stored.title == "theirs" and len(stored.checklist) == 1


@pytest.mark.parametrize("new_email", ["ada@example.com", "ada@example.org"])
def test_a_save_of_a_unique_owner_deleted_meanwhile_raises_typed(
    racing: Racing, new_email: str
) -> None:
    # Unchanged email: one conditional PutItem; changed: a transaction moving the guard.
    repo, other = racing.repo, racing.other
    repo.create_user(_user("ada@example.com"))
    racing.race(lambda: other.delete_user(user_id="u1"))
    with pytest.raises((NotFoundError, VersionConflictError)) as info:
        repo.save_user(_user(new_email))
    assert info.value.entity == "User"
    if isinstance(info.value, VersionConflictError):
        assert str(info.value).endswith("another writer changed or created it since it was read")
    assert racing.items() == []  # neither the user nor a guard was written


def test_a_single_item_save_that_lost_a_race_says_which_version_it_found(
    racing: Racing,
) -> None:
    # No members: the save is one conditional PutItem, which must ask for the stored item.
    repo, other = racing.repo, racing.other
    ticket = repo.create_ticket(_ticket().model_copy(update={"checklist": []}))
    racing.race(lambda: other.save_ticket(ticket.model_copy(update={"title": "theirs"})))
    with pytest.raises(VersionConflictError) as info:
        repo.save_ticket(ticket)
    assert (info.value.expected, info.value.found) == (1, 2)
