"""`update` refuses, before any request, a change to an attribute that holds an aggregate's
members (mutation survivor of `runtime/updates.py`)."""

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
