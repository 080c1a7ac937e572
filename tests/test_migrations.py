"""Generated `migrate_<entity>()`: items written by the package of the old spec are rewritten
for the new spec — moved table keys, changed and new index keys, new, moved and removed
unique guards — and afterwards every access pattern of the new package returns what an
oracle over the written objects says. A second run changes nothing; a run cut into pages or
interrupted by a failure resumes from its cursor to the same table."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from dynamodel.compiler.codegen import generate_package
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.runtime.errors import InvalidCursorError, RetriesExhaustedError
from dynamodel.runtime.migrate import MigrationReport, migrate_entity
from dynamodel.runtime.retry import RetryPolicy
from tests.consistency import check_table

ROOT = Path(__file__).resolve().parent.parent
TRACKER = (ROOT / "examples" / "tracker" / "spec.yaml").read_text(encoding="utf-8")
# The tracker, changed: Ticket's GSI2 sort key loses `status`; User gains an index key and a
# second unique value; without the workspace view, Membership leaves the Workspace partition.
TRACKER_NEXT = (
    TRACKER.replace(
        "tickets_for_assignee: {entity: Ticket, by: [assignee_id], sort: [status, priority]}",
        "tickets_for_assignee: {entity: Ticket, by: [assignee_id], sort: [priority]}\n"
        "  users_by_name: {entity: User, by: [display_name]}",
    )
    .replace("unique: [email]", "unique: [email, display_name]")
    .replace(
        "  workspace_overview:  {view: {workspace: Workspace, members: [Membership]}, "
        "by: [workspace_id]}\n",
        "",
    )
)
ACCOUNTS = """\
version: 1
table: Accounts
entities:
  Account:
    id: [account_id]
    attributes: {account_id: str, tenant_id: str, email: str, name: str}
    unique: [email]
access_patterns:
  get_account: {entity: Account, by: [account_id]}
"""
# The id gains the tenant (every table key moves) and email becomes unique per tenant (every
# guard moves to a new key, and the old guards must go).
ACCOUNTS_NEXT = (
    ACCOUNTS.replace("id: [account_id]", "id: [tenant_id, account_id]")
    .replace("unique: [email]", "unique: [[tenant_id, email]]")
    .replace("by: [account_id]", "by: [tenant_id, account_id]")
)
# A derived attribute (spec 1.1) and a pattern sorted by it: stored notes lack the value and
# the index key it feeds; the migration's rewrite stores both.
NOTES = """\
version: 1
table: Notes
entities:
  Note:
    id: [owner, note_id]
    attributes: {owner: str, note_id: str, title: str}
access_patterns:
  get_note: {entity: Note, by: [owner, note_id]}
"""
NOTES_NEXT = (
    NOTES.replace("title: str}", 'title: str, title_lower: {type: str, derived: "lower(title)"}}')
    + "  notes_by_title: {entity: Note, by: [owner], sort: title_lower}\n"
)
NOW = datetime(2026, 11, 29, tzinfo=UTC)


def _design(text: str) -> Design:
    result = compile_spec(text)
    assert result.design is not None, result.rendered()
    return result.design


@pytest.fixture
def packages(tmp_path: Path) -> Iterator[dict[str, ModuleType]]:
    """v1/v2 packages of both spec pairs, importable side by side under distinct names."""
    pairs = {
        "tracker": (TRACKER, TRACKER_NEXT),
        "accounts": (ACCOUNTS, ACCOUNTS_NEXT),
        "notes": (NOTES, NOTES_NEXT),
    }
    suffix = tmp_path.name.replace("-", "_")
    names: dict[str, str] = {}
    for label, (old, new) in pairs.items():
        before, after = _design(old), _design(new)
        for version, design, previous in (("v1", before, None), ("v2", after, before)):
            package = f"{label}_{version}_{suffix}"
            names[f"{label}_{version}"] = package
            files = generate_package(
                design, package=package, spec_name="spec.yaml", previous=previous
            )
            for relative, text in files.items():
                path = tmp_path / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        modules = {key: importlib.import_module(name) for key, name in names.items()}
        modules["tracker_migrations"] = importlib.import_module(f"{names['tracker_v2']}.migrations")
        modules["accounts_migrations"] = importlib.import_module(
            f"{names['accounts_v2']}.migrations"
        )
        modules["notes_migrations"] = importlib.import_module(f"{names['notes_v2']}.migrations")
        yield modules
    finally:
        sys.path.remove(str(tmp_path))
        for name in list(sys.modules):
            if name.endswith(suffix) or f"{suffix}." in name:
                del sys.modules[name]


def _scan(client: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        response = client.scan(**request)
        items += response["Items"]
        if "LastEvaluatedKey" not in response:
            return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _seed_tracker(v1: ModuleType, repo: Any) -> dict[str, list[Any]]:
    written: dict[str, list[Any]] = {"users": [], "memberships": [], "tickets": []}
    repo.create_workspace(v1.Workspace(workspace_id="w1", name="Acme"))
    for n in range(6):
        # Two users share a display name: the new unique value finds the duplicate.
        name = "Dup" if n in (4, 5) else f"User {n}"
        user = v1.User(user_id=f"u{n}", email=f"u{n}@x.io", display_name=name)
        written["users"].append(repo.create_user(user))
        membership = v1.Membership(
            workspace_id="w1", user_id=f"u{n}", role="member", joined_at=NOW + timedelta(n)
        )
        written["memberships"].append(repo.create_membership(membership))
    for n in range(1, 9):
        ticket = v1.Ticket(
            workspace_id="w1",
            ticket_no=n,
            title=f"t{n}",
            status=["open", "in_progress", "closed"][n % 3],
            priority=n % 4,
            assignee_id=f"u{n % 3}" if n % 4 else None,
            updated_at=NOW + timedelta(hours=n),
            labels={"a"},
            expires_at=NOW + timedelta(days=30) if n == 1 else None,
            checklist=[
                v1.ChecklistItem(workspace_id="w1", ticket_no=n, position=p, text=f"{p}")
                for p in range(n % 3)
            ],
        )
        written["tickets"].append(repo.create_ticket(ticket))
    return written


def _repositories(
    modules: dict[str, ModuleType], label: str, client: Any, table_name: str
) -> tuple[Any, Any]:
    v1, v2 = modules[f"{label}_v1"], modules[f"{label}_v2"]
    old = next(getattr(v1, n) for n in v1.__all__ if n.endswith("Repository"))
    new = next(getattr(v2, n) for n in v2.__all__ if n.endswith("Repository"))
    retry = RetryPolicy(base_delay=0.0)
    return old(client=client, table_name=table_name, retry=retry), new(
        client=client, table_name=table_name, retry=retry
    )


def _check_tracker(v2: ModuleType, repo: Any, written: dict[str, list[Any]]) -> None:
    """Every pattern of the new package against an oracle over what the old one wrote."""
    tickets = written["tickets"]
    for assignee in ("u0", "u1", "u2"):
        page = repo.tickets_for_assignee(assignee_id=assignee, limit=100)
        expected = sorted(
            (t for t in tickets if t.assignee_id == assignee),
            key=lambda t: (t.priority, t.workspace_id, t.ticket_no),
        )
        assert [t.ticket_no for t in page.items] == [t.ticket_no for t in expected]
    # display_name is unique in the new spec, so the pattern returns one user; the stored
    # data still has two "Dup" (the migration reported it), and either may come back.
    for name in ("User 0", "Dup"):
        found = repo.users_by_name(display_name=name)
        assert found is not None
        assert found.user_id in {u.user_id for u in written["users"] if u.display_name == name}
    members = repo.members_of_workspace(workspace_id="w1", limit=100).items
    assert [m.user_id for m in members] == sorted(m.user_id for m in written["memberships"])
    for ticket in tickets:
        got = repo.get_ticket(workspace_id="w1", ticket_no=ticket.ticket_no)
        assert got is not None and got.model_dump() == ticket.model_dump()
    for user in written["users"]:
        assert repo.user_by_email(email=user.email).user_id == user.user_id


def _guards(items: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    return {
        (i["PK"]["S"], i["SK"]["S"]): i["_owner"]["S"]
        for i in items
        if i["_type"]["S"] == "_unique"
    }


def _run_to_completion(migrate: Any, repo: Any, **options: Any) -> list[MigrationReport]:
    reports = [migrate(repo, **options)]
    while reports[-1].cursor is not None:
        reports.append(migrate(repo, cursor=reports[-1].cursor, **options))
    return reports


def test_tracker_items_are_migrated_and_every_pattern_matches_the_oracle(
    packages: dict[str, ModuleType], dynamodb_client: Any, table_name: str
) -> None:
    old, new = _repositories(packages, "tracker", dynamodb_client, table_name)
    old.create_table()
    written = _seed_tracker(packages["tracker_v1"], old)
    before = _scan(dynamodb_client, table_name)
    migrations = packages["tracker_migrations"]
    assert [f for f in dir(migrations) if f.startswith("migrate_")] == [
        "migrate_all",
        "migrate_membership",
        "migrate_ticket",
        "migrate_user",
    ]
    reports = {r.entity: r for r in migrations.migrate_all(new, page_size=7)}
    assert reports["Membership"].rewritten == 6 and not reports["Membership"].conflicts
    assert reports["Ticket"].rewritten == sum(1 for t in written["tickets"] if t.assignee_id)
    # Only the users' new index keys and guards change; one of the two "Dup" keeps its value
    # without a guard, and the report names it.
    assert reports["User"].rewritten == 5
    [conflict] = reports["User"].conflicts
    assert "display_name='Dup' is already held by" in conflict
    _check_tracker(packages["tracker_v2"], new, written)
    after = _scan(dynamodb_client, table_name)
    assert len(after) == len(before) + 5  # five new display-name guards, nothing lost
    members = [i for i in after if i["_type"]["S"] == "Membership"]
    assert all(i["PK"]["S"].startswith("Membership#") for i in members)
    ticket_1 = next(i for i in after if i["_type"]["S"] == "Ticket" and i["ticket_no"]["N"] == "1")
    assert "expires_at" in ticket_1
    # Every guard names an existing owner, which holds the guarded value.
    keys = {(i["PK"]["S"], i["SK"]["S"]): i for i in after}
    for owner in _guards(after).values():
        pk, sk = owner.split("\n")
        assert (pk, sk) in keys
    # The whole-table checker of the contention runs agrees: every item has exactly the keys
    # the new code computes, every guard names its holder. The only violations are about the
    # second "Dup" user, which the migration reported and left exactly as it was (old index
    # keys, no guard of its own): the stored data breaks the new unique rule.
    report = check_table(dynamodb_client, table_name, new.SCHEMAS, new.INDEX_KEYS)
    [duplicate] = {v.key for v in report.violations}
    assert conflict.startswith(f"User(user_id='{duplicate[0][5:]}')"), conflict
    assert report.items == 41, str(report)
    # A second pass finds nothing to do but the duplicate it reports again.
    again = {r.entity: r for r in migrations.migrate_all(new)}
    assert all(r.rewritten == 0 and r.guards_removed == 0 for r in again.values())
    assert again["User"].conflicts == reports["User"].conflicts
    assert _scan(dynamodb_client, table_name) == after


def test_moved_keys_and_moved_guards(
    packages: dict[str, ModuleType], dynamodb_client: Any, table_name: str
) -> None:
    old, new = _repositories(packages, "accounts", dynamodb_client, table_name)
    old.create_table()
    v1 = packages["accounts_v1"]
    accounts = [
        old.create_account(
            v1.Account(account_id=f"a{n}", tenant_id=f"t{n % 2}", email=f"{n}@x.io", name="n")
        )
        for n in range(12)
    ]
    old_guards = _guards(_scan(dynamodb_client, table_name))
    seen: list[MigrationReport] = []
    reports = _run_to_completion(
        packages["accounts_migrations"].migrate_account,
        new,
        page_size=5,
        max_pages=1,
        on_page=seen.append,
    )
    assert len(reports) > 2 and reports[-1].cursor is None
    assert [r.cursor for r in reports[:-1]] == [seen[i].cursor for i in range(len(reports) - 1)]
    assert sum(r.rewritten for r in reports) == 12
    assert sum(r.guards_removed for r in reports) == 12
    items = _scan(dynamodb_client, table_name)
    guards = _guards(items)
    assert len(items) == 24 and not set(guards) & set(old_guards)
    for account in accounts:
        got = new.get_account(tenant_id=account.tenant_id, account_id=account.account_id)
        assert got is not None and got.model_dump() == account.model_dump()
    for owner in guards.values():
        pk, _ = owner.split("\n")
        assert pk.startswith("Account#t")
    report = check_table(dynamodb_client, table_name, new.SCHEMAS, new.INDEX_KEYS)
    assert not report.violations, str(report)
    # The new guards guard: another account with a taken email in the same tenant fails.
    v2 = packages["accounts_v2"]
    with pytest.raises(Exception, match="already taken"):
        new.create_account(v2.Account(account_id="z", tenant_id="t0", email="0@x.io", name="z"))


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


def test_without_key_changes_no_migrations_module_is_generated() -> None:
    design = _design(TRACKER)
    files = generate_package(design, package="tracker", previous=design)
    assert "tracker/migrations.py" not in files


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


def _notes(packages: dict[str, ModuleType], client: Any, table_name: str, titles: list[str]) -> Any:
    """The new notes repository, on a table (with the new GSI) the old code filled."""
    old, new = _repositories(packages, "notes", client, table_name)
    new.create_table()  # the stack update adds the new GSI first; the old code still writes
    for n, title in enumerate(titles):
        owner = f"o{n % 3}" if len(titles) > 20 else "o"
        old.create_note(packages["notes_v1"].Note(owner=owner, note_id=f"n{n:02d}", title=title))
    return new


def test_a_new_derived_attribute_is_stored_by_the_migration(
    packages: dict[str, ModuleType], dynamodb_client: Any, table_name: str
) -> None:
    titles = ["b", "A", "c", "B", "a"]
    new = _notes(packages, dynamodb_client, table_name, titles)
    v2 = packages["notes_v2"]
    assert new.notes_by_title(owner="o", limit=100).items == []  # no key before the backfill
    [report] = packages["notes_migrations"].migrate_all(new, page_size=2)
    assert report.rewritten == len(titles) and not report.conflicts
    got = new.notes_by_title(owner="o", limit=100).items
    assert [(n.title_lower, n.note_id) for n in got] == sorted(
        (t.lower(), f"n{n:02d}") for n, t in enumerate(titles)
    )
    stored = _scan(dynamodb_client, table_name)
    assert all(i["title_lower"]["S"] == i["title"]["S"].lower() for i in stored)
    [again] = packages["notes_migrations"].migrate_all(new)
    assert again.rewritten == 0 and _scan(dynamodb_client, table_name) == stored
    assert isinstance(got[0], v2.Note)


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
