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

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "examples" / "booking" / "generated")
)

from bookings import _schema as booking_schema  # isort: skip


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
