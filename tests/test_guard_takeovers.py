"""Taking over a stale unique guard is safe against its owner changing meanwhile: the takeover
checks, in its transaction, that the owner still does not hold the value (the fixtures and
spec are those of `test_ttl.py`)."""

from __future__ import annotations

from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from dynamodel import UniqueValueTakenError
from dynamodel.runtime import guards
from dynamodel.runtime.schema import UniqueGuardSpec
from dynamodel.runtime.transact import Action
from tests.test_ttl import GUARD_KEY, badge_key, make_badge, passes, repo, stored

__all__ = ["passes", "repo"]  # fixtures, used by name


def test_an_owner_that_takes_its_value_back_keeps_it(
    passes: ModuleType, repo: Any, dynamodb_client: Any, table_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """p2 finds C-1 taken by p1 and reads p1 while p1 holds C-9 (so the guard looks stale);
    before p2's takeover is sent, p1 takes C-1 back. The takeover must fail: before the owner
    check, p2 took the guard over and both held C-1."""
    other = passes.PassesRepository(
        client=dynamodb_client, table_name=table_name, cursor_key="k" * 32
    )
    repo.create_badge(make_badge(passes, "p1"))
    repo.create_badge(make_badge(passes, "p2", code="C-2"))
    table = repo.table
    read = table.get_item
    moves: list[str] = []

    def get_item(key: Any, **kwargs: Any) -> Any:
        if key == badge_key("p1") and not moves:
            other.update_badge(badge_id="p1", code="C-9")  # p1 moves away just before the read
            moves.append("away")
        return read(key, **kwargs)

    found = guards.stale_guard

    def then_back(*args: Any, **kwargs: Any) -> guards.StaleGuard | None:
        stale = found(*args, **kwargs)
        if moves == ["away"]:
            other.update_badge(badge_id="p1", code="C-1")  # and back, before the takeover
            moves.append("back")
        return stale

    monkeypatch.setattr(table, "get_item", get_item)
    monkeypatch.setattr(guards, "stale_guard", then_back)
    with pytest.raises(UniqueValueTakenError, match="C-1") as raised:
        repo.update_badge(badge_id="p2", code="C-1")
    error = raised.value
    assert type(error) is UniqueValueTakenError  # the public type, not an internal one
    assert str(error) == "Badge code='C-1' is already taken (held by Badge#p1 #Badge)"
    assert (error.entity, error.attributes, error.values) == ("Badge", ("code",), ("C-1",))
    assert moves == ["away", "back"]
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p1\n#Badge"}  # type: ignore[index]
    assert stored(repo, badge_key("p1"))["code"] == {"S": "C-1"}  # type: ignore[index]
    assert stored(repo, badge_key("p2"))["code"] == {"S": "C-2"}  # type: ignore[index]


def test_an_owner_that_moves_on_again_is_read_again_and_the_guard_taken_over(
    passes: ModuleType, repo: Any, dynamodb_client: Any, table_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The owner changes between the read and the takeover but still does not hold the
    value: the owner check fails, the owner is read again, and the takeover succeeds."""
    other = passes.PassesRepository(
        client=dynamodb_client, table_name=table_name, cursor_key="k" * 32
    )
    repo.create_badge(make_badge(passes, "p1"))
    repo.create_badge(make_badge(passes, "p2", code="C-2"))
    # A stale guard: p1's item holds C-5 while the guard of C-1 still names it.
    raw = repo.table.client
    raw.update_item(
        TableName=table_name,
        Key=badge_key("p1"),
        UpdateExpression="SET code = :c",
        ExpressionAttributeValues={":c": {"S": "C-5"}},
    )
    found = guards.stale_guard
    reads: list[str | None] = []

    def moving(*args: Any, **kwargs: Any) -> guards.StaleGuard | None:
        stale = found(*args, **kwargs)
        reads.append(stale.holder if stale is not None else None)
        if len(reads) == 1:
            other.update_badge(badge_id="p1", code="C-6")  # still not C-1, but changed
        return stale

    monkeypatch.setattr(guards, "stale_guard", moving)
    repo.update_badge(badge_id="p2", code="C-1")
    assert reads == ["Badge#p1\n#Badge", "Badge#p1\n#Badge"]
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p2\n#Badge"}  # type: ignore[index]


def test_a_guard_naming_the_item_written_is_taken_over_without_a_check(
    passes: ModuleType, repo: Any
) -> None:
    """A stale guard of the new value names the very item an update writes: the update's own
    write decides what the item holds, and a check of it in the same transaction would be a
    second operation on one item, which DynamoDB refuses."""
    repo.create_badge(make_badge(passes, "p1", code="C-2"))
    stale = guards.guard_item(GUARD_KEY, badge_schema(repo), badge_key("p1"))
    repo.table.client.put_item(TableName=repo.table_name, Item=stale)
    repo.update_badge(badge_id="p1", code="C-1")
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p1\n#Badge"}  # type: ignore[index]
    assert stored(repo, badge_key("p1"))["code"] == {"S": "C-1"}  # type: ignore[index]


def badge_schema(repo: Any) -> Any:
    return next(s for s in repo.SCHEMAS.values() if s.name == "Badge")


def _claim(pk: str, sk: str) -> Action:
    return Action(
        kind="Put",
        request=guards.claim_request({"PK": {"S": pk}, "SK": {"S": sk}}, ttl="ttl", now=5),
        on_condition_failed=lambda reason: UniqueValueTakenError("x"),
        entity="Thing",
    )


def test_each_owner_is_checked_once_with_the_values_read() -> None:
    """Two guards of one owner give one check; a guard of another owner, its own. Each check
    holds what was read: gone (absent or expired), or there with the values (an attribute it
    lacks must still be absent)."""
    schema = SimpleNamespace(name="Thing", ttl="ttl")
    by_email = UniqueGuardSpec(attributes=("email",), key=lambda obj: None)
    by_name = UniqueGuardSpec(attributes=("name", "team"), key=lambda obj: None)
    by_code = UniqueGuardSpec(attributes=("code",), key=lambda obj: None)
    obj = SimpleNamespace(email="e", name="n", team="t", code="c")
    claims = [_claim("E#e", "E"), _claim("N#n", "N"), _claim("C#c", "C")]
    first = {"PK": {"S": "Thing#1"}, "SK": {"S": "#Thing"}}
    second = {"PK": {"S": "Thing#2"}, "SK": {"S": "#Thing"}}
    takeovers = {
        ("E#e", "E"): guards.StaleGuard("Thing#1\n#Thing", first, {"email": {"S": "old"}}),
        ("N#n", "N"): guards.StaleGuard(
            "Thing#1\n#Thing", first, {"name": {"S": "m"}, "team": None}
        ),
        ("C#c", "C"): guards.StaleGuard("Thing#2\n#Thing", second, None),
    }
    guard_of = {("E#e", "E"): by_email, ("N#n", "N"): by_name, ("C#c", "C"): by_code}
    sent = guards.with_takeovers(schema, guard_of, obj, claims, takeovers, now=7)  # type: ignore[arg-type]
    puts, checks = sent[:3], sent[3:]
    for put in puts:  # each claim is a takeover: absent, expired, or still the owner read
        assert put.request["ConditionExpression"] == (
            "(attribute_not_exists(#pk) OR #ttl < :now) OR #owner = :holder"
        )
    assert [(c.kind, c.entity, c.request["Key"]) for c in checks] == [
        ("ConditionCheck", "Thing", first),
        ("ConditionCheck", "Thing", second),
    ]
    assert checks[0].request == {
        "Key": first,
        "ConditionExpression": (
            "NOT (attribute_not_exists(#pk) OR #ttl < :now) AND #o2 = :o1 "
            "AND #o3 = :o2 AND attribute_not_exists(#o4)"
        ),
        "ExpressionAttributeNames": {
            "#pk": "PK", "#ttl": "ttl", "#o2": "email", "#o3": "name", "#o4": "team",
        },
        "ExpressionAttributeValues": {":now": {"N": "7"}, ":o1": {"S": "old"}, ":o2": {"S": "m"}},
    }  # fmt: skip
    assert checks[1].request["ConditionExpression"] == "(attribute_not_exists(#pk) OR #ttl < :now)"
    changed = checks[1].on_condition_failed({})
    assert isinstance(changed, UniqueValueTakenError) and changed.entity == "Thing"
    assert str(changed) == "Thing code='c' is already taken (held by Thing#2 #Thing)"


def test_without_a_ttl_an_owner_is_there_or_absent() -> None:
    schema = SimpleNamespace(name="Thing", ttl=None)
    there = guards.StaleGuard("h", {}, {"email": {"S": "old"}})
    gone = guards.StaleGuard("h", {}, None)
    assert guards.owner_condition(schema, [there], now=7) == (  # type: ignore[arg-type]
        "attribute_exists(#pk) AND #o1 = :o0",
        {"#pk": "PK", "#o1": "email"},
        {":o0": {"S": "old"}},
    )
    assert guards.owner_condition(schema, [gone], now=7) == (  # type: ignore[arg-type]
        "attribute_not_exists(#pk)",
        {"#pk": "PK"},
        {},
    )


def test_an_owner_that_keeps_changing_is_read_three_times_at_most(
    passes: ModuleType, repo: Any, dynamodb_client: Any, table_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    other = passes.PassesRepository(
        client=dynamodb_client, table_name=table_name, cursor_key="k" * 32
    )
    repo.create_badge(make_badge(passes, "p1"))
    repo.create_badge(make_badge(passes, "p2", code="C-2"))
    raw = repo.table.client
    raw.update_item(  # the guard of C-1 goes stale: p1's item holds C-5
        TableName=table_name,
        Key=badge_key("p1"),
        UpdateExpression="SET code = :c",
        ExpressionAttributeValues={":c": {"S": "C-5"}},
    )
    found = guards.stale_guard
    reads: list[object] = []

    def changing(*args: Any, **kwargs: Any) -> guards.StaleGuard | None:
        stale = found(*args, **kwargs)
        reads.append(stale)
        assert len(reads) <= 5, "the owner is read again and again"
        other.update_badge(badge_id="p1", code=f"C-{10 + len(reads)}")  # after every read
        return stale

    monkeypatch.setattr(guards, "stale_guard", changing)
    with pytest.raises(UniqueValueTakenError, match="held by Badge#p1"):
        repo.update_badge(badge_id="p2", code="C-1")
    assert len(reads) == guards.OWNER_READS == 3
    assert stored(repo, badge_key("p2"))["code"] == {"S": "C-2"}  # type: ignore[index]
