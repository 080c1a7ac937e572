"""The whole-table consistency checker (`tests/consistency.py`) finds what is wrong: on a table
of the tracker example (moto in-process) it reports nothing on a clean table, following the
Scan's pages, and after the table is corrupted directly (a deleted, an orphaned, a stale and
a malformed guard, a guard naming another owner, an orphaned member, a member whose TTL is
not its root's, a bad version, an index key the attributes do not give, a stale sparse-index
key, an item of no known type) it reports each violation, of its kind, at its item's key.

The contention runs that rely on the checker are in tests/test_contention.py.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dynamodel.runtime.schema import OWNER_ATTRIBUTE, TYPE_ATTRIBUTE
from dynamodel.runtime.writes import GUARD_TYPE
from tests import consistency
from tests.backends import client_for
from tests.consistency import check_table
from tests.contention_runs import WORKSPACE, checklist_for, guard_pk

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "examples" / "tracker" / "generated")
)

from tracker import ChecklistItem, Ticket, TrackerRepository, User
from tracker import _schema as tracker_schema


@pytest.fixture
def moto_repo() -> Iterator[tuple[TrackerRepository, Any]]:
    from moto import mock_aws

    with mock_aws():
        client = client_for("moto")
        repo = TrackerRepository(client=client, table_name="Checked")
        repo.create_table()
        yield repo, client


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return (item["PK"]["S"], item["SK"]["S"])


def test_the_checker_reports_every_corruption(
    moto_repo: tuple[TrackerRepository, Any],
) -> None:
    repo, client = moto_repo
    table = repo.table_name
    s = tracker_schema
    for n in (1, 2, 3):
        repo.create_user(User(user_id=f"u{n}", email=f"u{n}@example.com", display_name=f"U{n}"))
    ticket = repo.create_ticket(
        Ticket(
            workspace_id=WORKSPACE,
            ticket_no=1,
            title="one",
            status="open",
            priority=3,
            updated_at=datetime(2026, 11, 28, tzinfo=UTC),
            expires_at=datetime(2027, 1, 1, tzinfo=UTC),
            checklist=checklist_for(2),  # 3 members
        )
    )
    repo.create_ticket(
        Ticket(
            workspace_id=WORKSPACE,
            ticket_no=2,
            title="two",
            status="closed",
            assignee_id="u1",
            priority=1,
            updated_at=datetime(2026, 11, 28, tzinfo=UTC),
        )
    )
    clean = check_table(client, table, s.SCHEMAS, s.INDEX_KEYS, page_size=2)
    assert clean.ok, str(clean)
    assert clean.pages > 1  # the scan followed LastEvaluatedKey
    assert clean.items == 3 + 3 + 2 + 3  # users, their guards, tickets, members
    assert clean.entities == Counter({"User": 3, "Ticket": 2, "ChecklistItem": 3})
    assert clean.guards == 3

    user_key = {n: _key(s.user_key(user_id=f"u{n}")) for n in (1, 2, 3)}

    def guard_of(email: str, owner: int | None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "PK": {"S": guard_pk(email)},
            "SK": {"S": "User.email"},
            TYPE_ATTRIBUTE: {"S": GUARD_TYPE},
            "_entity": {"S": "User"},
        }
        if owner is not None:
            pk, sk = _key(s.user_key(user_id=f"u{owner}"))
            item[OWNER_ATTRIBUTE] = {"S": f"{pk}\n{sk}"}
        return item

    def put(item: dict[str, Any]) -> tuple[str, str]:
        client.put_item(TableName=table, Item=item)
        return _key(item)

    # A deleted guard: u1's email has none.
    client.delete_item(
        TableName=table, Key={"PK": {"S": guard_pk("u1@example.com")}, "SK": {"S": "User.email"}}
    )
    # An orphaned guard: its owner does not exist.
    ghost = dict(guard_of("ghost@example.com", None))
    ghost[OWNER_ATTRIBUTE] = {"S": "User#ghost\n#User"}
    orphan_guard = put(ghost)
    # A stale guard: its owner, u2, holds another email.
    stale_guard = put(guard_of("old@example.com", owner=2))
    # u3's guard names u2: u3's value is guarded for someone else, and u2 does not hold it.
    u3_guard = put(guard_of("u3@example.com", owner=2))
    # A guard that names no owner.
    malformed = put(guard_of("nobody@example.com", owner=None))
    # An orphaned member: a checklist item of a ticket that does not exist.
    stray = s.checklist_item_to_item(
        ChecklistItem(workspace_id=WORKSPACE, ticket_no=99, position=1, text="stray")
    )
    orphan_member = put(stray)
    # A member whose TTL is not its root's.
    member = s.checklist_item_to_item(ticket.checklist[0])
    member["expires_at"] = {"N": "1"}
    ttl_member = put(member)
    # A root whose version is not a positive int.
    root_1 = _key(s.ticket_key(workspace_id=WORKSPACE, ticket_no=1))
    client.update_item(
        TableName=table,
        Key={"PK": {"S": root_1[0]}, "SK": {"S": root_1[1]}},
        UpdateExpression="SET version = :v",
        ExpressionAttributeValues={":v": {"N": "0"}},
    )
    # An index key the attributes do not give, and a sparse key a closed ticket must not have.
    client.update_item(
        TableName=table,
        Key={"PK": {"S": user_key[3][0]}, "SK": {"S": user_key[3][1]}},
        UpdateExpression="SET GSI1PK = :k",
        ExpressionAttributeValues={":k": {"S": "User#someone-else"}},
    )
    root_2 = _key(s.ticket_key(workspace_id=WORKSPACE, ticket_no=2))
    client.update_item(
        TableName=table,
        Key={"PK": {"S": root_2[0]}, "SK": {"S": root_2[1]}},
        UpdateExpression="SET GSI3PK = :pk, GSI3SK = :sk",
        ExpressionAttributeValues={":pk": {"S": "Ticket#w1"}, ":sk": {"S": "Ticket#x"}},
    )
    # An item of no known type.
    unknown = put({"PK": {"S": "Nope#1"}, "SK": {"S": "#Nope"}, TYPE_ATTRIBUTE: {"S": "Nope"}})

    report = check_table(client, table, s.SCHEMAS, s.INDEX_KEYS, page_size=3)
    found = sorted((v.kind, v.key) for v in report.violations)
    expected = sorted(
        [
            (consistency.MISSING_GUARD, user_key[1]),
            (consistency.ORPHAN_GUARD, orphan_guard),
            (consistency.STALE_GUARD, stale_guard),
            (consistency.GUARD_OWNER_MISMATCH, user_key[3]),
            (consistency.STALE_GUARD, u3_guard),
            (consistency.MALFORMED_GUARD, malformed),
            (consistency.ORPHAN_MEMBER, orphan_member),
            (consistency.TTL_MISMATCH, ttl_member),
            (consistency.BAD_VERSION, root_1),
            (consistency.KEY_MISMATCH, user_key[3]),
            (consistency.STALE_KEY, root_2),
            (consistency.STALE_KEY, root_2),
            (consistency.UNKNOWN_TYPE, unknown),
        ]
    )
    assert found == expected, str(report)
    assert report.invariants_checked > len(expected)
    assert "ghost" in str(report) and "no longer holds" in str(report)
