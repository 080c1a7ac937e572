"""Hostile key values, end to end through the generated repositories of the examples (tracker
and iot) on moto in-process: ids over arbitrary Unicode, the key delimiter and escape
characters, and values that are prefixes of each other never share a key (in the table or in
any index), and every access pattern (get, batch get, unique lookups, queries, views, sharded
queries and string ranges on a sort key) returns exactly what an oracle computes from the
written items.

Keys at DynamoDB's size limits are in tests/test_hostile_key_limits.py; unit-level properties
of the key encoding in tests/test_keys_encoding.py, tests/test_keys_order.py and
tests/test_keys_rejections.py.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.hostile_fixtures import (
    NOW,
    PROPERTY,
    Client,
    Requests,
    client_fixture,  # noqa: F401  (the pytest fixture "client")
    collect,
    fresh,
    requests_fixture,  # noqa: F401  (the pytest fixture "requests")
    scan,
    ticket_of,
)
from tests.hostile_strategies import distinct_ids, key_text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/iot/generated"))

from fleet import Alert, Device, FirmwareRelease, FleetRepository, Site, Zone
from tracker import Membership, Ticket, TrackerRepository, User, Workspace

STATUSES = ("open", "in_progress", "closed")


def assert_keys_apart(client: Client, repo: TrackerRepository | FleetRepository) -> int:
    """No two stored items share a key in the table or in any index; returns the item count."""
    items = scan(client, repo.table_name)
    for partition_key, sort_key in repo.INDEX_KEYS.values():
        keys = [(i[partition_key]["S"], i[sort_key]["S"]) for i in items if partition_key in i]
        assert len(keys) == len(set(keys)), f"two items share a {partition_key}/{sort_key} key"
    return len(items)


ticket_numbers = st.one_of(st.integers(-12, 12), st.integers(-(10**37), 10**37))


@PROPERTY
@given(ids=distinct_ids(min_size=2, max_size=6), data=st.data())
def test_hostile_ids_never_share_a_key_and_every_tracker_pattern_is_exact(
    client: Client, requests: Requests, ids: list[str], data: st.DataObject
) -> None:
    repo = fresh(TrackerRepository, client, requests)
    pick = st.sampled_from(ids)
    memberships = [
        Membership(workspace_id=w, user_id=u, role="member", joined_at=NOW + timedelta(hours=h))
        for w, u, h in data.draw(
            st.lists(
                st.tuples(pick, pick, st.integers(0, 2)),
                max_size=10,
                unique_by=lambda t: (t[0], t[1]),
            ),
            label="memberships",
        )
    ]
    tickets = [
        ticket_of(*fields)
        for fields in data.draw(
            st.lists(
                st.tuples(
                    pick,
                    ticket_numbers,
                    st.sampled_from(STATUSES),
                    st.none() | pick,
                    st.integers(-2, 2),
                    st.integers(0, 2),
                    st.integers(0, 2),
                ),
                max_size=6,
                unique_by=lambda t: (t[0], t[1]),
            ),
            label="tickets",
        )
    ]
    workspaces = [repo.create_workspace(Workspace(workspace_id=i, name=f"w{i}")) for i in ids]
    users = [repo.create_user(User(user_id=i, email=i, display_name="u")) for i in ids]
    for membership in memberships:
        repo.create_membership(membership)
    created = [repo.create_ticket(t) for t in tickets]

    # Nothing overwrote anything: every item (and each user's unique guard) is there, apart.
    expected = 3 * len(ids) + len(memberships) + sum(1 + len(t.checklist) for t in tickets)
    assert assert_keys_apart(client, repo) == expected

    # Each id reads back exactly its own item, alone and in a batch with absent neighbours.
    for workspace, user in zip(workspaces, users, strict=True):
        assert repo.get_workspace(workspace_id=workspace.workspace_id, consistent=True) == workspace
        assert repo.get_user(user_id=user.user_id, consistent=True) == user
        assert repo.user_by_email(email=user.email) == user
    neighbours = [n for i in ids for n in (i + "#", i + "%23") if n not in ids]
    batch = repo.batch_get(Workspace, [{"workspace_id": i} for i in [*ids, *neighbours]])
    assert batch == [*workspaces, *[None] * len(neighbours)]

    def key(m: Membership) -> tuple[str, str]:
        return (m.workspace_id, m.user_id)

    for i in ids:
        of_workspace = sorted((m for m in memberships if m.workspace_id == i), key=key)
        got = collect(repo.members_of_workspace, limit=2, workspace_id=i)
        assert [key(m) for m in got] == [key(m) for m in of_workspace]
        of_user = sorted(
            (m for m in memberships if m.user_id == i),
            key=lambda m: (m.joined_at, m.workspace_id),
            reverse=True,
        )
        got = collect(repo.workspaces_of_user, limit=2, user_id=i)
        assert [key(m) for m in got] == [key(m) for m in of_user]
        view = repo.workspace_overview(workspace_id=i)
        assert view.workspace is not None and view.workspace.workspace_id == i
        assert [key(m) for m in view.members] == [key(m) for m in of_workspace]

    def tid(t: Ticket) -> tuple[str, int]:
        return (t.workspace_id, t.ticket_no)

    for ticket in created:
        assert repo.get_ticket(workspace_id=ticket.workspace_id, ticket_no=ticket.ticket_no) == (
            ticket
        )
    for i in ids:
        for status in STATUSES:
            wanted = sorted(
                (t for t in tickets if t.workspace_id == i and t.status == status),
                key=lambda t: (t.updated_at, t.ticket_no),
                reverse=True,
            )
            got_tickets = collect(repo.tickets_by_status, limit=2, workspace_id=i, status=status)
            assert [tid(t) for t in got_tickets] == [tid(t) for t in wanted]
        wanted = sorted(
            (t for t in tickets if t.assignee_id == i),
            key=lambda t: (t.status, t.priority, t.workspace_id, t.ticket_no),
        )
        got_tickets = collect(repo.tickets_for_assignee, limit=2, assignee_id=i)
        assert [tid(t) for t in got_tickets] == [tid(t) for t in wanted]
        wanted = sorted(
            (t for t in tickets if t.workspace_id == i and t.status == "open"),
            key=lambda t: (t.priority, t.ticket_no),
            reverse=True,
        )
        got_tickets = collect(repo.open_tickets, limit=2, workspace_id=i)
        assert [tid(t) for t in got_tickets] == [tid(t) for t in wanted]


def _between(value: str, low: str | None, high: str | None) -> bool:
    return (low is None or low <= value) and (high is None or value <= high)


@PROPERTY
@given(
    sites=distinct_ids(min_size=1, max_size=3),
    devices=distinct_ids(min_size=1, max_size=4),
    alerts=distinct_ids(min_size=1, max_size=6),
    releases=distinct_ids(min_size=2, max_size=8),
    data=st.data(),
)
def test_hostile_ids_keep_every_iot_pattern_exact_including_sharded_and_string_ranges(
    client: Client,
    requests: Requests,
    sites: list[str],
    devices: list[str],
    alerts: list[str],
    releases: list[str],
    data: st.DataObject,
) -> None:
    repo = fresh(FleetRepository, client, requests)
    created_sites = [
        repo.create_site(
            Site(
                site_id=s,
                name="s",
                timezone="UTC",
                zones=[Zone(site_id=s, zone_code=z, label="z") for z in sorted({s, *devices})],
            )
        )
        for s in sites
    ]
    device_models = [
        Device(
            device_id=d,
            site_id=data.draw(st.sampled_from(sites), label="site of device"),
            serial=d + "#serial",
            hardware="h",
            firmware="f",
            status=data.draw(st.sampled_from(["online", "offline"]), label="status"),
            installed_on=date(2026, 1, 1) + timedelta(days=n % 3),
        )
        for n, d in enumerate(devices)
    ]
    for device in device_models:
        repo.create_device(device)
    alert_models = [
        Alert(
            alert_id=a,
            site_id=data.draw(st.sampled_from(sites), label="site of alert"),
            device_id=data.draw(st.sampled_from(devices), label="device of alert"),
            rule="r",
            severity="info",
            status=data.draw(st.sampled_from(["open", "resolved"]), label="alert status"),
            message=a,
            raised_at=NOW + timedelta(seconds=data.draw(st.integers(0, 2), label="raised")),
        )
        for a in alerts
    ]
    for alert in alert_models:
        repo.create_alert(alert)
    hardware = data.draw(st.lists(key_text, min_size=1, max_size=2, unique=True), label="hw")
    stored = [
        FirmwareRelease(
            hardware=h, release=r, released_on=date(2026, 1, 1), checksum=b"\x00", size_bytes=1
        )
        for h in hardware
        for r in releases
        if data.draw(st.booleans(), label="released")
    ]
    for release in stored:
        repo.create_firmware_release(release)
    zones = sum(len(site.zones) for site in created_sites)
    devices_and_guards = 2 * len(devices)
    assert assert_keys_apart(client, repo) == (
        len(sites) + zones + devices_and_guards + len(alerts) + len(stored)
    )

    for site in created_sites:
        got_site = repo.get_site(site_id=site.site_id)
        assert got_site is not None and got_site.model_dump() == site.model_dump()
        dashboard = repo.site_dashboard(site_id=site.site_id)
        assert dashboard.site is not None and dashboard.site.site_id == site.site_id
        own = [d for d in device_models if d.site_id == site.site_id]
        assert sorted(d.device_id for d in dashboard.devices) == sorted(d.device_id for d in own)
        in_order = sorted(own, key=lambda d: (d.status, d.installed_on, d.device_id))
        got_devices = collect(repo.devices_of_site, limit=2, site_id=site.site_id)
        assert [d.device_id for d in got_devices] == [d.device_id for d in in_order]
        open_here = sorted(
            (a for a in alert_models if a.site_id == site.site_id and a.status == "open"),
            key=lambda a: (a.raised_at, a.alert_id),
            reverse=True,
        )
        got_alerts = collect(repo.open_alerts_of_site, limit=2, site_id=site.site_id)
        assert [a.alert_id for a in got_alerts] == [a.alert_id for a in open_here]
    for device in device_models:
        assert repo.get_device(device_id=device.device_id, consistent=True) == device
        assert repo.device_by_serial(serial=device.serial) == device
        of_device = sorted(
            (a for a in alert_models if a.device_id == device.device_id),
            key=lambda a: (a.raised_at, a.alert_id),
            reverse=True,
        )
        got_alerts = collect(repo.alerts_of_device, limit=2, device_id=device.device_id)
        assert [a.alert_id for a in got_alerts] == [a.alert_id for a in of_device]
    all_open = sorted(
        (a for a in alert_models if a.status == "open"),
        key=lambda a: (a.raised_at, a.alert_id),
        reverse=True,
    )
    limit = data.draw(st.integers(1, 4), label="shard page")
    got_alerts = collect(repo.all_open_alerts, limit=limit)
    assert [a.alert_id for a in got_alerts] == [a.alert_id for a in all_open]

    # String ranges on a sort key: bounds written or not, prefixes of each other or not.
    bound = st.none() | st.sampled_from(releases) | key_text
    for h in hardware:
        mine = sorted((r.release for r in stored if r.hardware == h), reverse=True)
        got = collect(repo.firmware_releases, limit=2, hardware=h)
        assert [r.release for r in got] == mine
        low, high = data.draw(bound, label="from"), data.draw(bound, label="to")
        if low is not None and high is not None and low > high:
            low, high = high, low
        got = collect(
            repo.firmware_releases, limit=2, hardware=h, release_from=low, release_to=high
        )
        assert [r.release for r in got] == [r for r in mine if _between(r, low, high)]
