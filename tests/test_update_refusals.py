"""What `update` refuses, and how (mutation survivors of `runtime/updates.py`): a change to an
aggregate's member field (before any request), an item past 400 KB, and a member deleted while
the root's TTL moves to its members."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from dynamodel.runtime import updates
from dynamodel.runtime.paging import CursorSigner
from dynamodel.runtime.retry import RetryPolicy
from dynamodel.runtime.table import Table

_EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(_EXAMPLES / "booking" / "generated"))
sys.path.insert(0, str(_EXAMPLES / "iot" / "generated"))
sys.path.insert(0, str(_EXAMPLES / "tracker" / "generated"))

from bookings import _schema as booking_schema  # noqa: E402  # isort: skip


class _NoCalls:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a refused update must not call {name}")


def test_updating_the_members_of_an_aggregate_is_refused_before_any_request() -> None:
    table = Table(
        client=_NoCalls(),
        name="t",
        retry=RetryPolicy(),
        signer=CursorSigner(b"k" * 32),
        index_keys={None: ("PK", "SK")},
    )
    schema = booking_schema.RESERVATION
    with pytest.raises(
        ValueError, match=r"^Reservation\.attendees holds members: save the aggregate instead$"
    ):
        updates.update(table, schema, schema.key("r1"), {"attendees": []})


def test_an_update_past_400_kb_is_refused_naming_its_entity(
    dynamodb_client: Any, table_name: str
) -> None:
    from fleet import FleetRepository, Site

    from dynamodel.runtime.errors import ItemTooLargeError

    repo = FleetRepository(client=dynamodb_client, table_name=table_name, cursor_key="k" * 32)
    repo.create_table()
    site = repo.create_site(Site(site_id="s1", name="n", timezone="UTC"))
    # DynamoDB's item limit is 400 KB (409,600 bytes); this address alone is past it.
    with pytest.raises(ItemTooLargeError) as raised:
        repo.update_site(site_id=site.site_id, address="a" * 409_600)
    assert raised.value.entity == "Site"
    stored = repo.get_site(site_id="s1")
    assert stored is not None and stored.address is None


class _ChangesAfterQuery:
    """A client that runs another writer's change right after the next Query returns."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.then: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def query(self, **request: Any) -> Any:
        response = self._client.query(**request)
        if self.then is not None:
            action, self.then = self.then, None
            action()
        return response


def test_a_member_deleted_while_its_roots_ttl_moves_fails_the_update_typed(
    dynamodb_client: Any, table_name: str
) -> None:
    from datetime import UTC, datetime

    from tracker import ChecklistItem, Ticket, TrackerRepository

    from dynamodel import VersionConflictError

    client = _ChangesAfterQuery(dynamodb_client)
    repo = TrackerRepository(client=client, table_name=table_name, cursor_key="k" * 32)
    repo.create_table()
    at = datetime(2026, 11, 28, tzinfo=UTC)
    repo.create_ticket(
        Ticket(
            workspace_id="w1",
            ticket_no=1,
            title="t",
            status="open",
            priority=0,
            updated_at=at,
            checklist=[ChecklistItem(workspace_id="w1", ticket_no=1, position=1, text="a")],
        )
    )
    items = dynamodb_client.scan(TableName=table_name)["Items"]
    member = next({"PK": i["PK"], "SK": i["SK"]} for i in items if i["SK"]["S"] != "#Ticket")
    # The update reads the members (one Query), then the member is deleted by another writer.
    client.then = lambda: dynamodb_client.delete_item(TableName=table_name, Key=member)
    with pytest.raises(VersionConflictError, match="changed while its members' TTL was being"):
        repo.update_ticket(
            workspace_id="w1", ticket_no=1, expires_at=datetime(2030, 1, 1, tzinfo=UTC)
        )


def test_an_update_with_a_stale_expected_version_names_both_versions(
    dynamodb_client: Any, table_name: str
) -> None:
    from datetime import UTC, datetime

    from tracker import Ticket, TrackerRepository

    from dynamodel import VersionConflictError

    repo = TrackerRepository(client=dynamodb_client, table_name=table_name, cursor_key="k" * 32)
    repo.create_table()
    at = datetime(2026, 11, 28, tzinfo=UTC)
    repo.create_ticket(
        Ticket(workspace_id="w1", ticket_no=1, title="t", status="open", priority=0, updated_at=at)
    )
    with pytest.raises(VersionConflictError) as raised:
        repo.update_ticket(workspace_id="w1", ticket_no=1, title="u", expected_version=7)
    assert (raised.value.expected, raised.value.found) == (7, 1)
