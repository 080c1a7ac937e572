"""Write semantics of a generated repository (the tracker example), on every backend: typed
errors that name the cause, nothing written halfway, limits checked before sending, index
keys and unique guards kept right by partial updates."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dynamodel import (
    AlreadyExistsError,
    InvalidCursorError,
    InvalidKeyValueError,
    ItemTooLargeError,
    NotFoundError,
    OutcomeUnknownError,
    TransactionTooLargeError,
    UniqueValueTakenError,
    VersionConflictError,
)
from dynamodel.runtime import admin
from dynamodel.runtime.sizes import MAX_ITEM_BYTES
from dynamodel.runtime.transport import client as transport_client

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "examples" / "tracker" / "generated")
)

from tracker import (
    ChecklistItem,
    Membership,
    Ticket,
    TrackerRepository,
    User,
    Workspace,
)
from tracker import _schema as s

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def repo(dynamodb_client: Any, table_name: str) -> Iterator[TrackerRepository]:
    repository = TrackerRepository(
        client=dynamodb_client, table_name=table_name, cursor_key="t" * 32
    )
    repository.create_table()
    yield repository


def items(repo: TrackerRepository) -> list[dict[str, Any]]:
    client = repo.table.client
    found: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": repo.table_name}
    while True:
        response = client.scan(**request)
        found += response["Items"]
        if "LastEvaluatedKey" not in response:
            return found
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def ticket(number: int = 1, **changes: Any) -> Ticket:
    values: dict[str, Any] = {
        "workspace_id": "w#1",
        "ticket_no": number,
        "title": "Fix it",
        "status": "open",
        "priority": 2,
        "updated_at": NOW,
        "labels": {"bug"},
        "checklist": [
            ChecklistItem(workspace_id="w#1", ticket_no=number, position=p, text=f"step {p}")
            for p in (1, 2)
        ],
    }
    values.update(changes)
    return Ticket(**values)


def test_create_twice_is_already_exists_and_writes_nothing_more(repo: TrackerRepository) -> None:
    repo.create_workspace(Workspace(workspace_id="w#1", name="Acme"))
    with pytest.raises(AlreadyExistsError) as caught:
        repo.create_workspace(Workspace(workspace_id="w#1", name="Other"))
    assert "w#1" in str(caught.value)
    assert repo.get_workspace(workspace_id="w#1", consistent=True).name == "Acme"  # type: ignore[union-attr]


def test_unique_value_taken_names_attribute_and_value(repo: TrackerRepository) -> None:
    repo.create_user(User(user_id="u1", email="a@x.io", display_name="A"))
    before = items(repo)
    with pytest.raises(UniqueValueTakenError) as caught:
        repo.create_user(User(user_id="u2", email="a@x.io", display_name="B"))
    assert caught.value.attributes == ("email",)
    assert caught.value.values == ("a@x.io",)
    assert "a@x.io" in str(caught.value)
    assert items(repo) == before  # the second user was not written halfway
    assert repo.get_user(user_id="u2") is None


def test_unique_value_moves_on_update_and_is_freed(repo: TrackerRepository) -> None:
    repo.create_user(User(user_id="u1", email="a@x.io", display_name="A"))
    repo.create_user(User(user_id="u2", email="b@x.io", display_name="B"))
    with pytest.raises(UniqueValueTakenError):
        repo.update_user(user_id="u2", email="a@x.io")
    assert repo.get_user(user_id="u2", consistent=True).email == "b@x.io"  # type: ignore[union-attr]
    repo.update_user(user_id="u1", email="c@x.io")
    repo.update_user(user_id="u2", email="a@x.io")  # freed by u1's move
    assert repo.user_by_email(email="a@x.io").user_id == "u2"  # type: ignore[union-attr]
    assert repo.user_by_email(email="b@x.io") is None
    guards = [i for i in items(repo) if i["_type"]["S"] == "_unique"]
    assert sorted(g["PK"]["S"] for g in guards) == ["User.email#a@x.io", "User.email#c@x.io"]


def test_aggregate_save_versions_and_members(repo: TrackerRepository) -> None:
    saved = repo.save_ticket(ticket())
    assert saved.version == 1
    loaded = repo.get_ticket(workspace_id="w#1", ticket_no=1)
    assert loaded is not None and [c.position for c in loaded.checklist] == [1, 2]
    loaded.checklist = [
        loaded.checklist[1],
        ChecklistItem(workspace_id="w#1", ticket_no=1, position=3, text="new"),
    ]
    resaved = repo.save_ticket(loaded)
    assert resaved.version == 2
    again = repo.get_ticket(workspace_id="w#1", ticket_no=1)
    assert again is not None and [c.position for c in again.checklist] == [2, 3]
    with pytest.raises(VersionConflictError) as caught:
        repo.save_ticket(saved)  # stale: version 1, stored 2
    assert (caught.value.expected, caught.value.found) == (1, 2)
    after = repo.get_ticket(workspace_id="w#1", ticket_no=1)
    assert (
        after is not None and after.version == 2 and [c.position for c in after.checklist] == [2, 3]
    )


def test_update_rewrites_exactly_the_index_keys_it_feeds(repo: TrackerRepository) -> None:
    repo.save_ticket(ticket())
    assert [t.ticket_no for t in repo.open_tickets(workspace_id="w#1").items] == [1]
    assert repo.tickets_for_assignee(assignee_id="u1").items == []
    repo.update_ticket(workspace_id="w#1", ticket_no=1, assignee_id="u1", priority=5)
    assert [t.priority for t in repo.tickets_for_assignee(assignee_id="u1").items] == [5]
    assert repo.tickets_for_assignee(assignee_id="u1", status="open", priority_from=5).items
    updated = repo.update_ticket(
        workspace_id="w#1", ticket_no=1, status="closed", updated_at=NOW + timedelta(hours=1)
    )
    assert updated.version == 3
    assert repo.open_tickets(workspace_id="w#1").items == []  # left the sparse index
    closed = repo.tickets_by_status(workspace_id="w#1", status="closed")
    assert [t.updated_at for t in closed.items] == [NOW + timedelta(hours=1)]
    assert repo.tickets_by_status(workspace_id="w#1", status="open").items == []
    assert repo.tickets_for_assignee(assignee_id="u1", status="open").items == []
    repo.update_ticket(workspace_id="w#1", ticket_no=1, assignee_id=None)
    assert repo.tickets_for_assignee(assignee_id="u1").items == []  # left the sparse index
    with pytest.raises(VersionConflictError):
        repo.update_ticket(workspace_id="w#1", ticket_no=1, title="x", expected_version=1)


def test_update_and_delete_of_missing_items(repo: TrackerRepository) -> None:
    with pytest.raises(NotFoundError):
        repo.update_ticket(workspace_id="w#1", ticket_no=9, title="x")
    with pytest.raises(NotFoundError):
        repo.delete_workspace(workspace_id="nope")
    with pytest.raises(NotFoundError):
        repo.delete_ticket(workspace_id="w#1", ticket_no=9)


def test_delete_removes_the_whole_aggregate_and_guards(repo: TrackerRepository) -> None:
    repo.save_ticket(ticket())
    repo.create_user(User(user_id="u1", email="a@x.io", display_name="A"))
    repo.delete_ticket(workspace_id="w#1", ticket_no=1)
    repo.delete_user(user_id="u1")
    assert items(repo) == []


def test_limits_are_checked_before_sending(repo: TrackerRepository) -> None:
    with pytest.raises(ItemTooLargeError) as caught:
        repo.save_ticket(ticket(title="x" * 410_000))
    error = caught.value
    assert error.entity == "Ticket" and error.size > MAX_ITEM_BYTES
    assert f"{error.size:,} bytes" in str(error) and "ticket_no=1" in str(error)
    many = [
        ChecklistItem(workspace_id="w#1", ticket_no=1, position=p, text="s") for p in range(120)
    ]
    with pytest.raises(TransactionTooLargeError) as too_many:
        repo.save_ticket(ticket(checklist=many))
    assert too_many.value.actions == 121
    assert items(repo) == []


def test_invalid_key_values_are_refused(repo: TrackerRepository) -> None:
    with pytest.raises(InvalidKeyValueError) as empty:
        repo.get_workspace(workspace_id="")
    assert empty.value.attribute == "workspace_id"
    with pytest.raises(InvalidKeyValueError):
        repo.get_workspace(workspace_id="x" * 3000)
    with pytest.raises(InvalidKeyValueError):
        repo.create_workspace(Workspace(workspace_id="\ud800", name="bad"))
    assert items(repo) == []


def test_pages_and_cursors(repo: TrackerRepository) -> None:
    for number in range(1, 8):
        repo.save_ticket(ticket(number, priority=number, checklist=[]))
    first = repo.open_tickets(workspace_id="w#1", limit=3)
    assert [t.priority for t in first.items] == [7, 6, 5]
    assert first.cursor is not None
    second = repo.open_tickets(workspace_id="w#1", limit=3, cursor=first.cursor)
    assert [t.priority for t in second.items] == [4, 3, 2]
    last = repo.open_tickets(workspace_id="w#1", limit=3, cursor=second.cursor)
    assert [t.priority for t in last.items] == [1] and last.cursor is None
    exact = repo.open_tickets(workspace_id="w#1", limit=7)
    assert len(exact.items) == 7 and exact.cursor is None
    tampered = first.cursor[:-3] + ("AAA" if not first.cursor.endswith("AAA") else "BBB")
    with pytest.raises(InvalidCursorError):
        repo.open_tickets(workspace_id="w#1", limit=3, cursor=tampered)
    with pytest.raises(InvalidCursorError):
        repo.open_tickets(workspace_id="w#2", limit=3, cursor=first.cursor)  # other arguments
    with pytest.raises(InvalidCursorError):
        repo.tickets_by_status(workspace_id="w#1", status="open", cursor=first.cursor)
    other_key = TrackerRepository(
        client=repo.table.client, table_name=repo.table_name, cursor_key="other" * 7
    )
    with pytest.raises(InvalidCursorError):
        other_key.open_tickets(workspace_id="w#1", limit=3, cursor=first.cursor)


def test_batch_helpers(repo: TrackerRepository) -> None:
    members = [
        Membership(workspace_id="w#1", user_id=f"u{n}", role="member", joined_at=NOW)
        for n in range(60)
    ]
    repo.batch_write(put=members)
    got = repo.batch_get(
        Membership, [{"workspace_id": "w#1", "user_id": f"u{n}"} for n in (5, 99, 7)]
    )
    assert [m.user_id if m else None for m in got] == ["u5", None, "u7"]
    assert len(repo.members_of_workspace(workspace_id="w#1", limit=100).items) == 60
    repo.batch_write(delete=members[:30])
    assert len(repo.members_of_workspace(workspace_id="w#1", limit=100).items) == 30
    with pytest.raises(ValueError):
        repo.batch_write(put=[ticket()])  # versioned: needs save_ticket's checks


@pytest.mark.backends("moto")  # the default client talks to the default endpoint: moto's mock
def test_default_client_and_table_name(
    backend: str, monkeypatch: pytest.MonkeyPatch, dynamodb_client: Any
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("DYNAMODEL_CURSOR_KEY", f"{'1' * 32},{'0' * 32}")
    repo = TrackerRepository()
    assert repo.table_name == "Tracker"
    repo.create_table()
    repo.create_workspace(Workspace(workspace_id="w", name="n"))
    assert repo.get_workspace(workspace_id="w") is not None
    assert repo.table.client.meta.config.user_agent.startswith("dynamodel/")
    # Validation off means botocore's serializer is not wrapped in its validating decorator.
    assert type(repo.table.client._serializer).__name__ != "ParamValidationDecorator"


def test_default_client_keeps_its_documented_import_path() -> None:
    # It lives in the transport package; docs/runtime.md gives users `dynamodel.runtime.admin`.
    assert admin.default_client is transport_client.default_client


@pytest.fixture
def plain_boto3_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes the `dynamodb_client` fixture (requested after this one) a plain boto3 client."""
    monkeypatch.setenv("DYNAMODEL_TEST_CLIENT", "plain")


def test_a_plain_boto3_client_works_too(
    plain_boto3_client: None, dynamodb_client: Any, table_name: str
) -> None:
    # Every other test here runs on the runtime's default client (its own request bodies,
    # signer and parser); a user's own client must write and read the same.
    assert not dynamodb_client.meta.config.user_agent.startswith("dynamodel")  # boto3's own
    repo = TrackerRepository(client=dynamodb_client, table_name=table_name, cursor_key="t" * 32)
    repo.create_table()
    saved = repo.create_ticket(ticket(labels={"bug", "ui"}))
    repo.update_ticket(workspace_id="w#1", ticket_no=1, status="closed", expected_version=1)
    stored = repo.get_ticket(workspace_id="w#1", ticket_no=1)
    assert stored is not None and stored.status == "closed" and stored.version == 2
    assert stored.checklist == saved.checklist and stored.labels == {"bug", "ui"}
    repo.create_user(User(user_id="u1", email="a@x.io", display_name="A"))
    with pytest.raises(UniqueValueTakenError):
        repo.create_user(User(user_id="u2", email="a@x.io", display_name="B"))
    repo.delete_ticket(workspace_id="w#1", ticket_no=1)
    assert repo.get_ticket(workspace_id="w#1", ticket_no=1) is None


def test_a_roots_ttl_change_reaches_its_members(repo: TrackerRepository) -> None:
    # Far ahead of the real clock: reads and updates treat an expired ticket as gone.
    later = NOW + timedelta(days=3680)
    repo.save_ticket(ticket(expires_at=NOW + timedelta(days=3650)))
    repo.update_ticket(workspace_id="w#1", ticket_no=1, expires_at=later, expected_version=1)
    stored = {i["SK"]["S"]: i.get("expires_at", {}).get("N") for i in items(repo)}
    expected = str(int(later.timestamp()))
    assert [v for k, v in stored.items() if "ChecklistItem" in k] == [expected, expected]
    repo.update_ticket(workspace_id="w#1", ticket_no=1, expires_at=None)
    assert all("expires_at" not in i for i in items(repo) if i["_type"]["S"] != "_unique")
    assert repo.get_ticket(workspace_id="w#1", ticket_no=1).version == 3  # type: ignore[union-attr]


def test_items_under_the_limit_pass_though_their_json_is_longer(repo: TrackerRepository) -> None:
    # 150,000 "é" are 300 KB in UTF-8 but 900 KB of JSON escapes: the quick bound is over the
    # limit, and the exact count lets the item through.
    saved = repo.save_ticket(ticket(title="é" * 150_000, checklist=[]))
    assert repo.get_ticket(workspace_id="w#1", ticket_no=1) == saved


def test_update_and_transaction_limits(repo: TrackerRepository) -> None:
    repo.save_ticket(ticket(checklist=[]))
    with pytest.raises(ItemTooLargeError):
        repo.update_ticket(workspace_id="w#1", ticket_no=1, title="x" * 410_000)
    big = [
        ChecklistItem(workspace_id="w#1", ticket_no=1, position=p, text="y" * 390_000)
        for p in range(11)
    ]
    with pytest.raises(TransactionTooLargeError) as caught:
        repo.save_ticket(ticket(checklist=big, version=1))
    assert caught.value.size > 4 * 1024 * 1024 and caught.value.actions == 12
    assert repo.get_ticket(workspace_id="w#1", ticket_no=1).title == "Fix it"  # type: ignore[union-attr]


def test_a_lost_response_then_another_writer_is_not_taken_for_our_write(
    repo: TrackerRepository,
) -> None:
    from botocore.exceptions import ReadTimeoutError

    client = repo.table.client
    state = {"lost": False}

    def lose_and_overwrite(http_response: Any, **_: Any) -> None:
        if state["lost"] or http_response.status_code >= 300:
            return
        state["lost"] = True  # our put landed; someone replaces it before our retry
        client.put_item(
            TableName=repo.table_name,
            Item={
                **s.workspace_to_item(Workspace(workspace_id="w9", name="Theirs", created_at=NOW))
            },
        )
        raise ReadTimeoutError(endpoint_url="lost")

    client.meta.events.register_first("after-call.dynamodb.PutItem", lose_and_overwrite)
    try:
        # Our create was applied, then overwritten: "already exists" would be false, and so
        # would success had the other writer come first (issue 11, finding 3).
        with pytest.raises(OutcomeUnknownError):
            repo.create_workspace(Workspace(workspace_id="w9", name="Ours", created_at=NOW))
    finally:
        client.meta.events.unregister("after-call.dynamodb.PutItem", lose_and_overwrite)
    assert repo.get_workspace(workspace_id="w9", consistent=True).name == "Theirs"  # type: ignore[union-attr]


def test_a_concurrent_change_of_an_unversioned_item_names_the_cause(
    repo: TrackerRepository, dynamodb_client: Any
) -> None:
    repo.create_user(User(user_id="u1", email="a@x.io", display_name="A"))
    raced: list[str] = []

    def another_writer(**kwargs: Any) -> None:
        # Between save_user's read and its write, another writer moves the email.
        if not raced:
            raced.append("once")
            repo.update_user(user_id="u1", email="c@x.io")

    event = "before-call.dynamodb.TransactWriteItems"
    dynamodb_client.meta.events.register(event, another_writer)
    try:
        with pytest.raises(VersionConflictError) as caught:
            repo.save_user(User(user_id="u1", email="b@x.io", display_name="B"))
    finally:
        dynamodb_client.meta.events.unregister(event, another_writer)
    assert raced and "another writer changed or created it" in str(caught.value)
    assert "None" not in str(caught.value)
    stored = repo.get_user(user_id="u1", consistent=True)
    assert stored is not None and stored.email == "c@x.io"
