"""Unique guards (runtime/guards.py) in detail: the exact claim requests, the messages of a
taken value and of a lost guard, and the guards a write must not take over (not ours, an
owner name we cannot read, an owner of another entity). Survivors of the mutation run of
issue 11 (see docs/development.md, "Mutation testing"); the spec and fixtures are
tests/test_ttl.py's."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dynamodel import UniqueValueTakenError, VersionConflictError
from dynamodel.runtime import guards
from tests.test_repository_oracle import load_package
from tests.test_ttl import (
    FUTURE,
    GUARD_KEY,
    PAST,
    badge_key,
    epoch,
    make_badge,
    passes,
    raw,
    repo,
    stored,
)

__all__ = ["passes", "repo"]


def badge_schema(passes: ModuleType) -> Any:
    return sys.modules[passes.__name__ + "._schema"].BADGE


def test_a_claim_without_ttl_asks_only_for_an_absent_guard() -> None:
    item = {"PK": {"S": "g"}, "SK": {"S": "g"}}
    assert guards.claim_request(item, ttl=None, now=5) == {
        "Item": item,
        "ConditionExpression": "attribute_not_exists(#pk)",
        "ExpressionAttributeNames": {"#pk": "PK"},
    }
    assert guards.claim_request(item, ttl=None, now=5, holder="A\nB") == {
        "Item": item,
        "ConditionExpression": "attribute_not_exists(#pk) OR #owner = :holder",
        "ExpressionAttributeNames": {"#pk": "PK", "#owner": "_owner"},
        "ExpressionAttributeValues": {":holder": {"S": "A\nB"}},
    }


def test_a_taken_value_names_its_holder_on_one_line(passes: ModuleType, repo: Any) -> None:
    repo.create_badge(make_badge(passes, "p1"))
    with pytest.raises(UniqueValueTakenError) as caught:
        repo.create_badge(make_badge(passes, "p2"))
    assert str(caught.value) == "Badge code='C-1' is already taken (held by Badge#p1 #Badge)"
    assert caught.value.entity == "Badge"
    assert caught.value.attributes == ("code",)
    assert caught.value.values == ("C-1",)


def test_a_taken_value_without_a_known_holder_says_only_taken(passes: ModuleType) -> None:
    schema = badge_schema(passes)
    taken = guards._taken_error(schema, schema.unique[0], make_badge(passes, "p1"))
    assert str(taken({})) == "Badge code='C-1' is already taken"


def test_a_lost_guard_is_a_version_conflict_naming_the_value(passes: ModuleType) -> None:
    schema = badge_schema(passes)
    badge = make_badge(passes, "p1")
    lost = guards._lost_error(schema, schema.unique[0], badge)({})
    assert isinstance(lost, VersionConflictError)
    assert lost.entity == "Badge"
    assert "the guard of its code='C-1' now belongs to another item" in str(lost)


@pytest.mark.parametrize(
    "guard",
    [
        {"_type": {"S": "_unique"}},  # not a guard this runtime wrote: no owner
        {"_type": {"S": "_unique"}, "_owner": {"S": "Badge#gone"}},  # no key in the name
        {"_type": {"S": "_unique"}, "_owner": {"S": "Holder#h1\n#Holder"}},  # another entity
        {"_type": {"S": "_unique"}, "_owner": {"S": "Stray#s1\n#Stray"}},  # an item, no type
    ],
)
def test_a_guard_not_clearly_stale_is_never_taken_over(
    passes: ModuleType, repo: Any, guard: dict[str, Any]
) -> None:
    repo.create_holder(passes.Holder(holder_id="h1", name="Ada"))
    stray = {"PK": {"S": "Stray#s1"}, "SK": {"S": "#Stray"}}
    raw(repo).put_item(TableName=repo.table_name, Item=stray)
    raw(repo).put_item(TableName=repo.table_name, Item={**GUARD_KEY, **guard})
    with pytest.raises(UniqueValueTakenError):
        repo.create_badge(make_badge(passes, "p2"))
    assert stored(repo, GUARD_KEY) == {**GUARD_KEY, **guard}
    assert stored(repo, badge_key("p2")) is None


def test_the_owner_of_a_guard_is_read_strongly_consistent(
    passes: ModuleType, repo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An eventually consistent read may miss a just-written owner and take its guard."""
    repo.create_badge(make_badge(passes, "p1"))
    raw(repo).delete_item(TableName=repo.table_name, Key=badge_key("p1"))
    table = repo.table
    reads: list[bool] = []
    get_item = table.get_item

    def recorded(key: Any, *, consistent: bool) -> Any:
        reads.append(consistent)
        return get_item(key, consistent=consistent)

    monkeypatch.setattr(table, "get_item", recorded)
    repo.create_badge(make_badge(passes, "p2"))
    assert reads == [True, True]  # the guard, then its owner


# A guard its owner p1 wrote, taken over since by another owner (p2 found p1 gone or expired).
OTHERS = {**GUARD_KEY, "_type": {"S": "_unique"}, "_owner": {"S": "Badge#p2\n#Badge"}}


@pytest.mark.parametrize(
    "write",
    [
        lambda repo: repo.delete_badge(badge_id="p1"),  # deletes the guard of its code
        lambda repo: repo.update_badge(badge_id="p1", code="C-2"),  # gives the code up
        lambda repo: repo.update_badge(badge_id="p1", expires_at=None),  # moves the guard's TTL
    ],
    ids=["delete", "new code", "new ttl"],
)
def test_a_guard_another_owner_took_over_is_left_alone(
    passes: ModuleType, repo: Any, write: Any
) -> None:
    repo.create_badge(make_badge(passes, "p1"))
    owner = stored(repo, badge_key("p1"))
    raw(repo).put_item(TableName=repo.table_name, Item=OTHERS)
    with pytest.raises(VersionConflictError) as caught:
        write(repo)
    assert caught.value.entity == "Badge"
    assert "the guard of its code='C-1' now belongs to another item" in str(caught.value)
    assert stored(repo, GUARD_KEY) == OTHERS
    assert stored(repo, badge_key("p1")) == owner  # nothing was written


def test_a_taken_value_of_several_attributes_names_each(
    dynamodb_client: Any, table_name: str
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/booking/generated"))
    from bookings import BookingsRepository, Member

    repo = BookingsRepository(client=dynamodb_client, table_name=table_name, cursor_key="k" * 32)
    repo.create_table()

    def member(member_id: str) -> Any:
        return Member(
            org_id="o1",
            member_id=member_id,
            email="a@x.org",
            display_name="A",
            joined_on=date(2026, 1, 1),
        )

    repo.create_member(member("m1"))
    with pytest.raises(UniqueValueTakenError) as caught:
        repo.create_member(member("m2"))
    assert str(caught.value).startswith("Member org_id='o1', email='a@x.org' is already taken")
    assert caught.value.values == ("o1", "a@x.org")


def test_an_expired_guard_is_claimed_whatever_owner_it_names(passes: ModuleType, repo: Any) -> None:
    # Its TTL has passed: DynamoDB is about to delete it, so its value is free, even when the
    # guard names no owner this runtime can read (a guard written before guards named one).
    expired = {**GUARD_KEY, "_type": {"S": "_unique"}, "expires_at": {"N": epoch(PAST)}}
    raw(repo).put_item(TableName=repo.table_name, Item=expired)
    repo.create_badge(make_badge(passes, "p2"))
    assert stored(repo, GUARD_KEY)["_owner"] == {"S": "Badge#p2\n#Badge"}  # type: ignore[index]


OPTIONAL_CODE_SPEC = """\
version: 1
table: Cards
entities:
  Card:
    id: [card_id]
    attributes:
      card_id: str
      code: {type: str, optional: true}
      expires_at: {type: datetime, optional: true, ttl: true}
    unique: [code]
  Person:
    id: [person_id]
    attributes:
      person_id: str
      email: str
      phone: str
    unique: [email, phone]
access_patterns:
  get_card: {entity: Card, by: [card_id]}
  get_person: {entity: Person, by: [person_id]}
  card_by_code: {entity: Card, by: [code]}
"""


@pytest.fixture
def cards(tmp_path: Path) -> ModuleType:
    spec = tmp_path / "cards" / "spec.yaml"
    spec.parent.mkdir()
    spec.write_text(OPTIONAL_CODE_SPEC, encoding="utf-8")
    return load_package(spec, tmp_path / "package")[1]


@pytest.fixture
def cards_repo(cards: ModuleType, dynamodb_client: Any, table_name: str) -> Any:
    repo = cards.CardsRepository(client=dynamodb_client, table_name=table_name, cursor_key="k" * 32)
    repo.create_table()
    return repo


def test_an_owner_without_its_optional_unique_value_changes_its_ttl_without_a_guard(
    cards: ModuleType, cards_repo: Any, table_name: str
) -> None:
    repo = cards_repo
    repo.create_card(cards.Card(card_id="c1", expires_at=FUTURE))
    later = FUTURE + timedelta(days=1)
    assert repo.update_card(card_id="c1", expires_at=later).expires_at == later
    items = raw(repo).scan(TableName=table_name)["Items"]
    assert [item["PK"]["S"] for item in items] == ["Card#c1"]  # no guard: no value to hold


def test_a_change_of_the_second_unique_value_moves_its_guard(
    cards: ModuleType, cards_repo: Any, table_name: str
) -> None:
    repo = cards_repo
    repo.create_person(cards.Person(person_id="p1", email="a@x.org", phone="1"))
    repo.update_person(person_id="p1", phone="2")  # the email's guard stays as it is
    with pytest.raises(UniqueValueTakenError):
        repo.create_person(cards.Person(person_id="p2", email="b@x.org", phone="2"))
    repo.create_person(cards.Person(person_id="p3", email="c@x.org", phone="1"))  # released
