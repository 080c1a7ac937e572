"""Bounded views (`limit` on a view of one list field): one Query returns the single items
and the first `limit` list items in the view's order, `cursor` continues the list, and the
pages put together equal an oracle over the written items. Before this, a view's `limit` was
ignored: every call read the whole partition, in as many Queries as its size needed.

Two views: `channel_feed` on the base table (newest first, the channel's head key `~`), and
`tags_of_owner` on a GSI (the second view over `Owner`, which the base partition of the first
view cannot serve), oldest label first.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from dynamodel import InvalidCursorError
from dynamodel.compiler.pipeline import compile_spec
from tests.test_repository_oracle import fresh_repository, spec_package
from tests.test_requests_match_design import Recorder

SPEC = """\
version: 1
table: {name: Feeds, indexes: overloaded}
entities:
  Channel:
    id: [channel_id]
    attributes: {channel_id: str, title: str}
  Message:
    id: [channel_id, sent_at, message_id]
    attributes: {channel_id: str, message_id: str, sent_at: datetime, body: str}
  Owner:
    id: [owner_id]
    attributes: {owner_id: str, name: str}
  Note:
    id: [owner_id, note_id]
    attributes: {owner_id: str, note_id: str, body: str}
  Tag:
    id: [owner_id, tag_id]
    attributes: {owner_id: str, tag_id: str, label: str}
access_patterns:
  get_channel: {entity: Channel, by: [channel_id]}
  channel_feed:
    view: {channel: Channel, messages: [Message]}
    by: [channel_id]
    sort: sent_at
    order: desc
    limit: 3
  owner_notes: {view: {owner: Owner, notes: [Note]}, by: [owner_id]}
  tags_of_owner: {view: {owner: Owner, tags: [Tag]}, by: [owner_id], sort: label, limit: 2}
"""

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "feeds", SPEC)


@pytest.fixture
def recorder(dynamodb_client: Any) -> Recorder:
    return Recorder(dynamodb_client)


@pytest.fixture
def repo(feeds: ModuleType, recorder: Recorder, table_name: str) -> Any:
    repository = feeds.FeedsRepository(client=recorder, table_name=table_name, cursor_key="k" * 32)
    repository.create_table()
    return repository


def test_the_plans_say_what_is_read() -> None:
    compilation = compile_spec(SPEC)
    design = compilation.design
    assert design is not None and not compilation.diagnostics
    plans = {p.name: p for p in design.patterns}
    assert plans["channel_feed"].index is None and plans["channel_feed"].limit == 3
    assert plans["tags_of_owner"].index == "GSI1" and plans["tags_of_owner"].limit == 2
    assert any("Limit 5 reads the single items" in n for n in plans["channel_feed"].notes)
    assert any("unbounded" in n for n in plans["owner_notes"].notes)


def read_all_pages(method: Any, recorder: Recorder, limit: int | None, **by: Any) -> list[Any]:
    """Every page of a view, checking each: one Query, at most `limit` list items, full pages
    before the last, single items on the first page only."""
    pages = []
    cursor = None
    while True:
        recorder.calls.clear()
        recorder.recording = True
        page = (
            method(**by, cursor=cursor)
            if limit is None
            else method(**by, limit=limit, cursor=cursor)
        )
        recorder.recording = False
        assert [name for name, _ in recorder.calls] == ["query"]
        pages.append(page)
        cursor = page.cursor
        if cursor is None:
            return pages
        assert len(pages) < 100


@pytest.mark.backends("moto", "ministack")  # moto_server runs moto's engine again
@pytest.mark.parametrize("seed", range(3))
def test_pages_of_a_base_table_view_equal_the_oracle(
    feeds: ModuleType, repo: Any, recorder: Recorder, seed: int
) -> None:
    rng = random.Random(seed)
    written: dict[str, list[Any]] = {}
    for channel in ("c1", "c2"):
        if rng.random() < 0.8:
            repo.create_channel(feeds.Channel(channel_id=channel, title=f"t-{channel}"))
        written[channel] = []
        for n in range(rng.randrange(0, 12)):
            message = feeds.Message(
                channel_id=channel,
                message_id=f"m{rng.randrange(1000):03d}-{n}",
                sent_at=START + timedelta(minutes=rng.randrange(5)),  # ties: the id orders them
                body="b",
            )
            repo.create_message(message)
            written[channel].append(message)
    for channel, messages in written.items():
        limit = rng.choice([None, 1, 2, 3, 5])
        pages = read_all_pages(repo.channel_feed, recorder, limit, channel_id=channel)
        expected = sorted(messages, key=lambda m: (m.sent_at, m.message_id), reverse=True)
        bound = limit or 3  # the spec's limit is the default
        assert [m for page in pages for m in page.messages] == expected
        assert all(len(page.messages) == bound for page in pages[:-1])
        assert len(pages[-1].messages) <= bound
        assert pages[0].channel == repo.get_channel(channel_id=channel)
        assert all(page.channel is None for page in pages[1:])


@pytest.mark.backends("moto", "ministack")  # moto_server runs moto's engine again
@pytest.mark.parametrize("seed", range(3))
def test_pages_of_a_view_on_a_gsi_equal_the_oracle(
    feeds: ModuleType, repo: Any, recorder: Recorder, seed: int
) -> None:
    rng = random.Random(100 + seed)
    repo.create_owner(feeds.Owner(owner_id="o1", name="Ann"))
    tags = [
        feeds.Tag(owner_id="o1", tag_id=f"t{n}", label=rng.choice(["a", "b", "c#", "~"]))
        for n in range(rng.randrange(0, 9))
    ]
    for tag in tags:
        repo.create_tag(tag)
    repo.create_tag(feeds.Tag(owner_id="o2", tag_id="t0", label="a"))  # another partition
    limit = rng.choice([1, 2, 4])
    pages = read_all_pages(repo.tags_of_owner, recorder, limit, owner_id="o1")
    assert [t for page in pages for t in page.tags] == sorted(
        tags, key=lambda t: (t.label, t.tag_id)
    )
    assert pages[0].owner == feeds.Owner(owner_id="o1", name="Ann")
    assert all(len(page.tags) == limit for page in pages[:-1])


def test_a_view_without_limit_reads_everything_and_has_no_cursor(
    feeds: ModuleType, repo: Any
) -> None:
    repo.create_owner(feeds.Owner(owner_id="o1", name="Ann"))
    for n in range(5):
        repo.create_note(feeds.Note(owner_id="o1", note_id=f"n{n}", body="x"))
    view = repo.owner_notes(owner_id="o1")
    assert [n.note_id for n in view.notes] == [f"n{n}" for n in range(5)]
    assert view.cursor is None
    paged = repo.owner_notes(owner_id="o1", limit=2)
    assert [n.note_id for n in paged.notes] == ["n0", "n1"] and paged.cursor is not None
    rest = repo.owner_notes(owner_id="o1", limit=10, cursor=paged.cursor)
    assert [n.note_id for n in rest.notes] == ["n2", "n3", "n4"] and rest.owner is None


def test_a_cursor_works_only_for_its_view_and_arguments(feeds: ModuleType, repo: Any) -> None:
    for channel in ("c1", "c2"):
        repo.create_channel(feeds.Channel(channel_id=channel, title="t"))
        for n in range(3):
            repo.create_message(
                feeds.Message(channel_id=channel, message_id=f"m{n}", sent_at=START, body="b")
            )
    cursor = repo.channel_feed(channel_id="c1", limit=1).cursor
    assert cursor is not None
    with pytest.raises(InvalidCursorError):
        repo.channel_feed(channel_id="c2", limit=1, cursor=cursor)
    with pytest.raises(InvalidCursorError):
        repo.owner_notes(owner_id="c1", limit=1, cursor=cursor)
    with pytest.raises(ValueError, match="limit"):
        repo.channel_feed(channel_id="c1", limit=None, cursor=cursor)
    with pytest.raises(ValueError, match="at least 1"):
        repo.channel_feed(channel_id="c1", limit=0)


# Two views of one parent in one partition of the base table: the repository sorts between
# its issues (before it, read backward, newest first) and its pulls (after it, oldest first).
TWO_VIEWS = """\
version: 1
table: {name: GitHub}
entities:
  Repo:
    id: [owner, name]
    attributes: {owner: str, name: str, description: "str?"}
  Issue:
    id: [owner, name, number]
    attributes: {owner: str, name: str, number: int, title: str}
  Pull:
    id: [owner, name, number]
    attributes: {owner: str, name: str, number: int, title: str}
access_patterns:
  get_repo: {entity: Repo, by: [owner, name]}
  get_issue: {entity: Issue, by: [owner, name, number]}
  repo_with_issues:
    view: {repo: Repo, issues: [Issue]}
    by: [owner, name]
    sort: number
    order: desc
    limit: 4
  repo_with_pulls: {view: {repo: Repo, pulls: [Pull]}, by: [owner, name], sort: number}
  issues_of_repo: {entity: Issue, by: [owner, name], sort: number}
"""


# The same two views on a GSI: issues and pulls have ids of their own, so their base
# partitions are not the repository's; the pair shares one GSI partition instead of two GSIs.
TWO_VIEWS_ON_A_GSI = (
    TWO_VIEWS.replace("id: [owner, name, number]", "id: [item_id]")
    .replace(
        "attributes: {owner: str, name: str, number: int",
        "attributes: {item_id: str, owner: str, name: str, number: int",
    )
    .replace(
        "get_issue: {entity: Issue, by: [owner, name, number]}",
        "get_issue: {entity: Issue, by: [item_id]}",
    )
)


@pytest.fixture(scope="module", params=["table", "gsi"])
def github(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    spec = TWO_VIEWS if request.param == "table" else TWO_VIEWS_ON_A_GSI
    return spec_package(tmp_path_factory, f"github_{request.param}", spec)


def test_two_views_of_one_parent_share_one_gsi_partition() -> None:
    compilation = compile_spec(TWO_VIEWS_ON_A_GSI)
    design = compilation.design
    assert design is not None and not compilation.diagnostics, compilation.rendered()
    assert [index.name for index in design.indexes] == ["GSI1"]
    plans = {p.name: p for p in design.patterns}
    assert plans["repo_with_issues"].key_condition == "GSI1PK = :pk AND GSI1SK <= :sk"
    assert plans["repo_with_pulls"].key_condition == "GSI1PK = :pk AND GSI1SK >= :sk"
    assert plans["repo_with_issues"].head_bound == plans["repo_with_pulls"].head_bound == "#Repo"
    sort_keys = {e.name: e.key_on("GSI1").sort.render() for e in design.entities}  # type: ignore[union-attr]
    assert sort_keys == {
        "Repo": "#Repo",
        "Issue": "!Issue#{number}#{item_id}",
        "Pull": "Pull#{number}#{item_id}",
    }


def test_two_views_of_one_parent_share_its_partition_without_a_gsi() -> None:
    compilation = compile_spec(TWO_VIEWS)
    design = compilation.design
    assert design is not None and not compilation.diagnostics
    assert design.indexes == ()
    plans = {p.name: p for p in design.patterns}
    assert plans["repo_with_issues"].key_condition == "PK = :pk AND SK <= :sk"
    assert plans["repo_with_pulls"].key_condition == "PK = :pk AND SK >= :sk"
    assert plans["repo_with_issues"].head_bound == plans["repo_with_pulls"].head_bound == "#Repo"
    sort_keys = {e.name: e.table_key.sort.render() for e in design.entities}
    assert sort_keys == {"Repo": "#Repo", "Issue": "!Issue#{number}", "Pull": "Pull#{number}"}


def item_id(package: ModuleType, kind: str, number: int) -> dict[str, str]:
    """The GSI variant's issues and pulls have ids of their own."""
    return {"item_id": f"{kind}{number}"} if "item_id" in package.Issue.model_fields else {}


@pytest.mark.backends("moto", "ministack")  # moto_server runs moto's engine again
@pytest.mark.parametrize("seed", range(3))
def test_each_of_two_views_in_one_partition_reads_only_its_side(
    github: ModuleType, dynamodb_client: Any, table_name: str, seed: int
) -> None:
    recorder = Recorder(dynamodb_client)
    repo = fresh_repository(github, recorder, table_name)
    rng = random.Random(seed)
    written: dict[str, dict[str, list[Any]]] = {}
    for name in ("a", "b"):
        if rng.random() < 0.8:
            repo.create_repo(github.Repo(owner="o", name=name))
        issues = [
            github.Issue(owner="o", name=name, number=n, title="i", **item_id(github, "i", n))
            for n in rng.sample(range(-50, 50), rng.randrange(0, 9))
        ]
        pulls = [
            github.Pull(owner="o", name=name, number=n, title="p", **item_id(github, "p", n))
            for n in rng.sample(range(-50, 50), rng.randrange(0, 9))
        ]
        for item in issues:
            repo.create_issue(item)
        for item in pulls:
            repo.create_pull(item)
        written[name] = {"issues": issues, "pulls": pulls}
    for name, items in written.items():
        stored_repo = repo.get_repo(owner="o", name=name)
        limit = rng.choice([None, 1, 3])
        pages = read_all_pages(repo.repo_with_issues, recorder, limit, owner="o", name=name)
        assert [i for page in pages for i in page.issues] == sorted(
            items["issues"], key=lambda i: i.number, reverse=True
        )
        assert pages[0].repo == stored_repo and all(p.repo is None for p in pages[1:])
        pages = read_all_pages(repo.repo_with_pulls, recorder, limit, owner="o", name=name)
        assert [p for page in pages for p in page.pulls] == sorted(
            items["pulls"], key=lambda p: p.number
        )
        assert pages[0].repo == stored_repo
        whole = repo.repo_with_pulls(owner="o", name=name, limit=None)
        assert whole.pulls == sorted(items["pulls"], key=lambda p: p.number)
        listed = repo.issues_of_repo(owner="o", name=name, limit=100).items
        assert listed == sorted(items["issues"], key=lambda i: i.number)
