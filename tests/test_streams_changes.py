"""Stream records into typed changes (`dynamodel.runtime.streams`, the generated `streams.py`),
on the records moto's `dynamodbstreams` API serves after writes through the generated iot
repository: boto3's records (binary as bytes) and the same records as Lambda delivers them
(JSON, binary as base64) give the same changes; every stream view type gives exactly the
images it carries and still names the entity and its id; guards, markers and unknown items
are skipped with their reason; bad records raise StreamRecordError naming the record.
Keys alone, mypy's narrowing and the generated module: tests/test_streams_generated.py."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import boto3  # type: ignore[import-untyped, unused-ignore]
import pytest
from moto import mock_aws

from dynamodel import StreamRecordError
from dynamodel.runtime.counters import Increment
from tests.stream_records import lambda_event, read_stream, stream_arn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples" / "iot" / "generated"))

from fleet import (  # noqa: E402
    Alert,
    Device,
    FirmwareRelease,
    FleetRepository,
    MaintenanceLog,
    Reading,
    Site,
    SiteAlertCount,
    Zone,
)
from fleet import streams as fleet_streams  # noqa: E402
from fleet.streams import (  # noqa: E402
    AlertChange,
    DeviceChange,
    FirmwareReleaseChange,
    MaintenanceLogChange,
    ReadingChange,
    SiteAlertCountChange,
    SiteChange,
    ZoneChange,
    parse_changes,
)

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


def repository(client: Any, view: str = "NEW_AND_OLD_IMAGES") -> FleetRepository:
    class Repository(FleetRepository):
        TABLE_DEFINITION: ClassVar[dict[str, Any]] = {
            **FleetRepository.TABLE_DEFINITION,
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": view},
        }

    repo = Repository(client=client, table_name=f"Fleet-{view.lower()}", cursor_key="k" * 32)
    repo.create_table()
    return repo


# What `write_everything` writes, change by change: (change class, event, new, old).
Expected = list[tuple[type[Any], str, Any, Any]]


def write_everything(repo: FleetRepository) -> Expected:
    """A write of every entity (and of a guard, a marker, an unknown and an untyped item)."""
    expected: Expected = []
    zone = Zone(site_id="s1", zone_code="B2-COLD", label="cold room", floor=-1)
    site = repo.create_site(
        Site(site_id="s1", name="Depot", timezone="Europe/Paris", created_at=NOW, zones=[zone])
    )
    expected += [(SiteChange, "INSERT", site.model_copy(update={"zones": []}), None)]
    expected += [(ZoneChange, "INSERT", zone, None)]
    device = repo.create_device(
        Device(
            device_id="d1",
            site_id="s1",
            serial="SN-0001",
            hardware="th-r3",
            firmware="2026.11",
            installed_on=date(2026, 1, 5),
            tags={"cold", "door"},
            # binary values nested in maps, lists and sets: base64 text in a Lambda event
            settings={"key": b"\x00\xff", "frames": [b"\x01", 2, Decimal("1.5")], "ids": {b"a"}},
        )
    )
    expected += [(DeviceChange, "INSERT", device, None)]
    reading = Reading(
        device_id="d1",
        recorded_at=NOW,
        temperature_c=4.25,
        battery_mv=2900,
        raw_frame=b"\x00\x01\xfe\xff",
        expires_at=NOW + timedelta(days=90),
    )
    repo.save_reading(reading)
    expected += [(ReadingChange, "INSERT", reading, None)]
    alert = repo.create_alert(
        Alert(
            alert_id="a1",
            site_id="s1",
            device_id="d1",
            rule="temp_above_8c",
            severity="critical",
            message="9.25 C",
            threshold=Decimal("8.0"),
            observed_value=9.25,
            raised_at=NOW,
        )
    )
    expected += [(AlertChange, "INSERT", alert, None)]
    resolved = repo.update_alert(alert_id="a1", status="resolved", resolved_at=NOW)
    expected += [(AlertChange, "MODIFY", resolved, alert)]
    log = MaintenanceLog(
        device_id="d1", performed_at=NOW, technician="Ana", action="repair", parts=["fan"]
    )
    repo.save_maintenance_log(log)
    expected += [(MaintenanceLogChange, "INSERT", log, None)]
    release = FirmwareRelease(
        hardware="th-r3",
        release="2026.11.01",
        released_on=date(2026, 11, 1),
        checksum=bytes(range(32)),
        size_bytes=1 << 20,
    )
    repo.save_firmware_release(release)
    expected += [(FirmwareReleaseChange, "INSERT", release, None)]
    repo.delete_alert(alert_id="a1")
    expected += [(AlertChange, "REMOVE", None, resolved)]
    count = Increment(SiteAlertCount, {"site_id": "s1"}, {"open_alerts": 1})
    assert repo.apply_once("event-1", consumer="probe", increments=[count])
    expected += [
        (SiteAlertCountChange, "INSERT", SiteAlertCount(site_id="s1", open_alerts=1), None)
    ]
    client, table = repo.table.client, repo.table_name
    legacy = {"PK": {"S": "Legacy#1"}, "SK": {"S": "#Legacy"}, "_type": {"S": "Legacy"}}
    client.put_item(TableName=table, Item=legacy)
    client.put_item(TableName=table, Item={"PK": {"S": "loose"}, "SK": {"S": "item"}})
    return expected


def dumped(model: Any) -> Any:
    return None if model is None else (type(model), model.model_dump())


def test_boto3_records_and_lambda_events_give_the_same_typed_changes(dynamodb: Any) -> None:
    repo = repository(dynamodb)
    expected = write_everything(repo)
    records = read_stream(dynamodb, repo.table_name)
    event = lambda_event(records, stream_arn(dynamodb, repo.table_name))
    (reading_record,) = [
        r for r in event["Records"] if "raw_frame" in r["dynamodb"].get("NewImage", {})
    ]
    assert reading_record["dynamodb"]["NewImage"]["raw_frame"] == {"B": "AAH+/w=="}
    from_boto3, from_lambda = parse_changes(records), parse_changes(event)
    for batch in (from_boto3, from_lambda):
        assert [(type(c), c.event_name, dumped(c.new), dumped(c.old)) for c in batch.changes] == [
            (cls, name, dumped(new), dumped(old)) for cls, name, new, old in expected
        ]
        assert [(s.reason, s.type) for s in batch.skipped] == [
            ("unique_guard", "_unique"),  # Device.serial
            ("apply_once_marker", "_applied"),
            # moto's UpdateItem of a missing item puts the bare key first (a record of its
            # own, which DynamoDB does not write): an image without `_type`
            ("unknown_type", None),
            ("unknown_type", "Legacy"),
            ("unknown_type", None),  # no `_type` at all
        ]
    # Every field alike (ids, keys, sequence numbers), but the time: Lambda gives whole seconds.
    assert [replace(c, approximate_creation_time=None) for c in from_boto3.changes] == [
        replace(c, approximate_creation_time=None) for c in from_lambda.changes
    ]
    assert from_boto3.skipped == from_lambda.skipped
    by_event_id = {record["eventID"]: record for record in records}
    for skipped in from_boto3.skipped:  # a skipped record still says where it is in the stream
        assert (
            skipped.sequence_number == by_event_id[skipped.event_id]["dynamodb"]["SequenceNumber"]
        )
    for change in from_lambda.changes:
        record = by_event_id[change.event_id]
        assert change.sequence_number == record["dynamodb"]["SequenceNumber"]
        assert change.keys == {k: v["S"] for k, v in record["dynamodb"]["Keys"].items()}
        assert change.stream_view_type == "NEW_AND_OLD_IMAGES"
        created = record["dynamodb"]["ApproximateCreationDateTime"]
        assert change.approximate_creation_time == datetime.fromtimestamp(
            int(created.timestamp()), UTC
        )
    reading = next(c for c in from_lambda.changes if isinstance(c, ReadingChange))
    assert reading.new is not None and reading.new.raw_frame == b"\x00\x01\xfe\xff"
    assert reading.id == {"device_id": "d1", "recorded_at": NOW}
    assert reading.keys == {"PK": "Reading#d1", "SK": f"Reading#{NOW:%Y-%m-%dT%H:%M:%S.%fZ}"}
    device = next(c for c in from_lambda.changes if isinstance(c, DeviceChange))
    assert device.new is not None and device.new.settings == {
        "key": b"\x00\xff",
        "frames": [b"\x01", 2, Decimal("1.5")],
        "ids": {b"a"},
    }


def images_given(view: str, event_name: str) -> tuple[bool, bool]:
    """(new, old): which images a record of `event_name` carries on a `view` stream."""
    new = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and event_name != "REMOVE"
    old = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and event_name != "INSERT"
    return new, old


@pytest.mark.parametrize("view", VIEW_TYPES)
def test_each_view_type_gives_its_images_and_always_the_entity_and_id(
    dynamodb: Any, view: str
) -> None:
    repo = repository(dynamodb, view)
    expected = write_everything(repo)
    records = read_stream(dynamodb, repo.table_name)
    batch = parse_changes(lambda_event(records, stream_arn(dynamodb, repo.table_name)))
    with_image = images_given(view, "INSERT")[0]
    if not with_image:  # moto's bare-key INSERT (see below) is then a change of the counter
        at = next(i for i, entry in enumerate(expected) if entry[0] is SiteAlertCountChange)
        expected.insert(at, expected[at])
    assert len(batch.changes) == len(expected)
    for change, (cls, event_name, new, old) in zip(batch.changes, expected, strict=True):
        assert type(change) is cls and change.event_name == event_name
        assert change.entity == cls.__name__.removesuffix("Change")
        schema = fleet_streams.PARSER._by_type[change.entity].schema
        shown = new if new is not None else old
        assert change.id == {name: getattr(shown, name) for name in schema.id_attributes}
        has_new, has_old = images_given(view, event_name)
        assert dumped(change.new) == (dumped(new) if has_new else None)
        assert dumped(change.old) == (dumped(old) if has_old else None)
        assert change.stream_view_type == view
    # Records without an image are told apart by their key: a guard or a marker is still
    # recognised; an item of another type is only an unknown key.
    reasons = [(s.event_name, s.reason) for s in batch.skipped]
    unknown = "unknown_type" if with_image else "unknown_key"
    # moto's UpdateItem of a missing item puts the bare key first, a record DynamoDB does not
    # write: with an image, one without `_type`; without, a key of SiteAlertCount (above).
    moto_bare_key = [("INSERT", unknown)] if with_image else []
    assert reasons == [
        ("INSERT", "unique_guard"),
        ("INSERT", "apply_once_marker"),
        *moto_bare_key,
        ("INSERT", unknown),
        ("INSERT", unknown),
    ]


def test_a_root_change_carries_the_root_alone_and_members_change_on_their_own(
    dynamodb: Any,
) -> None:
    repo = repository(dynamodb)
    zones = [Zone(site_id="s9", zone_code=code, label=code) for code in ("A", "B")]
    site = repo.create_site(Site(site_id="s9", name="Hub", timezone="UTC", zones=zones))
    repo.save_site(site.model_copy(update={"zones": zones[:1], "name": "Hub 2"}))
    changes = parse_changes(read_stream(dynamodb, repo.table_name)).changes
    summary = [(type(c).__name__, c.event_name, c.id) for c in changes]
    assert summary == [
        ("SiteChange", "INSERT", {"site_id": "s9"}),
        ("ZoneChange", "INSERT", {"site_id": "s9", "zone_code": "A"}),
        ("ZoneChange", "INSERT", {"site_id": "s9", "zone_code": "B"}),
        ("SiteChange", "MODIFY", {"site_id": "s9"}),
        ("ZoneChange", "MODIFY", {"site_id": "s9", "zone_code": "A"}),
        ("ZoneChange", "REMOVE", {"site_id": "s9", "zone_code": "B"}),
    ]
    modified = changes[3]
    assert isinstance(modified, SiteChange) and modified.new and modified.old
    assert (modified.old.name, modified.new.name) == ("Hub", "Hub 2")
    assert modified.new.zones == [] and modified.old.zones == []  # one item: no members


def test_ttl_deletions_are_marked_expired(dynamodb: Any) -> None:
    repo = repository(dynamodb)
    repo.save_reading(Reading(device_id="d1", recorded_at=NOW, expires_at=NOW))
    repo.delete_reading(device_id="d1", recorded_at=NOW)
    records = read_stream(dynamodb, repo.table_name)
    by_writer = parse_changes(records).changes[-1]
    assert by_writer.event_name == "REMOVE" and not by_writer.expired
    # What DynamoDB's TTL adds to the record of an item it deleted (moto does not expire).
    service = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    by_ttl = parse_changes([{**records[-1], "userIdentity": service}]).changes[0]
    assert by_ttl.expired and by_ttl.old == by_writer.old


def corrupted(record: dict[str, Any], change: Any) -> dict[str, Any]:
    broken = copy.deepcopy(record)
    change(broken)
    return broken


def test_unreadable_records_raise_stream_record_error_naming_the_record(dynamodb: Any) -> None:
    repo = repository(dynamodb)
    repo.create_alert(Alert(site_id="s1", device_id="d1", rule="r", severity="info", message="m"))
    repo.save_reading(Reading(device_id="d1", recorded_at=NOW, raw_frame=b"\x01"))
    alert_record, reading_record = read_stream(dynamodb, repo.table_name)
    arn = stream_arn(dynamodb, repo.table_name)
    sequence = alert_record["dynamodb"]["SequenceNumber"]
    cases = {
        "not DynamoDB": corrupted(alert_record, lambda r: r.update(eventSource="aws:kinesis")),
        "unknown event": corrupted(alert_record, lambda r: r.update(eventName="UPSERT")),
        # an attribute the model requires, missing (an item written by an older spec)
        "undecodable": corrupted(alert_record, lambda r: r["dynamodb"]["NewImage"].pop("rule")),
        "wrong type": corrupted(
            alert_record, lambda r: r["dynamodb"]["NewImage"].update(raised_at={"N": "1"})
        ),
    }
    for name, record in cases.items():
        with pytest.raises(StreamRecordError) as raised:
            parse_changes([record])
        assert raised.value.event_id == record["eventID"], name
        if name != "not DynamoDB":
            assert raised.value.sequence_number == sequence, name
    with pytest.raises(StreamRecordError, match="a Alert cannot be decoded") as raised:
        parse_changes([cases["undecodable"]])
    assert raised.value.entity == "Alert"
    bad_base64 = lambda_event([reading_record], arn)["Records"][0]
    bad_base64["dynamodb"]["NewImage"]["raw_frame"] = {"B": "not base64!"}
    with pytest.raises(StreamRecordError, match="malformed"):
        parse_changes([bad_base64])


def test_stream_record_errors_say_what_was_wrong(dynamodb: Any) -> None:
    repo = repository(dynamodb)
    repo.create_alert(Alert(site_id="s1", device_id="d1", rule="r", severity="info", message="m"))
    repo.save_reading(Reading(device_id="d1", recorded_at=NOW, raw_frame=b"\x01"))
    alert_record, reading_record = read_stream(dynamodb, repo.table_name)
    arn = stream_arn(dynamodb, repo.table_name)
    # A record without eventSource is taken for a DynamoDB one, as its body says.
    unsourced = corrupted(alert_record, lambda r: r.pop("eventSource"))
    assert parse_changes([unsourced]) == parse_changes([alert_record])
    kinesis = corrupted(alert_record, lambda r: r.update(eventSource="aws:kinesis"))
    with pytest.raises(StreamRecordError) as raised:
        parse_changes([kinesis])
    assert str(raised.value) == (
        f"record {alert_record['eventID']!r} is not a DynamoDB stream record (source 'aws:kinesis')"
    )
    # Neither an id nor an event name: the message shows both as empty.
    anonymous = corrupted(alert_record, lambda r: (r.pop("eventID"), r.pop("eventName")))
    with pytest.raises(StreamRecordError) as raised:
        parse_changes([anonymous])
    assert str(raised.value) == "record '' has an unknown eventName ''"
    assert raised.value.sequence_number == alert_record["dynamodb"]["SequenceNumber"]
    # Binary values are strict base64: a stray character is refused, not skipped over.
    stray = lambda_event([reading_record], arn)["Records"][0]
    stray["dynamodb"]["NewImage"]["raw_frame"] = {"B": "AQ==!"}
    with pytest.raises(StreamRecordError, match="malformed") as raised:
        parse_changes([stray])
    assert raised.value.sequence_number == reading_record["dynamodb"]["SequenceNumber"]


def test_the_lambda_response_names_the_first_failed_record(dynamodb: Any) -> None:
    repo = repository(dynamodb)
    for number in range(3):
        repo.create_alert(
            Alert(site_id="s1", device_id="d1", rule=f"r{number}", severity="info", message="m")
        )
    batch = parse_changes(read_stream(dynamodb, repo.table_name))
    assert batch.response() == {"batchItemFailures": []}
    assert batch.response(failed=batch.changes[1]) == {
        "batchItemFailures": [{"itemIdentifier": batch.changes[1].sequence_number}]
    }
