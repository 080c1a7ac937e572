"""Presence filters (spec 1.1): `where: {attr: null}` selects the items whose optional
attribute is absent, `{attr: {not: null}}` those where it is present; both are sparse
indexes that every write keeps right: create, save, an update that sets or clears the
attribute, delete. Checked against an oracle over the written items on every backend, with
a view whose two roles of one entity are told apart by presence (a repository and its forks,
as in The DynamoDB Book)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from dynamodel.compiler.pipeline import compile_spec
from tests.test_repository_oracle import fresh_repository, spec_package

SPEC = """\
version: 1
table: {name: Issues}
entities:
  Repo:
    id: [owner, name]
    attributes: {owner: str, name: str, source_owner: "str?", source_name: "str?"}
  Issue:
    id: [owner, name, number]
    attributes: {owner: str, name: str, number: int, title: str, closed_at: "datetime?"}
access_patterns:
  open_issues: {entity: Issue, by: [owner, name], where: {closed_at: null}, sort: number, order: desc}
  closed_issues: {entity: Issue, by: [owner, name], where: {closed_at: {not: null}}, sort: number}
  open_issue: {entity: Issue, by: [owner, name, number], where: {closed_at: null}}
  repo_and_forks:
    view:
      repo: {entity: Repo, where: {source_owner: null}}
      forks: {entity: [Repo], by: [source_owner, source_name], where: {source_owner: {not: null}}}
    by: [owner, name]
"""

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def issues(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "issues_presence", SPEC)


def test_presence_filters_are_sparse_keys() -> None:
    compilation = compile_spec(SPEC)
    design = compilation.design
    assert design is not None and not compilation.diagnostics, compilation.rendered()
    plans = {p.name: p for p in design.patterns}
    assert plans["open_issues"].index != plans["closed_issues"].index
    assert (plans["open_issue"].operation, plans["open_issue"].index) == ("GetItem", None)
    assert any("closed_at = null" in n for n in plans["open_issues"].notes)


@pytest.mark.parametrize("seed", range(2))
def test_every_write_keeps_presence_indexes_right(
    issues: ModuleType, dynamodb_client: Any, table_name: str, seed: int
) -> None:
    repo = fresh_repository(issues, dynamodb_client, table_name)
    rng = random.Random(seed)
    stored: dict[int, Any] = {}

    def closed() -> datetime | None:
        return NOW + timedelta(hours=rng.randrange(100)) if rng.random() < 0.5 else None

    for number in range(16):
        issue = issues.Issue(owner="o", name="r", number=number, title="t", closed_at=closed())
        repo.create_issue(issue)
        stored[number] = issue

    def check() -> None:
        by_number = sorted(stored.values(), key=lambda i: i.number)
        got_open = repo.open_issues(owner="o", name="r", limit=100).items
        got_closed = repo.closed_issues(owner="o", name="r", limit=100).items
        assert got_open == [i for i in reversed(by_number) if i.closed_at is None]
        assert got_closed == [i for i in by_number if i.closed_at is not None]
        for number in range(18):
            issue = stored.get(number)
            expected = issue if issue is not None and issue.closed_at is None else None
            assert repo.open_issue(owner="o", name="r", number=number) == expected

    check()
    for number in rng.sample(sorted(stored), 8):  # set or clear the attribute
        stored[number] = repo.update_issue(owner="o", name="r", number=number, closed_at=closed())
    check()
    for number in rng.sample(sorted(stored), 3):  # a whole-item save
        stored[number] = stored[number].model_copy(update={"closed_at": closed()})
        repo.save_issue(stored[number])
    check()
    for number in rng.sample(sorted(stored), 4):
        repo.delete_issue(owner="o", name="r", number=number)
        del stored[number]
    check()


def test_roles_told_apart_by_presence(
    issues: ModuleType, dynamodb_client: Any, table_name: str
) -> None:
    repo = fresh_repository(issues, dynamodb_client, table_name)
    repo.create_repo(issues.Repo(owner="ann", name="cli"))
    repo.create_repo(issues.Repo(owner="bob", name="cli", source_owner="ann", source_name="cli"))
    repo.create_repo(issues.Repo(owner="cy", name="cli", source_owner="ann", source_name="cli"))
    view = repo.repo_and_forks(owner="ann", name="cli")
    assert view.repo == issues.Repo(owner="ann", name="cli")
    assert [r.owner for r in view.forks] == ["bob", "cy"]
    # A fork turned into a repository of its own leaves the source's view and heads its own.
    repo.update_repo(owner="bob", name="cli", source_owner=None, source_name=None)
    assert [r.owner for r in repo.repo_and_forks(owner="ann", name="cli").forks] == ["cy"]
    assert repo.repo_and_forks(owner="bob", name="cli").repo == issues.Repo(owner="bob", name="cli")
    assert repo.repo_and_forks(owner="cy", name="cli").repo is None  # a fork heads no view
