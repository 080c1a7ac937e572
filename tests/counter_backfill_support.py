"""Shared by the counter backfill tests (tests/test_counter_backfill_diff.py,
tests/test_counter_backfill_runs.py, tests/test_counter_backfill_races.py): the Hub spec
before and after it counts stars and watches, the module-scoped `hub` fixture (both
generated packages, importable side by side; the tests import it by name), and helpers that
read the table and run the backfills."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from dynamodel.runtime.migrate import CountedChildren, MigrationReport, backfill_counter
from dynamodel.runtime.names import RECOUNT_MARKER
from dynamodel.runtime.retry import RetryPolicy
from tests.migrations_support import _scan
from tests.package_versions import package_versions

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
