"""The data every side of the benchmark reads and writes: one workspace with 40 members, a
new membership, and a ticket with 9 checklist items (tracker's spec).

The raw and resource sides send exactly the items dynamodel writes (built here once, with the
generated package's own marshalling, outside any timing), so every side sends the same data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

Item = dict[str, Any]

WORKSPACE_ID = "01JBENCHWORKSPACE000000000"
MEMBERS = 40  # in the queried workspace: every page has a next one
PAGE = 25
BASE_TIME = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)

WORKSPACE: dict[str, Any] = {
    "workspace_id": WORKSPACE_ID,
    "name": "Bench workspace",
    "plan": "team",
    "created_at": BASE_TIME,
}
NEW_MEMBERSHIP: dict[str, Any] = {
    "workspace_id": WORKSPACE_ID,
    "user_id": "01JBENCHNEWUSER00000000000",
    "role": "admin",
    "joined_at": BASE_TIME,
}
TICKET: dict[str, Any] = {
    "workspace_id": WORKSPACE_ID,
    "ticket_no": 4242,
    "title": "Checkout page times out for large carts",
    "status": "open",
    "assignee_id": "user001",
    "priority": 2,
    "updated_at": BASE_TIME,
    "labels": {"bug", "checkout"},
}
CHECKLIST: list[dict[str, Any]] = [
    {
        "workspace_id": WORKSPACE_ID,
        "ticket_no": 4242,
        "position": position,
        "text": f"Step {position}: reproduce, fix and verify",
        "done": position % 2 == 0,
    }
    for position in range(1, 10)
]


def member(number: int) -> dict[str, Any]:
    """The fields of the workspace's member `number` (seeded before recording)."""
    return {
        "workspace_id": WORKSPACE_ID,
        "user_id": f"user{number:03d}",
        "role": "member",
        "joined_at": BASE_TIME + timedelta(minutes=number),
    }


def workspace_key() -> Item:
    from tracker import _schema as s

    return s.workspace_key(WORKSPACE_ID)


def members_partition() -> str:
    return str(workspace_key()["PK"]["S"])


def membership_item() -> Item:
    """The PutItem item of the new membership, as AttributeValues."""
    from tracker import Membership
    from tracker import _schema as s

    return s.membership_to_item(Membership(**NEW_MEMBERSHIP))


def ticket_items() -> list[Item]:
    """The 10 items of the ticket aggregate (root first, version 1), as AttributeValues."""
    from tracker import ChecklistItem, Ticket
    from tracker import _schema as s

    from dynamodel.runtime.writes import flatten

    checklist = [ChecklistItem(**fields) for fields in CHECKLIST]
    ticket = Ticket(**TICKET, checklist=checklist, version=1)
    return [item for _, _, item in flatten(s.TICKET, ticket)]


def plain(item: Item) -> dict[str, Any]:
    """An AttributeValue item as the plain Python values of boto3's resource API."""
    value: dict[str, Any] = TypeDeserializer().deserialize({"M": item})
    return value
