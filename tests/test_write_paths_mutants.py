"""Write paths that mutation testing found untested (docs/development.md, "Mutation testing"):

- an error DynamoDB answers a write with is raised, never reported as success: on the
  single-item path (PutItem, UpdateItem, DeleteItem, with and without a condition) and in
  transactions. The table here does not exist, so every write fails with DynamoDB's own
  ResourceNotFoundException, which no retry can clear;
- the limits of a write are proven from the length of its encoded request when that is within
  400 KB (the JSON of a request never undercounts DynamoDB's sizes), so small writes never
  walk their items to count them exactly; a larger request is counted exactly and refused
  before it is sent when a limit is passed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from dynamodel import (
    DynamodelError,
    InvalidKeyValueError,
    ItemTooLargeError,
    TransactionTooLargeError,
    UniqueValueTakenError,
    VersionConflictError,
)
from dynamodel.runtime import transact
from dynamodel.runtime.retry import RetryPolicy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))

from tracker import ChecklistItem, Membership, Ticket, TrackerRepository, User, Workspace

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ITEM_BYTES = 400 * 1024  # DynamoDB's item limit
TRANSACTION_BYTES = 4 * 1024 * 1024  # DynamoDB's limit on one transaction


def _membership() -> Membership:
    return Membership(workspace_id="w", user_id="u", role="member", joined_at=NOW)


def _ticket(checklist: list[ChecklistItem] | None = None) -> Ticket:
    return Ticket(
        workspace_id="w",
        ticket_no=1,
        title="t",
        status="open",
        priority=0,
        updated_at=NOW,
        checklist=checklist or [],
    )


# Each write, and the request it makes on a table that holds nothing: what reaches DynamoDB.
WRITES: dict[str, Callable[[TrackerRepository], object]] = {
    # one PutItem without a condition (a plain entity's save)
    "save_membership": lambda r: r.save_membership(_membership()),
    # one PutItem with a condition
    "create_workspace": lambda r: r.create_workspace(Workspace(workspace_id="w", name="n")),
    # one DeleteItem with a condition
    "delete_membership": lambda r: r.delete_membership(workspace_id="w", user_id="u"),
    # one UpdateItem with a condition
    "update_membership": lambda r: r.update_membership(workspace_id="w", user_id="u", role="admin"),
    # TransactWriteItems: the user and its unique guard
    "create_user": lambda r: r.create_user(User(user_id="u", email="e@x", display_name="d")),
    # TransactWriteItems: a root and a member
    "create_ticket": lambda r: r.create_ticket(
        _ticket([ChecklistItem(workspace_id="w", ticket_no=1, position=1, text="a")])
    ),
}


@pytest.fixture
def missing_table(dynamodb_client: Any, table_name: str) -> TrackerRepository:
    """A repository whose table was never created."""
    return TrackerRepository(client=dynamodb_client, table_name=table_name)


@pytest.mark.parametrize("write", sorted(WRITES))
def test_an_error_answer_to_a_write_is_raised_not_reported_as_success(
    missing_table: TrackerRepository, write: str
) -> None:
    with pytest.raises((ClientError, DynamodelError)) as info:
        WRITES[write](missing_table)
    assert "ResourceNotFound" in f"{info.value!r} {info.value}", repr(info.value)


# -- limits proven from the encoded request --------------------------------------------------


@pytest.fixture
def exact_sizes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The kinds of the actions whose size was counted exactly, item by item."""
    counted: list[str] = []
    size = transact.Action.size

    def counting(action: transact.Action) -> int:
        counted.append(action.kind)
        return size(action)

    monkeypatch.setattr(transact.Action, "size", counting)
    yield counted


@pytest.fixture
def repo(dynamodb_client: Any, table_name: str) -> TrackerRepository:
    repository = TrackerRepository(client=dynamodb_client, table_name=table_name)
    repository.create_table()
    return repository


def test_small_writes_are_proven_within_the_limits_by_their_encoded_length(
    repo: TrackerRepository, exact_sizes: list[str]
) -> None:
    repo.save_membership(_membership())  # one PutItem
    repo.create_user(User(user_id="u", email="e@x", display_name="d"))  # a transaction
    items = [ChecklistItem(workspace_id="w", ticket_no=1, position=i, text="a") for i in range(5)]
    saved = repo.create_ticket(_ticket(items))  # a transaction of 6 items
    saved.title = "changed"
    repo.save_ticket(saved)
    assert exact_sizes == []


def test_a_transaction_over_400_kb_is_counted_exactly_and_sent_when_within_4_mb(
    repo: TrackerRepository, exact_sizes: list[str]
) -> None:
    # 5 members of about 100 KB each: the request is over 400 KB, every item is within it.
    text = "x" * (100 * 1024)
    items = [ChecklistItem(workspace_id="w", ticket_no=1, position=i, text=text) for i in range(5)]
    repo.create_ticket(_ticket(items))
    assert exact_sizes.count("Put") == 6
    stored = repo.get_ticket(workspace_id="w", ticket_no=1)
    assert stored is not None and len(stored.checklist) == 5


def test_a_transaction_over_4_mb_is_refused_unsent(repo: TrackerRepository) -> None:
    # 11 members of 390 KB each: every item is within 400 KB, the whole is over 4 MB.
    text = "x" * (390 * 1024)
    assert 11 * len(text) > TRANSACTION_BYTES and len(text) < ITEM_BYTES
    items = [ChecklistItem(workspace_id="w", ticket_no=1, position=i, text=text) for i in range(11)]
    with pytest.raises(TransactionTooLargeError, match="4,194,304"):
        repo.create_ticket(_ticket(items))
    assert repo.get_ticket(workspace_id="w", ticket_no=1) is None


# -- what an item too large is said to be ----------------------------------------------------


@pytest.mark.parametrize(
    ("write", "entity", "described"),
    [
        (  # a create
            lambda r: r.create_workspace(Workspace(workspace_id="w", name="x" * ITEM_BYTES)),
            "Workspace",
            "Workspace(workspace_id='w')",
        ),
        (  # a plain entity's save: one unconditional PutItem
            lambda r: r.save_workspace(Workspace(workspace_id="w", name="x" * ITEM_BYTES)),
            "Workspace",
            "Workspace(workspace_id='w')",
        ),
        (  # an aggregate's save: the root
            lambda r: r.save_ticket(_ticket().model_copy(update={"title": "x" * ITEM_BYTES})),
            "Ticket",
            "Ticket(workspace_id='w', ticket_no=1)",
        ),
        (  # an aggregate's save: a member
            lambda r: r.save_ticket(
                _ticket(
                    [
                        ChecklistItem(
                            workspace_id="w", ticket_no=1, position=2, text="y" * ITEM_BYTES
                        )
                    ]
                )
            ),
            "ChecklistItem",
            "ChecklistItem(workspace_id='w', ticket_no=1, position=2)",
        ),
    ],
)
def test_an_item_too_large_is_named_and_nothing_is_written(
    repo: TrackerRepository,
    dynamodb_client: Any,
    write: Callable[[TrackerRepository], object],
    entity: str,
    described: str,
) -> None:
    with pytest.raises(ItemTooLargeError) as info:
        write(repo)
    assert info.value.entity == entity
    assert str(info.value).startswith(f"{described} is ")
    assert "over DynamoDB's item limit of 409,600 bytes; nothing was written" in str(info.value)
    assert dynamodb_client.scan(TableName=repo.table_name)["Items"] == []


# -- unique guards kept right by saves ------------------------------------------------------


def _guards(client: Any, repo: TrackerRepository) -> list[dict[str, Any]]:
    items = client.scan(TableName=repo.table_name)["Items"]
    return [i for i in items if i.get("_type", {}).get("S") == "_unique"]


def test_a_guard_item_names_its_entity_and_owner(
    repo: TrackerRepository, dynamodb_client: Any
) -> None:
    repo.create_user(User(user_id="u1", email="a@x", display_name="d"))
    assert _guards(dynamodb_client, repo) == [
        {
            "PK": {"S": "User.email#a@x"},
            "SK": {"S": "User.email"},
            "_type": {"S": "_unique"},
            "_entity": {"S": "User"},
            "_owner": {"S": "User#u1\n#User"},
        }
    ]


def test_a_save_keeps_an_unchanged_guard_and_moves_a_changed_one(
    repo: TrackerRepository, dynamodb_client: Any
) -> None:
    repo.create_user(User(user_id="u1", email="a@x", display_name="d"))
    repo.save_user(User(user_id="u1", email="a@x", display_name="renamed"))
    assert [g["PK"]["S"] for g in _guards(dynamodb_client, repo)] == ["User.email#a@x"]
    repo.save_user(User(user_id="u1", email="b@x", display_name="renamed"))
    assert [g["PK"]["S"] for g in _guards(dynamodb_client, repo)] == ["User.email#b@x"]
    # The old value is free again.
    repo.create_user(User(user_id="u2", email="a@x", display_name="other"))
    assert sorted(g["PK"]["S"] for g in _guards(dynamodb_client, repo)) == [
        "User.email#a@x",
        "User.email#b@x",
    ]


def test_a_create_returns_the_model_it_was_given_when_unversioned(repo: TrackerRepository) -> None:
    workspace = Workspace(workspace_id="w", name="n")
    created = repo.create_workspace(workspace)
    assert created == workspace
    assert created.model_dump() == workspace.model_dump()
    assert not hasattr(created, "version")  # an unversioned model never grows a version


def test_a_taken_unique_value_names_its_holder(repo: TrackerRepository) -> None:
    repo.create_user(User(user_id="u1", email="a@x", display_name="d"))
    with pytest.raises(UniqueValueTakenError) as info:
        repo.create_user(User(user_id="u2", email="a@x", display_name="e"))
    assert str(info.value) == "User email='a@x' is already taken (held by User#u1 #User)"


def test_a_member_outside_its_root_is_refused_unsent(repo: TrackerRepository) -> None:
    stray = ChecklistItem(workspace_id="w", ticket_no=2, position=1, text="a")
    with pytest.raises(InvalidKeyValueError) as info:
        repo.create_ticket(_ticket([stray]))
    assert str(info.value) == (
        "ChecklistItem(workspace_id='w', ticket_no=2, position=1) is in "
        "Ticket(workspace_id='w', ticket_no=1).checklist, but its id does not start with the "
        "root's id"
    )


def test_members_carry_their_roots_expiry(repo: TrackerRepository, dynamodb_client: Any) -> None:
    items = [ChecklistItem(workspace_id="w", ticket_no=1, position=i, text="a") for i in (1, 2)]
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    repo.create_ticket(_ticket(items).model_copy(update={"expires_at": expires}))
    stored = dynamodb_client.scan(TableName=repo.table_name)["Items"]
    assert len(stored) == 3
    assert {i["expires_at"]["N"] for i in stored} == {str(int(expires.timestamp()))}


class LosesFirstPutResponse:
    """A client that applies the first PutItem, then reports its connection as closed."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.puts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **request: Any) -> Any:
        self.puts += 1
        response = self._client.put_item(**request)
        if self.puts == 1:
            raise ConnectionClosedError(endpoint_url="http://lost")
        return response


def test_a_create_whose_lost_response_was_applied_is_not_reported_as_existing(
    dynamodb_client: Any, table_name: str
) -> None:
    TrackerRepository(client=dynamodb_client, table_name=table_name).create_table()
    lossy = LosesFirstPutResponse(dynamodb_client)
    repo = TrackerRepository(
        client=lossy, table_name=table_name, retry=RetryPolicy(base_delay=0.001)
    )
    # Its own first attempt made it exist, and nobody else wrote in between: the retry finds
    # the item exactly as this create left it, so the create succeeded (runtime/write_once.py).
    created = repo.create_workspace(Workspace(workspace_id="w", name="n"))
    assert repo.get_workspace(workspace_id="w", consistent=True) == created


# -- an entity with two unique constraints (none of the examples has one) ---------------------

TWO_UNIQUES = """\
version: 1
table: People
entities:
  Person:
    id: [person_id]
    attributes: {person_id: str, email: str, handle: str, avatar: "bytes?"}
    unique: [email, handle]
access_patterns:
  get_person: {entity: Person, by: [person_id]}
"""


@pytest.fixture(scope="module")
def people_package(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The package generated from TWO_UNIQUES, imported under a name of its own."""
    import importlib

    from dynamodel.compiler.codegen import generate_package
    from dynamodel.compiler.pipeline import compile_spec

    design = compile_spec(TWO_UNIQUES).design
    assert design is not None
    root = tmp_path_factory.mktemp("two_uniques")
    for name, text in generate_package(design, package="two_uniques_people").items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module("two_uniques_people")
    finally:
        sys.path.remove(str(root))


@pytest.fixture
def people(people_package: Any, dynamodb_client: Any, table_name: str) -> Any:
    """A repository of the generated package on a fresh table."""
    repo = people_package.PeopleRepository(client=dynamodb_client, table_name=table_name)
    repo.create_table()
    return repo


def test_a_save_moves_a_changed_guard_after_an_unchanged_one(
    people_package: Any, people: Any, dynamodb_client: Any
) -> None:
    person, repo = people_package.Person, people
    repo.create_person(person(person_id="p1", email="a@x", handle="ada"))
    repo.save_person(person(person_id="p1", email="a@x", handle="lovelace"))
    guards = sorted(g["PK"]["S"] for g in _guards(dynamodb_client, repo))
    assert guards == ["Person.email#a@x", "Person.handle#lovelace"]
    repo.create_person(person(person_id="p2", email="b@x", handle="ada"))  # free again


def test_a_transaction_carrying_binary_values_is_checked_and_sent(
    people_package: Any, people: Any
) -> None:
    person, repo = people_package.Person, people
    repo.create_person(person(person_id="p1", email="a@x", handle="ada", avatar=b"\x00\xff"))
    stored = repo.get_person(person_id="p1")
    assert stored is not None and stored.avatar == b"\x00\xff"


def test_a_stale_save_is_refused_naming_entity_key_and_versions(repo: TrackerRepository) -> None:
    stale = repo.create_ticket(_ticket())
    repo.save_ticket(stale.model_copy(update={"title": "newer"}))
    with pytest.raises(VersionConflictError) as info:
        repo.save_ticket(stale)
    error = info.value
    assert (error.entity, error.key) == ("Ticket", "PK='Ticket#w#P5011' SK='#Ticket'")
    assert (error.expected, error.found) == (1, 2)
