"""A new counted relationship (spec 1.1 `counts:`) is a data migration with a generated
backfill, `backfill_<parent>_<counter>()`, which sets every stored parent's counter to its
number of stored children: `dynamodel diff` classifies it (text and JSON), the generated code
passes mypy --strict and ruff, and the backfill is exact on moto, moto_server and MiniStack:
in one run, in 4 parallel segments resumed page by page, under forced interleavings of
child writes with its count (one child deleted ahead of the count and one created behind it:
the counter alone cannot see that), and under real concurrent creates and deletes on
MiniStack. A rerun changes nothing."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from dynamodel.compiler.codegen import generate_package
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.diff import diff_designs
from dynamodel.compiler.emit.diff_plan import plan_steps
from dynamodel.runtime.errors import InvalidCursorError
from dynamodel.runtime.migrate import CountedChildren, MigrationReport, backfill_counter
from dynamodel.runtime.migrate.scan import encode_cursor
from dynamodel.runtime.names import RECOUNT_MARKER
from dynamodel.runtime.retry import RetryPolicy
from tests.package_versions import compiled, package_versions
from tests.test_cli import run
from tests.test_generated import RUFF_RULES

# Stars are listed per repo (a table partition per Repo); watches per owner (a partition per
# owner, the repo's name leading the sort key: the count must not take `cli2`'s for `cli`'s).
HUB = """\
version: 1
table: Hub
entities:
  Repo:
    id: [owner, name]
    attributes:
      owner: str
      name: str
      description: str?
      star_count: {type: int, default: 0}
      watch_count: {type: int, default: 0}
  Star:
    id: [owner, name, user]
    attributes: {owner: str, name: str, user: str, starred_at: datetime}
    counts: [Repo.star_count]
  Watch:
    id: [owner, name, user]
    attributes: {owner: str, name: str, user: str, muted: {type: bool, default: false}}
    counts: [Repo.watch_count]
access_patterns:
  get_repo: {entity: Repo, by: [owner, name], consistent: true}
  stars_of_repo: {entity: Star, by: [owner, name], consistent: true}
  watches_of_owner: {entity: Watch, by: [owner], consistent: true}
"""
# Deployed before: no counters, nothing counts.
HUB_BEFORE = (
    HUB.replace("      star_count: {type: int, default: 0}\n", "")
    .replace("      watch_count: {type: int, default: 0}\n", "")
    .replace("    counts: [Repo.star_count]\n", "")
    .replace("    counts: [Repo.watch_count]\n", "")
)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
REPOS = [("o", "cli"), ("o", "cli2"), ("o", "web"), ("p", "cli"), ("p", "empty")]


def _design(text: str) -> Design:
    return compiled(text)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The packages of both specs (the new one with migrations.py), importable side by side."""
    root = tmp_path_factory.mktemp("hub_backfill")
    with package_versions(root, "hub_backfill", HUB_BEFORE, HUB) as modules:
        yield modules


def _repositories(hub: dict[str, Any], client: Any, table_name: str) -> tuple[Any, Any]:
    retry = RetryPolicy(base_delay=0.0)
    old = hub["v1"].HubRepository(client=client, table_name=table_name, retry=retry)
    new = hub["v2"].HubRepository(client=client, table_name=table_name, retry=retry)
    old.create_table()
    return old, new


def _seed(hub: dict[str, Any], old: Any, rng: random.Random, repos: list[tuple[str, str]]) -> None:
    """Repos, stars and watches written by the code of the previous spec (no counters)."""
    v1 = hub["v1"]
    for owner, name in repos:
        old.create_repo(v1.Repo(owner=owner, name=name))
        if name == "empty":
            continue
        for n in range(rng.randint(1, 7)):
            old.create_star(v1.Star(owner=owner, name=name, user=f"u{n}", starred_at=NOW))
        for n in range(rng.randint(0, 4)):
            old.create_watch(v1.Watch(owner=owner, name=name, user=f"w{n}"))


def _scan(client: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        response = client.scan(**request)
        items += response["Items"]
        if "LastEvaluatedKey" not in response:
            return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _wrong_counters(client: Any, table: str) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(owner, name, counter) -> (stored, children) for every Repo whose counter is off."""
    items = _scan(client, table)
    children: Counter[tuple[str, str, str]] = Counter()
    for item in items:
        kind = item["_type"]["S"]
        if kind in ("Star", "Watch"):
            counter = "star_count" if kind == "Star" else "watch_count"
            children[(item["owner"]["S"], item["name"]["S"], counter)] += 1
    wrong = {}
    for item in items:
        if item["_type"]["S"] != "Repo":
            continue
        for counter in ("star_count", "watch_count"):
            key = (item["owner"]["S"], item["name"]["S"], counter)
            stored = int(item.get(counter, {"N": "0"})["N"])
            if stored != children[key]:
                wrong[key] = (stored, children[key])
    return wrong


def _markers(client: Any, table: str) -> list[str]:
    return [n for i in _scan(client, table) for n in i if n.startswith(RECOUNT_MARKER)]


def _run_to_completion(backfill: Any, repo: Any, **options: Any) -> list[MigrationReport]:
    reports = [backfill(repo, **options)]
    while reports[-1].cursor is not None:
        reports.append(backfill(repo, cursor=reports[-1].cursor, **options))
    return reports


# -- dynamodel diff ---------------------------------------------------------------------


def test_the_diff_classifies_new_counters_as_data_migrations(tmp_path: Path) -> None:
    old, new = tmp_path / "before.yaml", tmp_path / "after.yaml"
    old.write_text(HUB_BEFORE, encoding="utf-8")
    new.write_text(HUB, encoding="utf-8")
    result = run("diff", old, new)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    text = result.stdout
    assert text.splitlines()[0].endswith(": needs a data migration")
    migrate = text.split("Needs a data migration:\n")[1].split("\n\n")[0].splitlines()
    assert migrate == [
        "  - entity Repo: new counted relationship: star_count counts Star items (`counts: "
        "[Repo.star_count]` on Star): every stored Repo needs star_count set to its number of "
        "stored Star items; backfill_repo_star_count() counts them with strongly consistent "
        "Queries (Star: PK = Star#{owner}#{name}, SK beginning Star#) and stays exact while "
        "they are created and deleted",
        "  - entity Repo: new counted relationship: watch_count counts Watch items (`counts: "
        "[Repo.watch_count]` on Watch): every stored Repo needs watch_count set to its number "
        "of stored Watch items; backfill_repo_watch_count() counts them with strongly "
        "consistent Queries (Watch: PK = Watch#{owner}, SK beginning Watch#{name}#) and stays "
        "exact while they are created and deleted",
    ]
    plan = text.split("Plan:\n")[1]
    assert "run backfill_repo_star_count(), backfill_repo_watch_count() with" in plan
    assert "By hand" not in plan
    result = run("diff", old, new, "--format", "json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["severity"] == "migrate"
    assert document["migrations"] == ["backfill_repo_star_count", "backfill_repo_watch_count"]
    backfills = [c for c in document["changes"] if c["migration"]]
    assert [(c["severity"], c["subject"], c["migration"]) for c in backfills] == [
        ("migrate", "entity Repo", "backfill_repo_star_count"),
        ("migrate", "entity Repo", "backfill_repo_watch_count"),
    ]
    assert document["plan"] == plan_steps(
        diff_designs(_design(HUB_BEFORE), _design(HUB)),
        old_path=str(old),
        new_path=str(new),
    )


def _spec(text: str, **edits: Any) -> str:
    """`text` with dotted-path edits (None deletes), as YAML."""
    spec = yaml.safe_load(text)
    for path, value in edits.items():
        *parents, last = path.split("__")
        node = spec
        for part in parents:
            node = node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return yaml.safe_dump(spec, sort_keys=False)


@pytest.mark.parametrize(
    ("before", "after", "severity", "backfills", "expected"),
    [
        # Counting starts for a counter that already held values the application kept.
        (
            _spec(HUB, entities__Star__counts=None, entities__Watch__counts=None),
            HUB,
            "migrate",
            ["backfill_repo_star_count", "backfill_repo_watch_count"],
            "new counted relationship: star_count counts Star items",
        ),
        # A new entity counting a new counter: nothing stored to count.
        (
            _spec(
                HUB,
                entities__Watch=None,
                access_patterns__watches_of_owner=None,
                entities__Repo__attributes__watch_count=None,
            ),
            HUB,
            "safe",
            [],
            "watch_count counts Watch items from now on (a new entity",
        ),
        # A new entity counting a counter that already counts stored items: still right.
        (
            _spec(HUB, entities__Watch=None, access_patterns__watches_of_owner=None),
            HUB.replace("counts: [Repo.watch_count]", "counts: [Repo.star_count]"),
            "safe",
            [],
            "star_count counts Watch items from now on",
        ),
        # An entity stops counting while another still counts: recount from the other.
        (
            HUB.replace("counts: [Repo.watch_count]", "counts: [Repo.star_count]"),
            HUB.replace("    counts: [Repo.watch_count]\n", ""),
            "migrate",
            ["backfill_repo_star_count"],
            "star_count no longer counts Watch items",
        ),
        # Counting stops: the stored values stay.
        (
            HUB,
            HUB.replace("    counts: [Repo.watch_count]\n", ""),
            "safe",
            [],
            "watch_count no longer counts Watch items: the stored values stay",
        ),
    ],
    ids=["counts added", "new entity", "new entity, old counter", "one stops", "all stop"],
)
def test_counter_changes_are_classified(
    before: str, after: str, severity: str, backfills: list[str], expected: str
) -> None:
    diff = diff_designs(_design(before), _design(after))
    repo = [c for c in diff.changes if c.subject == "entity Repo" and "count" in c.summary]
    assert any(expected in c.summary for c in repo), repo
    assert {c.severity for c in repo if expected in c.summary} == {severity}
    assert [b.function for b in diff.backfills] == backfills
    assert list(diff.migrations) == backfills


def test_a_counter_no_query_can_recount_is_a_migration_by_hand() -> None:
    # Stars listed only per user: no partition holds a repo's stars, so no backfill can
    # count them exactly; the change says which pattern would give one.
    after = HUB.replace(
        "stars_of_repo: {entity: Star, by: [owner, name], consistent: true}",
        "stars_of_user: {entity: Star, by: [user], consistent: true}",
    )
    before = HUB_BEFORE.replace(
        "stars_of_repo: {entity: Star, by: [owner, name], consistent: true}",
        "stars_of_user: {entity: Star, by: [user], consistent: true}",
    )
    old, new = _design(before), _design(after)
    diff = diff_designs(old, new)
    assert diff.severity == "migrate"
    assert [b.function for b in diff.backfills] == ["backfill_repo_watch_count"]
    [star] = [c for c in diff.changes if "star_count" in c.summary and c.severity == "migrate"]
    assert star.migration is None
    assert "no Query of the table finds a Repo's Star items" in star.summary
    assert "the design stores Star items under PK = Star#{user}" in star.summary
    assert "`{entity: Star, by: [owner, name], consistent: true}`" in star.summary
    steps = plan_steps(diff, old_path="a", new_path="b")
    assert any(s.startswith("By hand (entity Repo): new counted relationship") for s in steps)
    files = generate_package(new, package="hub", previous=old)
    assert "def backfill_repo_star_count" not in files["hub/migrations.py"]
    assert "def backfill_repo_watch_count" in files["hub/migrations.py"]


RUFF = [sys.executable, "-m", "ruff"]
MYPY = [sys.executable, "-m", "mypy"]
PACKAGES = ["hub_backfill_v1", "hub_backfill_v2"]


def test_the_generated_backfills_pass_mypy_strict_and_ruff(hub: dict[str, Any]) -> None:
    root = hub["root"]
    text = (root / "hub_backfill_v2" / "migrations.py").read_text(encoding="utf-8")
    assert "def backfill_repo_star_count(" in text and "def backfill_repo_watch_count(" in text
    assert "def migrate_" not in text.replace("def migrate_all", "")
    lint = subprocess.run(
        [
            *RUFF,
            "check",
            "--isolated",
            "--no-cache",
            "--select",
            RUFF_RULES,
            "--ignore",
            "E501",
            ".",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    typed = subprocess.run(
        [*MYPY, "--strict", "--no-incremental", "--ignore-missing-imports", *PACKAGES],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr


# -- the backfill, end to end ------------------------------------------------------------


def test_the_backfill_sets_every_counter_and_a_rerun_changes_nothing(
    hub: dict[str, Any], dynamodb_client: Any, table_name: str
) -> None:
    old, new = _repositories(hub, dynamodb_client, table_name)
    _seed(hub, old, random.Random(3), REPOS)
    wrong = _wrong_counters(dynamodb_client, table_name)
    assert len(wrong) >= len(REPOS), wrong  # nothing counted yet (the `empty` repo is right)
    assert new.get_repo(owner="o", name="cli").star_count == 0  # the default, until backfilled
    reports = hub["migrations"].migrate_all(new, page_size=2)
    assert [r.entity for r in reports] == ["Repo", "Repo"]
    stars, watches = reports
    children = Counter(i["_type"]["S"] for i in _scan(dynamodb_client, table_name))
    assert (stars.scanned, stars.counted, stars.conflicts) == (len(REPOS), children["Star"], ())
    assert (watches.scanned, watches.counted) == (len(REPOS), children["Watch"])
    assert stars.rewritten == len(REPOS) - 1 and stars.unchanged == 1  # `empty` stays 0
    assert stars.units > 0 and stars.recounted == 0
    assert _wrong_counters(dynamodb_client, table_name) == {}
    assert _markers(dynamodb_client, table_name) == []
    got = new.get_repo(owner="o", name="cli")
    assert got.star_count == len(new.stars_of_repo(owner="o", name="cli", limit=100).items)
    # A rerun finds every counter right: it writes nothing but its markers, and removes them.
    stored = _scan(dynamodb_client, table_name)
    again = hub["migrations"].migrate_all(new)
    assert [(r.rewritten, r.unchanged, r.conflicts) for r in again] == [(0, len(REPOS), ())] * 2
    assert _scan(dynamodb_client, table_name) == stored
    # The new code keeps the counters from now on.
    new.create_star(hub["v2"].Star(owner="o", name="cli", user="new", starred_at=NOW))
    new.delete_star(owner="p", name="cli", user="u0")
    assert _wrong_counters(dynamodb_client, table_name) == {}


@pytest.mark.backends("moto", "ministack")
def test_four_segments_in_parallel_count_every_parent_once(
    hub: dict[str, Any], dynamodb_client: Any, table_name: str, backend: str
) -> None:
    old, new = _repositories(hub, dynamodb_client, table_name)
    repos = [(f"o{n % 3}", f"r{n:02d}") for n in range(40)]
    _seed(hub, old, random.Random(5), repos)
    backfill = hub["migrations"].backfill_repo_star_count

    def run_segment(segment: int) -> list[MigrationReport]:
        # One page at a time, resumed from each report's cursor, as a stopped Lambda would.
        return _run_to_completion(
            backfill, new, segment=segment, total_segments=4, page_size=3, max_pages=1
        )

    started = time.perf_counter()
    if backend == "ministack":  # a server: the segments run at once
        with ThreadPoolExecutor(4) as pool:
            runs = list(pool.map(run_segment, range(4)))
    else:  # in-process moto is not thread-safe
        runs = [run_segment(segment) for segment in range(4)]
    elapsed = time.perf_counter() - started
    scanned = [sum(r.scanned for r in reports) for reports in runs]
    assert sum(scanned) == len(repos), scanned  # every parent once: the segments are disjoint
    assert sum(1 for n in scanned if n) >= 2  # the scan really was split
    assert sum(r.rewritten for reports in runs for r in reports) == len(repos)
    wrong = _wrong_counters(dynamodb_client, table_name)
    assert not [k for k in wrong if k[2] == "star_count"], wrong
    stored = _scan(dynamodb_client, table_name)
    again = [r for segment in range(4) for r in run_segment(segment)]
    assert sum(r.rewritten for r in again) == 0 and _scan(dynamodb_client, table_name) == stored
    counted = sum(r.counted for reports in runs for r in reports)
    print(f"\n[{backend}] 4 segments: {len(repos)} repos, {counted} stars in {elapsed:.2f} s")
    # A segment's cursor resumes that segment only.
    first = backfill(new, segment=1, total_segments=4, page_size=1, max_pages=1)
    assert first.cursor is not None
    with pytest.raises(InvalidCursorError, match="segment 1 of 4"):
        backfill(new, segment=2, total_segments=4, cursor=first.cursor)


# -- concurrent writes of children -------------------------------------------------------


def _backfill_stars(hub: dict[str, Any], new: Any, **options: Any) -> MigrationReport:
    """The runtime's backfill of star_count, with its options (the generated function
    passes only the scan's)."""
    schema = new.SCHEMAS[hub["v2"].Star]
    [counter] = schema.counts
    children = CountedChildren(
        schema=schema, counter=counter, where=hub["migrations"]._star_items_of_repo
    )
    return backfill_counter(
        new.table, new.SCHEMAS[hub["v2"].Repo], "star_count", [children], **options
    )


def _during_counts(client: Any, act: Callable[[int], None]) -> Callable[[], None]:
    """Call `act(n)` before the n-th Query (1, 2, ...) the client sends; returns the undo."""
    calls = {"n": 0}

    def before_query(**kwargs: Any) -> None:
        calls["n"] += 1
        act(calls["n"])

    client.meta.events.register("before-call.dynamodb.Query", before_query)
    return lambda: client.meta.events.unregister("before-call.dynamodb.Query", before_query)


def _one_repo(hub: dict[str, Any], client: Any, table_name: str, stars: int) -> tuple[Any, Any]:
    old, new = _repositories(hub, client, table_name)
    v1 = hub["v1"]
    old.create_repo(v1.Repo(owner="o", name="cli"))
    for n in range(stars):
        old.create_star(v1.Star(owner="o", name="cli", user=f"u{n}", starred_at=NOW))
    return old, new


def _stars(new: Any) -> int:
    return len(new.stars_of_repo(owner="o", name="cli", limit=1000).items)


def _star_count(client: Any, table_name: str) -> int:
    item = client.get_item(
        TableName=table_name, Key={"PK": {"S": "Repo#o#cli"}, "SK": {"S": "#Repo"}}
    )["Item"]
    return int(item.get("star_count", {"N": "0"})["N"])


def test_a_delete_ahead_and_a_create_behind_the_count_are_seen(
    hub: dict[str, Any], dynamodb_client: Any, table_name: str
) -> None:
    # The count reads two stars a page. Between its pages, one star it has not reached is
    # deleted and one is created where it has passed: the counter is back where it was
    # when the count began (-1 +1), so a condition on the counter alone would let the count
    # (one short) through. Both writes remove the marker: the count is redone.
    _, new = _one_repo(hub, dynamodb_client, table_name, stars=5)
    v2 = hub["v2"]
    at_mark: list[int] = []

    def interleave(n: int) -> None:
        if n == 2:  # before the second page of the first count
            at_mark.append(_star_count(dynamodb_client, table_name))
            new.delete_star(owner="o", name="cli", user="u3")  # ahead: never read
            new.create_star(v2.Star(owner="o", name="cli", user="u00", starred_at=NOW))  # behind
            assert _star_count(dynamodb_client, table_name) == at_mark[0]

    undo = _during_counts(dynamodb_client, interleave)
    try:
        report = _backfill_stars(hub, new, count_page_size=2, sleep=lambda s: None)
    finally:
        undo()
    assert report.recounted == 1 and report.rewritten == 1 and not report.conflicts
    assert _star_count(dynamodb_client, table_name) == _stars(new) == 5
    assert _markers(dynamodb_client, table_name) == []


@pytest.mark.parametrize("event", ["create", "delete", "parent saved", "parent deleted"])
def test_writes_during_a_count_are_met(
    hub: dict[str, Any], dynamodb_client: Any, table_name: str, event: str
) -> None:
    _, new = _one_repo(hub, dynamodb_client, table_name, stars=4)
    v2 = hub["v2"]

    def interleave(n: int) -> None:
        if n != 2:
            return
        if event == "create":
            new.create_star(v2.Star(owner="o", name="cli", user="zz", starred_at=NOW))
        elif event == "delete":
            new.delete_star(owner="o", name="cli", user="u0")
        elif event == "parent saved":  # a Put of the whole item: the marker is gone
            repo = new.get_repo(owner="o", name="cli")
            new.save_repo(repo.model_copy(update={"description": "saved meanwhile"}))
        else:
            new.delete_repo(owner="o", name="cli")

    undo = _during_counts(dynamodb_client, interleave)
    try:
        report = _backfill_stars(hub, new, count_page_size=2, sleep=lambda s: None)
    finally:
        undo()
    assert report.recounted == 1 and not report.conflicts
    if event == "parent deleted":  # nothing to count, and the parent is not brought back
        assert report.unchanged == 1 and new.get_repo(owner="o", name="cli") is None
        assert _markers(dynamodb_client, table_name) == []
        return
    assert _star_count(dynamodb_client, table_name) == _stars(new)
    if event == "parent saved":
        assert new.get_repo(owner="o", name="cli").description == "saved meanwhile"
    assert _markers(dynamodb_client, table_name) == []


def test_a_parent_written_during_every_count_is_left_for_a_rerun(
    hub: dict[str, Any], dynamodb_client: Any, table_name: str
) -> None:
    _, new = _one_repo(hub, dynamodb_client, table_name, stars=3)
    v2 = hub["v2"]

    def interleave(n: int) -> None:
        new.create_star(v2.Star(owner="o", name="cli", user=f"x{n}", starred_at=NOW))

    pauses: list[float] = []
    undo = _during_counts(dynamodb_client, interleave)
    try:
        report = _backfill_stars(hub, new, max_attempts=3, sleep=pauses.append)
    finally:
        undo()
    [conflict] = report.conflicts
    assert "star_count was left as it was" in conflict and "each of 3 counts" in conflict
    assert report.recounted == 2 and len(pauses) == 2 and report.rewritten == 0
    # Only the new code's writes moved it: the three stars of the old code are not counted.
    assert _star_count(dynamodb_client, table_name) == _stars(new) - 3
    report = _backfill_stars(hub, new)
    assert report.rewritten == 1 and _star_count(dynamodb_client, table_name) == _stars(new)


def test_a_marker_left_by_a_dead_run_is_harmless(
    hub: dict[str, Any], dynamodb_client: Any, table_name: str
) -> None:
    _, new = _one_repo(hub, dynamodb_client, table_name, stars=2)

    def die(n: int) -> None:
        raise ConnectionRefusedError("injected: the backfilling process dies mid-count")

    undo = _during_counts(dynamodb_client, die)
    try:
        with pytest.raises(ConnectionRefusedError):
            hub["migrations"].backfill_repo_star_count(new)
    finally:
        undo()
    assert _markers(dynamodb_client, table_name) == ["_recount_star_count"]
    assert new.get_repo(owner="o", name="cli").star_count == 0  # the marker is not read
    new.create_star(hub["v2"].Star(owner="o", name="cli", user="n", starred_at=NOW))
    assert _markers(dynamodb_client, table_name) == []  # a child's write removes it
    report = hub["migrations"].backfill_repo_star_count(new)
    assert report.rewritten == 1 and _star_count(dynamodb_client, table_name) == 3


# MiniStack only: in-process moto is not thread-safe, and moto_server does not isolate
# concurrent transactions (docs/reliability.md).
@pytest.mark.backends("ministack")
def test_concurrent_creates_and_deletes_during_a_parallel_backfill(
    hub: dict[str, Any], dynamodb_client: Any, table_name: str
) -> None:
    old, new = _repositories(hub, dynamodb_client, table_name)
    repos = [("o", f"r{n}") for n in range(12)]
    v1, v2 = hub["v1"], hub["v2"]
    for owner, name in repos:
        old.create_repo(v1.Repo(owner=owner, name=name))
        for n in range(20):
            old.create_star(v1.Star(owner=owner, name=name, user=f"u{n}", starred_at=NOW))
    hot = repos[:4]  # written all through the backfill
    done = threading.Event()
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        while not done.is_set():
            (owner, name), user = rng.choice(hot), f"u{rng.randrange(30)}"
            try:
                if rng.random() < 0.5:
                    new.create_star(v2.Star(owner=owner, name=name, user=user, starred_at=NOW))
                    kind = "created"
                else:
                    new.delete_star(owner=owner, name=name, user=user)
                    kind = "deleted"
            except Exception as error:
                expected = ("AlreadyExistsError", "NotFoundError", "VersionConflictError")
                if type(error).__name__ not in expected:
                    raise
                kind = "refused"
            with lock:
                outcomes[kind] += 1

    backfill = hub["migrations"].backfill_repo_star_count

    def run_segment(segment: int) -> list[MigrationReport]:
        return _run_to_completion(backfill, new, segment=segment, total_segments=4, page_size=2)

    with ThreadPoolExecutor(8) as pool:
        writers = [pool.submit(writer, seed) for seed in range(4)]
        try:
            time.sleep(0.2)  # the writers are going when the backfill starts
            started = time.perf_counter()
            runs = list(pool.map(run_segment, range(4)))
            elapsed = time.perf_counter() - started
            time.sleep(0.2)  # and keep going after it ends
        finally:
            done.set()
        for future in writers:
            future.result()
    reports = [r for reports in runs for r in reports]
    assert sum(r.scanned for r in reports) == len(repos)
    assert outcomes["created"] + outcomes["deleted"] >= 20, outcomes
    # Every parent settled is exact, and stays exact: the writes after it move both sides.
    left = {c.split(" at ")[1].split(":")[0] for r in reports for c in r.conflicts}
    wrong = _wrong_counters(dynamodb_client, table_name)
    assert {f"PK='Repo#{o}#{n}' SK='#Repo'" for o, n, _ in wrong} <= left, (wrong, left)
    if left:  # a parent written during every one of its counts: a rerun settles it
        _run_to_completion(backfill, new)
    assert _wrong_counters(dynamodb_client, table_name) == {}
    recounted = sum(r.recounted for r in reports)
    print(
        f"\n[ministack] 4 segments, 4 writers: {len(repos)} repos, "
        f"{sum(r.counted for r in reports)} stars counted in {elapsed:.2f} s, "
        f"{recounted} counts redone, {len(left)} left for a rerun; writes {dict(outcomes)}"
    )


def test_a_backfill_keeps_to_its_capacity_budget_and_refuses_other_cursors(
    hub: dict[str, Any], dynamodb_client: Any, table_name: str
) -> None:
    old, new = _repositories(hub, dynamodb_client, table_name)
    _seed(hub, old, random.Random(7), REPOS)
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    report = _backfill_stars(
        hub, new, page_size=2, max_units_per_second=2.0, sleep=sleep, clock=lambda: now[0]
    )
    assert report.rewritten == len(REPOS) - 1 and not report.conflicts
    # Per parent at least its mark and its settle (a write unit each) and its count.
    assert report.units >= 2 * len(REPOS)
    # The clock only moved by the pauses: they add up to the units over the budget.
    assert slept and now[0] == pytest.approx(report.units / 2.0)
    with pytest.raises(ValueError, match="max_attempts"):
        _backfill_stars(hub, new, max_attempts=0)
    with pytest.raises(ValueError, match="together"):
        hub["migrations"].backfill_repo_star_count(new, total_segments=2)
    # A cursor of another migration (its phase is another) or of nothing is refused unread.
    for cursor in [encode_cursor("items", None, None), "e30=", "not base64!"]:
        with pytest.raises(InvalidCursorError, match="not a migration cursor"):
            hub["migrations"].backfill_repo_star_count(new, cursor=cursor)
