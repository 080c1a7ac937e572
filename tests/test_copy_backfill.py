"""A new denormalized copy (spec 1.1 `copy_of`) is a data migration with a generated
backfill, `backfill_<holder>_copies_of_<source>()`, which fills every stored holder's copies
from its source: `dynamodel diff` classifies it, the generated code passes mypy --strict and
ruff (with the other goldens' sweep), and the backfill is right on moto, moto_server and
MiniStack for items written by the previous spec's code (sources without a version or an
incarnation), in one run or 4 parallel segments; a rerun changes nothing, and the stream
handler keeps the copies current afterwards."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.diff import diff_designs
from dynamodel.runtime.copies import CopyKeeper
from dynamodel.runtime.migrate import MigrationReport
from dynamodel.runtime.retry import RetryPolicy
from tests.package_versions import compiled, package_versions
from tests.stream_records import lambda_record, read_stream, stream_arn
from tests.test_copies import SPEC

# Deployed before: the same entities, no copies (so no stream). The sources were versioned
# already: an entity that becomes versioned is a migration of its own, by hand (the diff says
# so), whatever the reason.
BEFORE = (
    "\n".join(line for line in SPEC.splitlines() if "copy_of" not in line)
    .replace("    id: [owner, name]\n", "    id: [owner, name]\n    version: true\n", 1)
    .replace("    id: [username]\n", "    id: [username]\n    version: true\n", 1)
    + "\n"
)
REPOS = ("a", "b", "c")


def _design(text: str) -> Design:
    return compiled(text)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The packages of both specs (the new one with migrations.py), importable side by side."""
    root = tmp_path_factory.mktemp("hub_copies")
    with package_versions(root, "hub_copies", BEFORE, SPEC) as modules:
        modules["copies"] = importlib.import_module("hub_copies_v2.copies")
        yield modules


def test_the_diff_classifies_new_copies_as_data_migrations() -> None:
    diff = diff_designs(_design(BEFORE), _design(SPEC))
    functions = [b.function for b in diff.backfills]
    assert functions == ["backfill_issue_copies_of_repo", "backfill_comment_copies_of_user"]
    (issue,) = [c for c in diff.changes if c.backfill and c.backfill.entity == "Issue"]
    assert issue.severity == "migrate"
    assert "repo_description = Repo.description" in issue.summary
    assert "backfill_issue_copies_of_repo()" in issue.summary
    # A spec that already had them: nothing to backfill.
    assert diff_designs(_design(SPEC), _design(SPEC)).backfills == ()


def _seed(hub: dict[str, Any], client: Any, table_name: str) -> tuple[Any, Any, int]:
    """Repos, issues, users and comments written by the previous spec's code, moved to the
    new design's keys by its generated migrations."""
    retry = RetryPolicy(base_delay=0.0)
    v1 = hub["v1"]
    old = v1.HubRepository(client=client, table_name=table_name, retry=retry)
    new = hub["v2"].HubRepository(client=client, table_name=table_name, retry=retry)
    new.create_table()  # the new design's table: with the stream the copies need
    holders = 0
    for name in REPOS:
        old.create_repo(v1.Repo(owner="o", name=name, description=f"about {name}"))
        for number in range(1, 4):
            old.create_issue(v1.Issue(owner="o", name=name, number=number, title="t"))
            holders += 1
    old.create_user(v1.User(username="ann", display_name="Ann"))
    old.create_comment(v1.Comment(comment_id="c1", username="ann", body="."))
    old.create_comment(v1.Comment(comment_id="c2", username=None, body="."))
    old.create_comment(v1.Comment(comment_id="c3", username="ghost", body="."))
    # The holders' keys change too (the lookups `copy_of` adds need them): moved first.
    for migrate in (hub["migrations"].migrate_issue, hub["migrations"].migrate_comment):
        assert _all(migrate, new)[-1].cursor is None
    return old, new, holders


def _issues(new: Any) -> list[Any]:
    return [
        issue
        for name in REPOS
        for issue in new.issue_copies_of_repo(owner="o", name=name, consistent=True).items
    ]


def _all(backfill: Any, repo: Any, **options: Any) -> list[MigrationReport]:
    reports = [backfill(repo, **options)]
    while reports[-1].cursor is not None:
        reports.append(backfill(repo, cursor=reports[-1].cursor, **options))
    return reports


def test_the_backfill_fills_every_copy_and_a_rerun_changes_nothing(
    hub: dict[str, Any], dynamodb_client: Any, table_name: str
) -> None:
    _, new, holders = _seed(hub, dynamodb_client, table_name)
    assert {i.repo_description for i in _issues(new)} == {None}
    migrations = hub["migrations"]
    issues = _all(migrations.backfill_issue_copies_of_repo, new, page_size=2)
    assert sum(r.rewritten for r in issues) == holders
    assert all(i.repo_description == f"about {i.name}" for i in _issues(new))
    comments = migrations.backfill_comment_copies_of_user(new)
    assert (comments.rewritten, comments.unchanged) == (1, 1)  # c1 filled, c2 names no one
    assert len(comments.conflicts) == 1 and "User does not exist" in comments.conflicts[0]
    assert new.get_comment(comment_id="c1").author_name == "Ann"
    # A rerun finds every copy current.
    again = _all(migrations.backfill_issue_copies_of_repo, new)
    assert (sum(r.rewritten for r in again), sum(r.unchanged for r in again)) == (0, holders)


# moto and moto_server serve DynamoDB Streams; MiniStack does not.
@pytest.mark.backends("moto", "moto_server")
def test_the_handler_supersedes_a_backfilled_copy_of_a_source_written_before(
    hub: dict[str, Any], dynamodb_client: Any, table_name: str
) -> None:
    _, new, _ = _seed(hub, dynamodb_client, table_name)
    _all(hub["migrations"].backfill_issue_copies_of_repo, new)
    # A source stored by the old code (no incarnation) changed by the new code: its record
    # supersedes what the backfill copied.
    new.update_repo(owner="o", name="a", description="changed")
    arn = stream_arn(dynamodb_client, table_name)
    records = [lambda_record(r, arn) for r in read_stream(dynamodb_client, table_name)]
    keeper = CopyKeeper(sources=hub["copies"].KEEPER.sources.values(), repository=lambda _: new)
    assert keeper.handle({"Records": records}) == {"batchItemFailures": []}
    assert {i.repo_description for i in _issues(new) if i.name == "a"} == {"changed"}
    assert {i.repo_description for i in _issues(new) if i.name == "b"} == {"about b"}


@pytest.mark.backends("moto", "ministack")
def test_four_segments_fill_every_holder_once(
    hub: dict[str, Any], dynamodb_client: Any, table_name: str
) -> None:
    _, new, holders = _seed(hub, dynamodb_client, table_name)
    backfill = hub["migrations"].backfill_issue_copies_of_repo
    reports = [
        report
        for segment in range(4)
        for report in _all(backfill, new, page_size=1, segment=segment, total_segments=4)
    ]
    assert sum(r.scanned for r in reports) == holders
    assert sum(r.rewritten for r in reports) == holders
    assert all(i.repo_description == f"about {i.name}" for i in _issues(new))
