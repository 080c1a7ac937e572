"""How a generated `migrate_<entity>()` runs: interrupted by a failure it resumes from its
cursor to the same table, a bad cursor is refused before anything is read, a page may hold
one item but not zero, 4 parallel segments migrate every item once, a capacity budget is
kept; the Step Functions fan-out template passes cfn-lint and loops each segment. What is
rewritten: tests/test_migrations_rewrites.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from dynamodel.runtime.errors import InvalidCursorError, RetriesExhaustedError
from dynamodel.runtime.migrate import MigrationReport, migrate_entity
from dynamodel.runtime.retry import RetryPolicy
from tests.migrations_support import (
    _guards,
    _notes,
    _repositories,
    _run_to_completion,
    _scan,
    packages,
)

__all__ = ["packages"]  # fixtures, used by name


def test_an_interrupted_migration_resumes_from_its_cursor(
    packages: dict[str, ModuleType], dynamodb_client: Any, table_name: str
) -> None:
    old, new = _repositories(packages, "accounts", dynamodb_client, table_name)
    old.create_table()
    v1 = packages["accounts_v1"]
    for n in range(10):
        old.create_account(
            v1.Account(account_id=f"a{n}", tenant_id="t", email=f"{n}@x.io", name="n")
        )
    calls = {"n": 0}

    def fail_after_some(**kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 9:
            raise ConnectionRefusedError("injected: the migrating process loses the network")

    event = "before-call.dynamodb.TransactWriteItems"
    dynamodb_client.meta.events.register(event, fail_after_some)
    new.table.retry = RetryPolicy(max_attempts=1, base_delay=0.0)
    progress: list[MigrationReport] = []
    migrate = packages["accounts_migrations"].migrate_account
    with pytest.raises((RetriesExhaustedError, ConnectionRefusedError)):
        migrate(new, page_size=3, on_page=progress.append)
    dynamodb_client.meta.events.unregister(event, fail_after_some)
    assert progress, "at least one page completed before the failure"
    resumed = _run_to_completion(migrate, new, cursor=progress[-1].cursor, page_size=3)
    # Items done before the failure count as unchanged on resume, or were rewritten now; no
    # item is left behind either way.
    items = _scan(dynamodb_client, table_name)
    assert sum(1 for i in items if i["_type"]["S"] == "Account") == 10
    assert all(i["PK"]["S"].startswith("Account#t#") for i in items if i["_type"]["S"] == "Account")
    assert len(_guards(items)) == 10
    final = migrate(new)
    assert final.rewritten == 0 and final.guards_removed == 0 and resumed[-1].cursor is None


@pytest.mark.parametrize(
    "cursor", ["", "not base64!", "e30=", "eyJwaGFzZSI6InNjYW4iLCJrZXkiOm51bGx9"]
)
def test_a_bad_cursor_is_refused_before_reading(
    packages: dict[str, ModuleType], dynamodb_client: Any, table_name: str, cursor: str
) -> None:
    _, new = _repositories(packages, "accounts", dynamodb_client, table_name)
    with pytest.raises(InvalidCursorError):
        packages["accounts_migrations"].migrate_account(new, cursor=cursor)


def test_a_migration_may_go_one_item_a_page_but_not_zero(
    packages: dict[str, ModuleType], dynamodb_client: Any, table_name: str
) -> None:
    old, new = _repositories(packages, "accounts", dynamodb_client, table_name)
    old.create_table()
    v1 = packages["accounts_v1"]
    for n in range(2):
        old.create_account(
            v1.Account(account_id=f"a{n}", tenant_id="t", email=f"{n}@x.io", name="n")
        )
    migrate = packages["accounts_migrations"].migrate_account
    with pytest.raises(ValueError, match="page_size must be at least 1"):
        migrate(new, page_size=0)
    pages: list[MigrationReport] = []
    migrate(new, page_size=1, on_page=pages.append)
    assert len(pages) >= 2
    items = _scan(dynamodb_client, table_name)
    assert all(i["PK"]["S"].startswith("Account#t#") for i in items if i["_type"]["S"] == "Account")


@pytest.mark.backends("moto", "ministack")
def test_four_segments_in_parallel_migrate_every_item_once(
    packages: dict[str, ModuleType], dynamodb_client: Any, table_name: str, backend: str
) -> None:
    new = _notes(packages, dynamodb_client, table_name, [f"T{n}" for n in range(60)])
    migrate = packages["notes_migrations"].migrate_note

    def run_segment(segment: int) -> list[MigrationReport]:
        # One page at a time, resumed from each report's cursor, as a stopped Lambda would.
        return _run_to_completion(
            migrate, new, segment=segment, total_segments=4, page_size=5, max_pages=1
        )

    if backend == "ministack":  # a server: the segments run at once
        with ThreadPoolExecutor(4) as pool:
            runs = list(pool.map(run_segment, range(4)))
    else:  # in-process moto is not thread-safe
        runs = [run_segment(segment) for segment in range(4)]
    rewritten = [sum(r.rewritten for r in reports) for reports in runs]
    assert sum(rewritten) == 60, rewritten  # every item once: the segments are disjoint
    assert sum(1 for count in rewritten if count) >= 2  # the scan really was split
    stored = _scan(dynamodb_client, table_name)
    assert all(i["title_lower"]["S"] == i["title"]["S"].lower() for i in stored)
    again = [r for segment in range(4) for r in run_segment(segment)]
    assert sum(r.rewritten for r in again) == 0 and _scan(dynamodb_client, table_name) == stored
    # A segment's cursor resumes that segment only.
    first = migrate(new, segment=1, total_segments=4, page_size=1, max_pages=1)
    assert first.cursor is not None  # a one-item page of a segment holding items
    with pytest.raises(InvalidCursorError, match="segment 1 of 4"):
        migrate(new, segment=2, total_segments=4, cursor=first.cursor)


def test_a_migration_keeps_to_its_capacity_budget(
    packages: dict[str, ModuleType], dynamodb_client: Any, table_name: str
) -> None:
    new = _notes(packages, dynamodb_client, table_name, [f"T{n}" for n in range(12)])
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    report = migrate_entity(
        new.table,
        new.SCHEMAS[packages["notes_v2"].Note],
        key_attributes={n for pair in new.INDEX_KEYS.values() for n in pair},
        page_size=3,
        max_units_per_second=4.0,
        sleep=sleep,
        clock=lambda: now[0],
    )
    assert report.rewritten == 12 and report.units >= 12 * 2  # 2 write units per rewrite
    # The clock only moved by the pauses: they add up to the units over the budget.
    assert slept and now[0] == pytest.approx(report.units / 4.0)
    with pytest.raises(ValueError, match="together"):
        packages["notes_migrations"].migrate_note(new, segment=1)


def test_the_fanout_template_passes_cfn_lint_and_loops_each_segment() -> None:
    from cfnlint.api import lint_file  # type: ignore[import-untyped]  # no py.typed

    template = Path(__file__).resolve().parents[1] / "examples/migrations/fanout.yaml"
    assert list(lint_file(template)) == []
    loaded = yaml.load(template.read_text(encoding="utf-8"), Loader=_CfnLoader)
    definition = loaded["Resources"]["FanOut"]["Properties"]["Definition"]
    fan = definition["States"]["Segments"]
    assert fan["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    states = fan["ItemProcessor"]["States"]
    # Each segment calls the Lambda again while its cursor is not None.
    assert states["Done?"]["Choices"] == [
        {"Variable": "$.cursor", "IsNull": False, "Next": "Migrate"}
    ]
    assert fan["ItemSelector"]["cursor"] is None


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !Sub, !GetAtt) as plain values."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)
