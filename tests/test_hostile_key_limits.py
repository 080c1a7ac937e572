"""Key values at DynamoDB's key size limits (2,048 bytes for a partition key, 1,024 for a sort
key), end to end through the generated repositories of the examples (tracker and iot) on moto
in-process, with every request the client sends counted: a value whose key is at the limit is
written and read back; one byte over is refused with a typed error (`InvalidKeyValueError`,
naming the key attribute) before anything is sent, on writes, partial updates, reads by id,
unique guards and query patterns.

Hostile key values below the limits are in tests/test_hostile_keys.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynamodel import InvalidKeyValueError
from dynamodel.runtime.keys import MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES
from tests.hostile_fixtures import (
    NOW,
    PROPERTY,
    Client,
    Requests,
    client_fixture,  # noqa: F401  (the pytest fixture "client")
    fresh,
    raised,
    requests_fixture,  # noqa: F401  (the pytest fixture "requests")
    scan,
    ticket_of,
)
from tests.hostile_strategies import value_of_encoded_size

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/iot/generated"))

from fleet import Device, FleetRepository
from tracker import Membership, TrackerRepository, User, Workspace


@dataclass(frozen=True)
class KeyLimit:
    """One key that a value of some attribute lands in, and how to write such a value."""

    name: str
    attribute: str  # the key attribute the error names
    limit: int
    overhead: int  # bytes of the key around the value
    write: Callable[[TrackerRepository, str], object]
    read_back: Callable[[TrackerRepository, str], bool]
    setup: Callable[[TrackerRepository], object] = lambda repo: None
    reads_first: tuple[str, ...] = ()  # what an update reads before it can compute the keys


def _create_ticket(repo: TrackerRepository) -> object:
    return repo.create_ticket(ticket_of("w", 1, "open", None, 0, 0, 0))


KEY_LIMITS = [
    KeyLimit(
        "Workspace table partition key",
        "PK",
        MAX_PARTITION_KEY_BYTES,
        len("Workspace#"),
        lambda r, v: r.create_workspace(Workspace(workspace_id=v, name="n")),
        lambda r, v: r.get_workspace(workspace_id=v, consistent=True) is not None,
    ),
    KeyLimit(
        "Membership table sort key",
        "SK",
        MAX_SORT_KEY_BYTES,
        len("Membership#"),
        lambda r, v: r.create_membership(
            Membership(workspace_id="w", user_id=v, role="member", joined_at=NOW)
        ),
        lambda r, v: [m.user_id for m in r.members_of_workspace(workspace_id="w").items] == [v],
    ),
    KeyLimit(
        "Membership GSI1 sort key",
        "GSI1SK",
        MAX_SORT_KEY_BYTES,
        len("Membership#2026-11-28T12:00:00.000000Z#"),
        lambda r, v: r.create_membership(
            Membership(workspace_id=v, user_id="u", role="member", joined_at=NOW)
        ),
        lambda r, v: [m.workspace_id for m in r.workspaces_of_user(user_id="u").items] == [v],
    ),
    KeyLimit(
        "Ticket GSI2 partition key, by a partial update",
        "GSI2PK",
        MAX_PARTITION_KEY_BYTES,
        len("Ticket#"),
        lambda r, v: r.update_ticket(workspace_id="w", ticket_no=1, assignee_id=v),
        lambda r, v: len(r.tickets_for_assignee(assignee_id=v).items) == 1,
        setup=_create_ticket,
        reads_first=("GetItem",),
    ),
]


@PROPERTY
@given(
    case=st.sampled_from(KEY_LIMITS),
    excess=st.sampled_from([-2, -1, 0, 0, 1, 1, 2]),
    data=st.data(),
)
def test_keys_at_the_limit_are_written_and_one_byte_over_is_refused_unsent(
    client: Client, requests: Requests, case: KeyLimit, excess: int, data: st.DataObject
) -> None:
    size = case.limit + excess
    value = data.draw(value_of_encoded_size(size - case.overhead), label="value")
    repo = fresh(TrackerRepository, client, requests)
    case.setup(repo)
    if excess <= 0:
        case.write(repo, value)
        assert case.read_back(repo, value)
        return
    before = scan(client, repo.table_name)
    requests.clear()
    error = raised(lambda: case.write(repo, value))
    assert isinstance(error, InvalidKeyValueError), repr(error)
    assert error.attribute == case.attribute
    message = str(error)
    assert f"{case.attribute!r}" in message and f"is {size} bytes" in message, message
    assert f"limit of {case.limit} bytes" in message, message
    assert requests.calls == list(case.reads_first), requests.calls
    assert scan(client, repo.table_name) == before


@PROPERTY
@given(excess=st.sampled_from([1, 2, 500]), data=st.data())
def test_reads_by_id_refuse_over_long_keys_unsent(
    client: Client, requests: Requests, excess: int, data: st.DataObject
) -> None:
    repo = fresh(TrackerRepository, client, requests)
    over = data.draw(value_of_encoded_size(MAX_PARTITION_KEY_BYTES - len("User#") + excess))
    sort_over = data.draw(value_of_encoded_size(MAX_SORT_KEY_BYTES - len("Membership#") + excess))
    calls: list[Callable[[], object]] = [
        lambda: repo.get_user(user_id=over),
        lambda: repo.get_workspace(workspace_id=over),
        lambda: repo.batch_get(User, [{"user_id": "fine"}, {"user_id": over}]),
        lambda: repo.delete_user(user_id=over),
        lambda: repo.update_user(user_id=over, display_name="x"),
        lambda: repo.delete_membership(workspace_id="w", user_id=sort_over),
    ]
    for call in calls:
        error = raised(call)
        assert isinstance(error, InvalidKeyValueError), repr(error)
        assert "bytes in UTF-8, over the limit" in str(error)
    assert requests.calls == []


@pytest.mark.parametrize("example", ["tracker User.email", "iot Device.serial"])
def test_unique_guard_keys_are_size_checked_before_sending(
    client: Client, requests: Requests, example: str
) -> None:
    # The value's index key ("User#..." / "Device#...") fits in 2,048 bytes; its guard key
    # ("User.email#..." / "Device.serial#...") is a few bytes longer and does not.
    value = "e" * (MAX_PARTITION_KEY_BYTES - len("User.email#") + 3)
    assert len("Device#" + value) <= MAX_PARTITION_KEY_BYTES < len("Device.serial#" + value)
    if example.startswith("tracker"):
        tracker = fresh(TrackerRepository, client, requests)
        error = raised(
            lambda: tracker.create_user(User(user_id="u", email=value, display_name="d"))
        )
    else:
        fleet = fresh(FleetRepository, client, requests)
        device = Device(
            site_id="s", serial=value, hardware="h", firmware="f", installed_on=date(2026, 1, 1)
        )
        error = raised(lambda: fleet.create_device(device))
    assert isinstance(error, InvalidKeyValueError), f"{error!r} after {requests.calls}"
    assert requests.calls == []


LONG = "x" * (MAX_PARTITION_KEY_BYTES + 10)
QUERIES: dict[str, Callable[[TrackerRepository, FleetRepository], object]] = {
    "members_of_workspace": lambda t, f: t.members_of_workspace(workspace_id=LONG),
    "workspaces_of_user": lambda t, f: t.workspaces_of_user(user_id=LONG),
    "tickets_by_status": lambda t, f: t.tickets_by_status(workspace_id=LONG, status="open"),
    "user_by_email": lambda t, f: t.user_by_email(email=LONG),
    "get_ticket (aggregate)": lambda t, f: t.get_ticket(workspace_id=LONG, ticket_no=1),
    "workspace_overview (view)": lambda t, f: t.workspace_overview(workspace_id=LONG),
    "firmware_releases sort bound": lambda t, f: f.firmware_releases(
        hardware="h", release_from="r" * MAX_SORT_KEY_BYTES
    ),
}


@pytest.mark.parametrize("pattern", list(QUERIES))
def test_query_patterns_refuse_over_long_keys_before_sending(
    client: Client, requests: Requests, pattern: str
) -> None:
    tracker = fresh(TrackerRepository, client, requests)
    fleet = fresh(FleetRepository, client, requests)
    error = raised(lambda: QUERIES[pattern](tracker, fleet))
    assert isinstance(error, InvalidKeyValueError), f"{error!r} after {requests.calls}"
    assert requests.calls == []
