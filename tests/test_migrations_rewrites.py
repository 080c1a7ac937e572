"""Generated `migrate_<entity>()`: items written by the package of the old spec are rewritten
for the new spec — moved table keys, changed and new index keys, new, moved and removed
unique guards, a new derived attribute — and afterwards every access pattern of the new
package returns what an oracle over the written objects says. A second run changes nothing;
without key changes no migrations module is generated. How a run goes (cursors, pages,
segments, a capacity budget): tests/test_migrations_runs.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from dynamodel.compiler.codegen import generate_package
from dynamodel.runtime.migrate import MigrationReport
from tests.consistency import check_table
from tests.migrations_support import (
    TRACKER,
    _design,
    _guards,
    _notes,
    _repositories,
    _run_to_completion,
    _scan,
    packages,
)

__all__ = ["packages"]  # fixtures, used by name

NOW = datetime(2026, 11, 29, tzinfo=UTC)


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


def test_without_key_changes_no_migrations_module_is_generated() -> None:
    design = _design(TRACKER)
    files = generate_package(design, package="tracker", previous=design)
    assert "tracker/migrations.py" not in files


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
