"""A new counted relationship (spec 1.1 `counts:`) is a data migration with a generated
backfill, `backfill_<parent>_<counter>()`: `dynamodel diff` classifies it (text and JSON),
every other change of what counts what is classified (safe, a backfill, or by hand when no
Query can recount), and the generated code passes mypy --strict and ruff. The backfill
itself: tests/test_counter_backfill_runs.py and tests/test_counter_backfill_races.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dynamodel.compiler.codegen import generate_package
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.diff import diff_designs
from dynamodel.compiler.emit.diff_plan import plan_steps
from tests.counter_backfill_support import HUB, HUB_BEFORE, hub
from tests.package_versions import compiled
from tests.test_cli import run
from tests.test_generated import RUFF_RULES

__all__ = ["hub"]  # fixtures, used by name


def _design(text: str) -> Design:
    return compiled(text)


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
