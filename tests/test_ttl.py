"""TTL with unique guards, on every backend: guards expire with their owner, a guard whose
owner is gone (TTL-deleted, expired but not yet deleted, or deleted some other way) is claimed
again, exactly once under a race, and reads hide expired items.

DynamoDB's TTL deletion is simulated by deleting items with a raw client; "expired but not yet
deleted" is an item whose TTL attribute is in the past (no backend here deletes expired items
within a test). The spec: `Badge` has a TTL attribute and a unique `code`, members (`Visit`),
an index page and a view.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from dynamodel import AlreadyExistsError, DynamodelError, NotFoundError, UniqueValueTakenError
from dynamodel.runtime import guards
from tests.test_repository_oracle import spec_package
from tests.threads import outcomes_of

SPEC = """\
version: 1
table: Passes
entities:
  Holder:
    id: [holder_id]
    attributes:
      holder_id: str
      name: str
  Badge:
    id: [badge_id]
    attributes:
      badge_id: str
      code: str
      holder_id: str
      expires_at: {type: datetime, optional: true, ttl: true}
    unique: [code]
    members:
      visits: Visit
  Token:
    id: [token_id]
    attributes:
      token_id: str
      expires_at: {type: int, ttl: true}
  Visit:
    id: [badge_id, seq]
    attributes:
      badge_id: str
      seq: int
      gate: str
access_patterns:
  get_holder: {entity: Holder, by: [holder_id]}
  get_token: {entity: Token, by: [token_id]}
  get_badge: {entity: Badge, by: [badge_id]}
  badge_by_code: {entity: Badge, by: [code]}
  badges_of_holder: {entity: Badge, by: [holder_id], sort: badge_id}
  holder_with_badges: {view: {holder: Holder, badges: [Badge]}, by: [holder_id]}
"""

# Relative to the real clock: the backends compare TTL conditions with the `:now` we send.
PAST = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
FUTURE = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3650)
GUARD_KEY = {"PK": {"S": "Badge.code#C-1"}, "SK": {"S": "Badge.code"}}


@pytest.fixture(scope="module")
def passes(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "passes", SPEC)


@pytest.fixture
def repo(passes: ModuleType, dynamodb_client: Any, table_name: str) -> Iterator[Any]:
    repository = passes.PassesRepository(
        client=dynamodb_client, table_name=table_name, cursor_key="k" * 32
    )
    repository.create_table()
    yield repository


def make_badge(passes: ModuleType, badge_id: str, **changes: Any) -> Any:
    values: dict[str, Any] = {
        "badge_id": badge_id,
        "code": "C-1",
        "holder_id": "h1",
        "expires_at": FUTURE,
        "visits": [passes.Visit(badge_id=badge_id, seq=s, gate=f"g{s}") for s in (1, 2)],
    }
    values.update(changes)
    return passes.Badge(**values)


def raw(repo: Any) -> Any:
    return repo.table.client


def stored(repo: Any, key: dict[str, Any]) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        raw(repo).get_item(TableName=repo.table_name, Key=key, ConsistentRead=True).get("Item")
    )
    return item


def badge_key(badge_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"Badge#{badge_id}"}, "SK": {"S": "#Badge"}}


def epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


# -- guards expire with their owner ---------------------------------------------------------
def test_guards_carry_the_owners_ttl_and_follow_its_changes(passes: ModuleType, repo: Any) -> None:
    repo.create_badge(make_badge(passes, "p1"))
    guard = stored(repo, GUARD_KEY)
    assert guard is not None and guard["expires_at"] == {"N": epoch(FUTURE)}
    later = FUTURE + timedelta(days=1)
    repo.update_badge(badge_id="p1", expires_at=later)
    assert stored(repo, GUARD_KEY)["expires_at"] == {"N": epoch(later)}  # type: ignore[index]
    current = repo.get_badge(badge_id="p1")
    repo.save_badge(current.model_copy(update={"expires_at": FUTURE}))
    assert stored(repo, GUARD_KEY)["expires_at"] == {"N": epoch(FUTURE)}  # type: ignore[index]
    repo.update_badge(badge_id="p1", expires_at=None)
    assert "expires_at" not in stored(repo, GUARD_KEY)  # type: ignore[operator]
    moved = FUTURE + timedelta(days=2)
    repo.update_badge(badge_id="p1", code="C-2", expires_at=moved)
    assert stored(repo, GUARD_KEY) is None
    new_guard = stored(repo, {"PK": {"S": "Badge.code#C-2"}, "SK": {"S": "Badge.code"}})
    assert new_guard is not None and new_guard["expires_at"] == {"N": epoch(moved)}


# -- a guard whose owner is gone can be claimed again ---------------------------------------
def test_a_value_is_free_again_once_ttl_deleted_its_owner(passes: ModuleType, repo: Any) -> None:
    repo.create_badge(make_badge(passes, "p1"))
    # DynamoDB's TTL deletes each item on its own schedule: here the owner went first.
    raw(repo).delete_item(TableName=repo.table_name, Key=badge_key("p1"))
    repo.create_badge(make_badge(passes, "p2"))
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p2\n#Badge"}  # type: ignore[index]
    assert repo.badge_by_code(code="C-1").badge_id == "p2"


def test_a_value_is_free_again_once_its_owner_expired(passes: ModuleType, repo: Any) -> None:
    repo.create_badge(make_badge(passes, "p1", expires_at=PAST))  # expired, not yet deleted
    repo.create_badge(make_badge(passes, "p2"))
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p2\n#Badge"}  # type: ignore[index]


def test_a_unique_lookup_reads_past_expired_holders(passes: ModuleType, repo: Any) -> None:
    repo.create_badge(make_badge(passes, "p1", expires_at=PAST))
    repo.create_badge(make_badge(passes, "p2", expires_at=PAST))  # C-1 again: p1 expired
    repo.create_badge(make_badge(passes, "p3"))  # and again: p2 expired
    assert repo.badge_by_code(code="C-1").badge_id == "p3"


def test_a_guard_without_ttl_is_taken_over_from_an_expired_owner(
    passes: ModuleType, repo: Any
) -> None:
    repo.create_badge(make_badge(passes, "p1", expires_at=PAST))
    # A guard written before guards carried the TTL (or by a migration): only the owner tells.
    raw(repo).update_item(
        TableName=repo.table_name,
        Key=GUARD_KEY,
        UpdateExpression="REMOVE expires_at",
    )
    repo.create_badge(make_badge(passes, "p2"))
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p2\n#Badge"}  # type: ignore[index]


def test_a_guard_left_behind_by_an_owner_that_moved_on_is_taken_over(
    passes: ModuleType, repo: Any
) -> None:
    repo.create_badge(make_badge(passes, "p1"))
    # The owner holds another value now, but its old guard stayed (written by other code).
    raw(repo).update_item(
        TableName=repo.table_name,
        Key=badge_key("p1"),
        UpdateExpression="SET code = :c",
        ExpressionAttributeValues={":c": {"S": "C-9"}},
    )
    repo.create_badge(make_badge(passes, "p2"))
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p2\n#Badge"}  # type: ignore[index]


def test_a_value_held_by_a_live_owner_stays_taken(passes: ModuleType, repo: Any) -> None:
    repo.create_badge(make_badge(passes, "p1"))
    with pytest.raises(UniqueValueTakenError, match="held by Badge#p1"):
        repo.create_badge(make_badge(passes, "p2"))
    with pytest.raises(UniqueValueTakenError):
        repo.save_badge(make_badge(passes, "p3"))
    repo.create_badge(make_badge(passes, "p4", code="C-4"))
    with pytest.raises(UniqueValueTakenError):
        repo.update_badge(badge_id="p4", code="C-1")
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p1\n#Badge"}  # type: ignore[index]
    assert stored(repo, badge_key("p2")) is None and stored(repo, badge_key("p3")) is None


def test_update_and_save_claim_a_stale_guard_too(passes: ModuleType, repo: Any) -> None:
    repo.create_badge(make_badge(passes, "p1"))
    repo.create_badge(make_badge(passes, "p2", code="C-2"))
    raw(repo).delete_item(TableName=repo.table_name, Key=badge_key("p1"))
    repo.update_badge(badge_id="p2", code="C-1")
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p2\n#Badge"}  # type: ignore[index]
    raw(repo).delete_item(TableName=repo.table_name, Key=badge_key("p2"))
    repo.save_badge(make_badge(passes, "p3"))
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p3\n#Badge"}  # type: ignore[index]


def test_a_takeover_is_conditioned_on_the_exact_owner_it_found(
    passes: ModuleType, repo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two claimers both find the owner gone; the second one's takeover runs in between the
    first one's read and its write, so the first one's write must fail."""
    repo.create_badge(make_badge(passes, "p0"))
    raw(repo).delete_item(TableName=repo.table_name, Key=badge_key("p0"))
    found = guards.stale_guard
    calls = []

    def interleaved(*args: Any, **kwargs: Any) -> guards.StaleGuard | None:
        stale = found(*args, **kwargs)
        calls.append(stale.holder if stale is not None else None)
        if len(calls) == 1:
            repo.create_badge(make_badge(passes, "second"))  # reads, then takes over first
        return stale

    monkeypatch.setattr(guards, "stale_guard", interleaved)
    with pytest.raises(UniqueValueTakenError, match="held by Badge#second"):
        repo.create_badge(make_badge(passes, "first"))
    assert calls == ["Badge#p0\n#Badge", "Badge#p0\n#Badge"]  # each took over once
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#second\n#Badge"}  # type: ignore[index]
    assert stored(repo, badge_key("first")) is None


# In-process moto is not thread-safe; the interleaving test above runs on it.
# MiniStack only: moto_server does not isolate concurrent transactions (two claimers can both
# pass the guard's condition and both write; see docs/reliability.md, "Contention"). Under a
# loaded machine it gave two winners, or a loser's item beside the winner's guard.
@pytest.mark.backends("ministack")
def test_racing_claimers_of_a_stale_guard_one_wins(
    passes: ModuleType, repo: Any, backend: str
) -> None:
    repo.create_badge(make_badge(passes, "p0"))
    raw(repo).delete_item(TableName=repo.table_name, Key=badge_key("p0"))

    def claim(n: int, barrier: threading.Barrier) -> None:
        barrier.wait()
        repo.create_badge(make_badge(passes, f"r{n}"))

    outcomes = {f"r{n}": outcome for n, outcome in outcomes_of(8, claim).items()}
    winners = [name for name, error in outcomes.items() if error is None]
    assert len(winners) == 1, outcomes
    losers = [error for error in outcomes.values() if error is not None]
    # A loser saw the value taken, or lost a transaction conflict with the winner; all typed.
    assert all(isinstance(error, DynamodelError) for error in losers), losers
    assert sum(isinstance(e, UniqueValueTakenError) for e in losers) >= 1
    owner = stored(repo, GUARD_KEY)["_owner"]["S"]  # type: ignore[index]
    assert owner == f"Badge#{winners[0]}\n#Badge"
    for name in outcomes:
        assert (stored(repo, badge_key(name)) is not None) == (name in winners), outcomes


# -- reads hide expired items ---------------------------------------------------------------
def test_reads_hide_expired_items(passes: ModuleType, repo: Any) -> None:
    repo.create_holder(passes.Holder(holder_id="h1", name="Ada"))
    repo.create_badge(make_badge(passes, "p1", expires_at=PAST))
    repo.create_badge(make_badge(passes, "p2", code="C-2"))
    repo.create_badge(make_badge(passes, "p3", code="C-3", expires_at=None))
    assert repo.get_badge(badge_id="p1") is None
    assert repo.badge_by_code(code="C-1") is None
    page = repo.badges_of_holder(holder_id="h1", limit=10)
    assert [p.badge_id for p in page.items] == ["p2", "p3"]
    view = repo.holder_with_badges(holder_id="h1")
    assert [p.badge_id for p in view.badges] == ["p2", "p3"]
    # A page of one that lands on the expired item comes back empty, with a cursor on.
    first = repo.badges_of_holder(holder_id="h1", limit=1)
    assert first.items == [] and first.cursor is not None
    rest = repo.badges_of_holder(holder_id="h1", limit=5, cursor=first.cursor)
    assert [p.badge_id for p in rest.items] == ["p2", "p3"]
    with pytest.raises(NotFoundError):
        repo.update_badge(badge_id="p1", holder_id="h2")


def test_an_aggregate_drops_expired_members(passes: ModuleType, repo: Any) -> None:
    repo.create_badge(make_badge(passes, "p1"))
    # A member DynamoDB has not deleted yet, of an earlier life of this aggregate.
    raw(repo).update_item(
        TableName=repo.table_name,
        Key=passes._schema.visit_key("p1", 1),
        UpdateExpression="SET expires_at = :t",
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeValues={":t": {"N": epoch(PAST)}},
    )
    found = repo.get_badge(badge_id="p1")
    assert [v.seq for v in found.visits] == [2]


def test_an_expired_aggregate_is_replaced_by_a_create_or_save(
    passes: ModuleType, repo: Any
) -> None:
    repo.create_badge(make_badge(passes, "p1", expires_at=PAST))
    repo.create_badge(make_badge(passes, "p1", visits=[]))  # over the expired root and members
    found = repo.get_badge(badge_id="p1")
    assert found.version == 1 and found.visits == []
    raw(repo).update_item(
        TableName=repo.table_name,
        Key=badge_key("p1"),
        UpdateExpression="SET expires_at = :t",
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeValues={":t": {"N": epoch(PAST)}},
    )
    saved = repo.save_badge(make_badge(passes, "p1"))  # version 0: as for a new aggregate
    assert saved.version == 1
    assert [v.seq for v in repo.get_badge(badge_id="p1").visits] == [1, 2]


def test_the_clock_decides_what_has_expired(
    passes: ModuleType, repo: Any, dynamodb_client: Any
) -> None:
    repo.create_badge(make_badge(passes, "p1"))
    later = FUTURE.timestamp() + 1
    after = passes.PassesRepository(
        client=dynamodb_client, table_name=repo.table_name, clock=lambda: later
    )
    assert repo.get_badge(badge_id="p1") is not None
    assert after.get_badge(badge_id="p1") is None
    at_expiry = passes.PassesRepository(
        client=dynamodb_client, table_name=repo.table_name, clock=lambda: FUTURE.timestamp()
    )
    assert at_expiry.get_badge(badge_id="p1") is not None  # expired once the time is past it
    after.create_badge(make_badge(passes, "p2"))  # p1 has expired by this clock: C-1 is free
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p2\n#Badge"}  # type: ignore[index]
    assert time.time() < later


def test_a_single_item_create_replaces_an_expired_item(passes: ModuleType, repo: Any) -> None:
    past, future = int(PAST.timestamp()), int(FUTURE.timestamp())
    repo.create_token(passes.Token(token_id="t1", expires_at=past))  # an int TTL attribute
    assert repo.get_token(token_id="t1") is None
    repo.create_token(passes.Token(token_id="t1", expires_at=future))  # one conditional Put
    assert repo.get_token(token_id="t1").expires_at == future
    with pytest.raises(AlreadyExistsError):
        repo.create_token(passes.Token(token_id="t1", expires_at=future))


def test_batch_get_hides_expired_items(passes: ModuleType, repo: Any) -> None:
    repo.create_badge(make_badge(passes, "p1", expires_at=PAST))
    repo.create_badge(make_badge(passes, "p2", code="C-2"))
    found = repo.batch_get(passes.Badge, [{"badge_id": "p1"}, {"badge_id": "p2"}])
    assert found[0] is None and found[1].badge_id == "p2"


def test_deleting_an_expired_owner_leaves_the_guard_it_lost(passes: ModuleType, repo: Any) -> None:
    repo.create_badge(make_badge(passes, "p1", expires_at=PAST))
    repo.create_badge(make_badge(passes, "p2"))  # takes C-1 over from the expired p1
    repo.delete_badge(badge_id="p1")  # DynamoDB had not deleted it yet
    assert stored(repo, badge_key("p1")) is None
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p2\n#Badge"}  # type: ignore[index]
    assert repo.badge_by_code(code="C-1").badge_id == "p2"


def test_a_ttl_change_does_not_revive_expired_members(passes: ModuleType, repo: Any) -> None:
    repo.create_badge(make_badge(passes, "p1", expires_at=PAST))
    # Created again over the expired aggregate: its old visits stay behind, expired.
    repo.create_badge(make_badge(passes, "p1", visits=[]))
    repo.update_badge(badge_id="p1", expires_at=FUTURE + timedelta(days=1))
    assert repo.get_badge(badge_id="p1").visits == []


def test_a_migration_writes_guards_that_expire_with_their_owner(
    passes: ModuleType, repo: Any
) -> None:
    repo.create_badge(make_badge(passes, "p1"))
    raw(repo).delete_item(TableName=repo.table_name, Key=GUARD_KEY)
    repo.migrate_items(passes.Badge, guards=True)
    guard = stored(repo, GUARD_KEY)
    assert guard is not None and guard["expires_at"] == {"N": epoch(FUTURE)}


def test_create_table_turns_ttl_on_for_the_ttl_attribute(repo: Any) -> None:
    described = raw(repo).describe_time_to_live(TableName=repo.table_name)
    assert described["TimeToLiveDescription"]["TimeToLiveStatus"] in ("ENABLED", "ENABLING")
    assert described["TimeToLiveDescription"]["AttributeName"] == "expires_at"
