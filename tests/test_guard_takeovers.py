"""Taking over a stale unique guard is safe against its owner changing meanwhile: the takeover
checks, in its transaction, that the owner still does not hold the value (the fixtures and
spec are those of `test_ttl.py`)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from dynamodel import UniqueValueTakenError
from dynamodel.runtime import guards
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
    table = repo._table
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
    assert type(raised.value) is UniqueValueTakenError  # the public type, not an internal one
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
    raw = repo._table.client
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
