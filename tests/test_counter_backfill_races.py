"""The generated counter backfill stays exact while children are written during its count:
under forced interleavings of child writes with its count (one child deleted ahead of the
count and one created behind it: the counter alone cannot see that; creates, deletes, the
parent saved or deleted; a parent written during every count is left for a rerun; a marker
left by a dead run is harmless), and under real concurrent creates and deletes on MiniStack.
The backfill without writers: tests/test_counter_backfill_runs.py."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from dynamodel.runtime.migrate import MigrationReport
from tests.counter_backfill_support import (
    NOW,
    _backfill_stars,
    _markers,
    _repositories,
    _wrong_counters,
    hub,
)
from tests.migrations_support import _run_to_completion

__all__ = ["hub"]  # fixtures, used by name

# -- concurrent writes of children -------------------------------------------------------


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
