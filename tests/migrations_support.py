"""Shared by the tests of generated migrations (tests/test_migrations_rewrites.py,
tests/test_migrations_runs.py): three pairs of specs (the tracker, accounts and notes, each
before and after a change of keys), the `packages` fixture (the old and new packages of each
pair, importable side by side; the tests import it by name), and helpers that read the table and run the migrations."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dynamodel.compiler.codegen import generate_package
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.runtime.migrate import MigrationReport
from dynamodel.runtime.retry import RetryPolicy
from tests.consistency import scan_items

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
    """Every item of the table (consistent), in key order: comparable before and after a run."""
    items, _ = scan_items(client, table)
    return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


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


def _guards(items: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    return {
        (i["PK"]["S"], i["SK"]["S"]): i["_owner"]["S"]
        for i in items
        if i["_type"]["S"] == "_unique"
    }


def _run_to_completion(migrate: Any, repo: Any, **options: Any) -> list[MigrationReport]:
    """A migration or counter backfill run page by page, each resuming at the last's cursor."""
    reports = [migrate(repo, **options)]
    while reports[-1].cursor is not None:
        reports.append(migrate(repo, cursor=reports[-1].cursor, **options))
    return reports


def _notes(packages: dict[str, ModuleType], client: Any, table_name: str, titles: list[str]) -> Any:
    """The new notes repository, on a table (with the new GSI) the old code filled."""
    old, new = _repositories(packages, "notes", client, table_name)
    new.create_table()  # the stack update adds the new GSI first; the old code still writes
    for n, title in enumerate(titles):
        owner = f"o{n % 3}" if len(titles) > 20 else "o"
        old.create_note(packages["notes_v1"].Note(owner=owner, note_id=f"n{n:02d}", title=title))
    return new
