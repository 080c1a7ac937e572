"""Denormalized copies (spec 1.1 `copy_of`), the write side: a holder is filled from its
source when written, in one transaction with a ConditionCheck that the source is still in
the state read, so a new holder is never stale at birth; a source changed in between is read
again; a missing source raises NotFoundError and nothing is written; a holder whose reference
is None holds no copy; the caller never sets a copy, and `update_*` takes no argument for a
copy or a reference. On every backend.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from dynamodel import NotFoundError
from dynamodel.runtime.errors import CopySourceChangedError
from dynamodel.runtime.stamps import INCARNATION_ATTRIBUTE, stamp_of
from tests.test_repository_oracle import fresh_repository, spec_package
from tests.test_requests_match_design import Recorder

SPEC = """\
version: 1
table: {name: Hub}
entities:
  Repo:
    id: [owner, name]
    attributes:
      owner: str
      name: str
      description: "str?"
      language: "str?"
      topics: "set[str]?"
  Issue:
    id: [owner, name, number]
    attributes:
      owner: str
      name: str
      number: int
      title: str
      repo_description: {type: "str?", copy_of: Repo.description}
      repo_language: {type: "str?", copy_of: Repo.language}
      repo_topics: {type: "set[str]?", copy_of: Repo.topics}
  User:
    id: [username]
    attributes: {username: str, display_name: str}
  Comment:
    id: [comment_id]
    attributes:
      comment_id: str
      username: "str?"
      body: str
      author_name: {type: "str?", copy_of: User.display_name}
access_patterns:
  get_repo: {entity: Repo, by: [owner, name]}
  get_issue: {entity: Issue, by: [owner, name, number]}
  get_comment: {entity: Comment, by: [comment_id]}
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "hub_copies", SPEC)


def issue(hub: ModuleType, number: int, **values: Any) -> Any:
    return hub.Issue(owner="o", name="cli", number=number, title=f"#{number}", **values)


def test_a_new_holder_is_filled_from_its_source_under_a_check(
    hub: ModuleType, dynamodb_client: Any, table_name: str
) -> None:
    recorder = Recorder(dynamodb_client)
    repo = fresh_repository(hub, recorder, table_name)
    source = repo.create_repo(
        hub.Repo(owner="o", name="cli", description="A CLI", topics={"go", "tools"})
    )
    assert source.version == 1  # a source of copies is versioned
    recorder.recording = True
    # A value the caller gives for a copy is replaced by the source's.
    created = repo.create_issue(issue(hub, 1, repo_description="made up"))
    recorder.recording = False
    assert (created.repo_description, created.repo_language) == ("A CLI", None)
    assert created.repo_topics == {"go", "tools"}
    assert repo.get_issue(owner="o", name="cli", number=1) == created
    # One strongly consistent read of the source, then the item and a ConditionCheck on the
    # source's version and incarnation, in one transaction.
    assert [name for name, _ in recorder.calls] == ["get_item", "transact_write_items"]
    assert recorder.calls[0][1]["ConsistentRead"] is True
    actions = recorder.calls[1][1]["TransactItems"]
    assert [next(iter(a)) for a in actions] == ["Put", "ConditionCheck"]
    check = actions[1]["ConditionCheck"]
    assert check["Key"]["PK"] == {"S": "Repo#o#cli"}
    assert "#v = :v" in check["ConditionExpression"]
    assert "#i = :i" in check["ConditionExpression"]
    stored = dynamodb_client.get_item(
        TableName=table_name, Key={"PK": {"S": "Repo#o#cli"}, "SK": {"S": "#Repo"}}
    )["Item"]
    assert INCARNATION_ATTRIBUTE in stored
    held = actions[0]["Put"]["Item"]
    assert held["_copy_Repo"] == {"S": stamp_of(stored)}
    assert "repo_language" not in held  # an absent source value is absent in the copy


def test_save_refills_and_update_cannot_set_a_copy_or_a_reference(
    hub: ModuleType, dynamodb_client: Any, table_name: str
) -> None:
    repo = fresh_repository(hub, dynamodb_client, table_name)
    repo.create_repo(hub.Repo(owner="o", name="cli", description="one"))
    first = repo.create_issue(issue(hub, 1))
    repo.update_repo(owner="o", name="cli", description="two", language="go")
    # A save of a model read before the change writes the source's values as they are now,
    # never the stale ones it carries.
    saved = repo.save_issue(first.model_copy(update={"title": "renamed"}))
    assert (saved.title, saved.repo_description, saved.repo_language) == ("renamed", "two", "go")
    assert repo.get_issue(owner="o", name="cli", number=1) == saved
    for method, names in (
        (repo.update_issue, ("repo_description", "repo_language", "repo_topics")),
        (repo.update_comment, ("author_name", "username")),
    ):
        assert not set(names) & set(method.__code__.co_varnames)
    # An update of the holder leaves its copies as they are.
    updated = repo.update_issue(owner="o", name="cli", number=1, title="again")
    assert updated.repo_description == "two"


def test_a_missing_source_is_not_found_and_a_none_reference_holds_no_copy(
    hub: ModuleType, dynamodb_client: Any, table_name: str
) -> None:
    recorder = Recorder(dynamodb_client)
    repo = fresh_repository(hub, recorder, table_name)
    with pytest.raises(NotFoundError, match=r"Repo PK='Repo#o#cli'.*does not exist") as missing:
        repo.create_issue(issue(hub, 1))
    assert missing.value.entity == "Repo"
    assert repo.get_issue(owner="o", name="cli", number=1) is None
    with pytest.raises(NotFoundError, match="User"):
        repo.save_comment(hub.Comment(comment_id="c1", username="nobody", body="x"))
    assert repo.get_comment(comment_id="c1") is None
    # No user named: no copy, no read, one plain PutItem.
    recorder.recording = True
    anonymous = repo.create_comment(
        hub.Comment(comment_id="c2", username=None, body="x", author_name="made up")
    )
    recorder.recording = False
    assert anonymous.author_name is None
    assert [name for name, _ in recorder.calls] == ["put_item"]
    repo.create_user(hub.User(username="ann", display_name="Ann"))
    named = repo.save_comment(anonymous.model_copy(update={"username": "ann"}))
    assert named.author_name == "Ann"
    cleared = repo.save_comment(named.model_copy(update={"username": None}))
    assert cleared.author_name is None
    stored = dynamodb_client.get_item(
        TableName=table_name, Key={"PK": {"S": "Comment#c2"}, "SK": {"S": "#Comment"}}
    )["Item"]
    assert "author_name" not in stored and "_copy_User" not in stored


def test_a_source_changed_between_read_and_write_is_read_again(
    hub: ModuleType, dynamodb_client: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = fresh_repository(hub, dynamodb_client, table_name)
    writer = type(repo)(client=dynamodb_client, table_name=table_name, cursor_key="k" * 32)
    repo.create_repo(hub.Repo(owner="o", name="cli", description="v1"))
    real = dynamodb_client.transact_write_items
    changes = iter(["v2", "v3", "v4", "v5"])
    budget = {"left": 1}

    def change_the_source_first(**request: Any) -> Any:
        if budget["left"] > 0:  # another writer changes the Repo after the holder read it
            budget["left"] -= 1
            writer.update_repo(owner="o", name="cli", description=next(changes))
        return real(**request)

    monkeypatch.setattr(dynamodb_client, "transact_write_items", change_the_source_first)
    created = repo.create_issue(issue(hub, 1))
    assert created.repo_description == "v2"  # the second attempt read the changed source
    assert repo.get_issue(owner="o", name="cli", number=1) == created
    # A source that changes before every attempt: CopySourceChangedError naming it, nothing
    # written.
    budget["left"] = 3
    with pytest.raises(CopySourceChangedError, match=r"Repo PK='Repo#o#cli'.*changed") as error:
        repo.create_issue(issue(hub, 2))
    assert error.value.entity == "Repo"
    monkeypatch.undo()
    assert repo.get_issue(owner="o", name="cli", number=2) is None


def test_a_source_keeps_its_incarnation_until_it_is_created_again(
    hub: ModuleType, dynamodb_client: Any, table_name: str
) -> None:
    repo = fresh_repository(hub, dynamodb_client, table_name)
    key = {"PK": {"S": "Repo#o#cli"}, "SK": {"S": "#Repo"}}

    def incarnation() -> str:
        item = dynamodb_client.get_item(TableName=table_name, Key=key)["Item"]
        return str(item[INCARNATION_ATTRIBUTE]["S"])

    created = repo.create_repo(hub.Repo(owner="o", name="cli"))
    born = incarnation()
    repo.save_repo(created.model_copy(update={"description": "saved"}))
    repo.update_repo(owner="o", name="cli", description="updated")
    assert incarnation() == born
    repo.delete_repo(owner="o", name="cli")
    repo.save_repo(hub.Repo(owner="o", name="cli"))  # a save that creates it again
    assert incarnation() > born  # ULIDs order by time: the new incarnation sorts after
