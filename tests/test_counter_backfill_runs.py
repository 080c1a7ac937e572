"""The generated backfill of a new counted relationship, `backfill_<parent>_<counter>()`,
sets every stored parent's counter to its number of stored children, exactly, on moto,
moto_server and MiniStack: in one run, in 4 parallel segments resumed page by page, and
within a capacity budget; a rerun changes nothing, and cursors of other runs are refused.
Writes of children during the count: tests/test_counter_backfill_races.py."""

from __future__ import annotations

import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from dynamodel.runtime.errors import InvalidCursorError
from dynamodel.runtime.migrate import MigrationReport
from dynamodel.runtime.migrate.scan import encode_cursor
from tests.counter_backfill_support import (
    NOW,
    _backfill_stars,
    _markers,
    _repositories,
    _wrong_counters,
    hub,
)
from tests.migrations_support import _run_to_completion, _scan

__all__ = ["hub"]  # fixtures, used by name

REPOS = [("o", "cli"), ("o", "cli2"), ("o", "web"), ("p", "cli"), ("p", "empty")]


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
