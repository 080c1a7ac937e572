"""The iot example's stream handler (examples/iot/lambda/alert_counter.py) against the stream
records of a fresh table of the dynamodel pytest plugin (embedded moto by default): writes through the generated repository (creates, updates, saves, deletes of
alerts among other entities' writes), the records read with boto3's `dynamodbstreams`
client, re-encoded as Lambda delivers them, and delivered the way Lambda may: in batches,
twice, with a failed record reported and redelivered from it, after a crash that leaves
part of a batch applied, and only the records the template's filter admits. The counts must
equal an oracle computed from the final table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count as numbers
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamodel.testing import DynamodelTable, TableFactory
from tests.stream_records import lambda_event, read_stream, stream_arn

ROOT = Path(__file__).resolve().parent.parent
LAMBDA = ROOT / "examples" / "iot" / "lambda"
GENERATED = ROOT / "examples" / "iot" / "generated"
SITES = ("north", "south", "east")
STATUSES = ("open", "acknowledged", "resolved")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
pytestmark = pytest.mark.dynamodel(package="fleet", path=[str(GENERATED), str(LAMBDA)])


def counter(fleet: DynamodelTable) -> ModuleType:
    """The handler module, imported as Lambda imports it: its repository, built at import,
    reads FLEET_TABLE_NAME, which the plugin set to the name of the table `fleet`, as the
    template's import of the table stack's export does."""
    module = fleet.import_fresh("alert_counter")
    assert module.repository.table_name == fleet.name
    assert fleet.name.startswith("Fleet-test-")  # <Table>-<stage>-<random>
    return module


class Crash(BaseException):
    """The function dies mid-batch (a timeout, an out-of-memory kill): Lambda retries the
    whole batch. Not an Exception, so the handler cannot catch it."""


@dataclass
class Table:
    """The handler's table on moto, the stream read so far, and the alerts now stored."""

    module: ModuleType
    client: Any
    delivered: int = 0  # records of the stream handed to the handler so far
    alerts: dict[str, Any] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=numbers)

    @property
    def repo(self) -> Any:
        return self.module.repository

    def new_records(self) -> list[dict[str, Any]]:
        records = read_stream(self.client, self.repo.table_name)
        fresh, self.delivered = records[self.delivered :], len(records)
        return fresh

    def event(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return lambda_event(records, stream_arn(self.client, self.repo.table_name))

    def counts(self) -> dict[str, int]:
        found = {site: self.repo.site_alert_count(site_id=site, consistent=True) for site in SITES}
        return {site: c.open_alerts for site, c in found.items() if c is not None}

    def oracle(self) -> dict[str, int]:
        """Open alerts per site, from a scan of the final table (counts of 0 left out)."""
        items: list[dict[str, Any]] = []
        pages = self.client.get_paginator("scan").paginate(TableName=self.repo.table_name)
        for page in pages:
            items += page["Items"]
        result: dict[str, int] = {}
        for item in items:
            if item["_type"]["S"] == "Alert" and item.get("status", {}).get("S") == "open":
                site = item["site_id"]["S"]
                result[site] = result.get(site, 0) + 1
        return result


@pytest.fixture
def table(dynamodel_table: DynamodelTable) -> Table:
    return Table(module=counter(dynamodel_table), client=dynamodel_table.client)


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {site: n for site, n in counts.items() if n}


# -- the writes ------------------------------------------------------------------------------


def alert(table: Table, site: str, status: str) -> Any:
    from fleet import Alert

    return Alert(
        alert_id=f"a{next(table.ids):03d}",
        site_id=site,
        device_id="d1",
        rule="temp_above_8c",
        severity="warning",
        status=status,
        message="8.5 C",
        raised_at=NOW,
    )


def noise(table: Table, kind: str) -> None:
    """Writes of other entities: records the handler must leave alone (guards, members,
    binary values, a counter item written directly)."""
    from fleet import Device, Reading, Site, Zone

    number = next(table.ids)
    if kind == "device":
        table.repo.create_device(
            Device(
                site_id="north",
                serial=f"SN-{number}",
                hardware="th-r3",
                firmware="1",
                installed_on=date(2026, 1, 1),
            )
        )
    elif kind == "reading":
        table.repo.save_reading(
            Reading(device_id="d1", recorded_at=NOW + timedelta(seconds=number), raw_frame=b"\xff")
        )
    else:
        zone = Zone(site_id=f"site{number}", zone_code="Z1", label="dock")
        table.repo.create_site(
            Site(site_id=f"site{number}", name="x", timezone="UTC", zones=[zone])
        )


Op = tuple[Any, ...]
ops = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(SITES), st.sampled_from(STATUSES)),
    st.tuples(
        st.just("update"),
        st.integers(0, 50),
        st.none() | st.sampled_from(SITES),
        st.none() | st.sampled_from(STATUSES),
        st.booleans(),  # also change the message (a MODIFY that may change nothing counted)
    ),
    st.tuples(
        st.just("save"), st.integers(0, 50), st.sampled_from(SITES), st.sampled_from(STATUSES)
    ),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("noise"), st.sampled_from(["device", "reading", "site"])),
)


def run(table: Table, op: Op) -> None:
    kind = op[0]
    if kind == "create":
        created = table.repo.create_alert(alert(table, op[1], op[2]))
        table.alerts[created.alert_id] = created
        return
    if kind == "noise":
        noise(table, op[1])
        return
    if not table.alerts:
        return
    alert_id = sorted(table.alerts)[op[1] % len(table.alerts)]
    if kind == "update":
        changes = {"site_id": op[2], "status": op[3]}
        changes = {k: v for k, v in changes.items() if v is not None}
        if op[4]:
            changes["message"] = f"seen {next(table.ids)}"
        table.alerts[alert_id] = table.repo.update_alert(alert_id=alert_id, **changes)
    elif kind == "save":  # replace the whole item
        replaced = table.alerts[alert_id].model_copy(update={"site_id": op[2], "status": op[3]})
        table.alerts[alert_id] = table.repo.save_alert(replaced)
    else:
        table.repo.delete_alert(alert_id=alert_id)
        del table.alerts[alert_id]


# -- Lambda's deliveries -----------------------------------------------------------------------

# once | twice | fail_before (apply fails, nothing written) | fail_after (written, then the
# handler's call fails: the record is reported although applied) | crash (the function dies
# after applying some records: the whole batch again)
MODES = ("once", "twice", "fail_before", "fail_after", "crash")
Delivery = tuple[int, str, int]  # (batch size, mode, which apply_once call fails)
deliveries = st.lists(
    st.tuples(st.integers(1, 12), st.sampled_from(MODES), st.integers(0, 4)),
    min_size=1,
    max_size=12,
)


def failing_on(table: Table, call: int, mode: str, failed: list[str]) -> Callable[..., bool]:
    """repository.apply_once, failing (as `mode` says) on its `call`-th call."""
    real = table.module.FleetRepository.apply_once
    calls = numbers()

    def apply_once(token: str, **options: Any) -> bool:
        if next(calls) != call:
            return bool(real(table.repo, token, **options))
        failed.append(token)
        if mode == "fail_before":
            raise ConnectionError("the transaction was not sent")
        applied = real(table.repo, token, **options)
        assert applied  # the first delivery of this record
        if mode == "crash":
            raise Crash
        raise TimeoutError("applied, but the handler never saw the answer")

    return apply_once


def deliver(
    table: Table, records: list[dict[str, Any]], mode: str, call: int, patch: pytest.MonkeyPatch
) -> None:
    """One batch as Lambda delivers it, retried as Lambda retries it, until it succeeds."""
    handler = table.module.handler
    event = table.event(records)
    if mode in ("once", "twice"):
        for _ in range(1 if mode == "once" else 2):
            assert handler(event) == {"batchItemFailures": []}
        return
    failed: list[str] = []
    with patch.context() as patched:
        patched.setattr(table.repo, "apply_once", failing_on(table, call, mode, failed))
        if mode == "crash":
            try:
                response = handler(event)
            except Crash:
                response = None
        else:
            response = handler(event)
    if not failed:  # fewer counted records than `call`: nothing failed
        assert response == {"batchItemFailures": []}
        return
    if mode == "crash":
        assert response is None
        assert handler(event) == {"batchItemFailures": []}  # the whole batch again
        return
    (token,) = failed
    (record,) = [r for r in event["Records"] if r["eventID"] == token]
    sequence = record["dynamodb"]["SequenceNumber"]
    assert response == {"batchItemFailures": [{"itemIdentifier": sequence}]}
    # Lambda redelivers the failed record and every one after it.
    at = next(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] == sequence)
    assert handler(table.event(records[at:])) == {"batchItemFailures": []}


def deliver_all(
    table: Table, plan: list[Delivery], patch: pytest.MonkeyPatch, *, filtered: bool = False
) -> None:
    records = table.new_records()
    if filtered:  # what the event source mapping's filter lets through
        event = table.event(records)["Records"]
        records = [r for r, delivered in zip(records, event, strict=True) if admitted(delivered)]
    position, step = 0, 0
    while position < len(records):
        size, mode, call = plan[step % len(plan)]
        deliver(table, records[position : position + size], mode, call, patch)
        position, step = position + size, step + 1


@settings(
    max_examples=25,
    deadline=None,
    # Each example takes a table of its own from the factory (`fresh()`), not the fixture's.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    writes=st.lists(ops, min_size=1, max_size=30),
    plan=deliveries,
    filtered=st.booleans(),
)
def test_random_writes_and_deliveries_keep_the_counts_of_the_final_table(
    dynamodel_tables: TableFactory, writes: list[Op], plan: list[Delivery], filtered: bool
) -> None:
    with dynamodel_tables.fresh() as fleet, pytest.MonkeyPatch.context() as patch:
        table = Table(module=counter(fleet), client=fleet.client)
        for op in writes:
            run(table, op)
        deliver_all(table, plan, patch, filtered=filtered)
        expected = table.oracle()
        assert nonzero(table.counts()) == expected
        # The handler's own writes (counters, markers) come through the stream too; they
        # must move nothing, delivered twice or not.
        deliver_all(table, [(5, "twice", 0)], patch)
        assert nonzero(table.counts()) == expected


# -- each transition, one at a time ------------------------------------------------------------


def test_each_transition_moves_exactly_the_counts_it_concerns(table: Table) -> None:
    def step(write: Callable[[], object], expected: dict[str, int]) -> None:
        write()
        records = table.new_records()
        assert table.module.handler(table.event(records)) == {"batchItemFailures": []}
        assert nonzero(table.counts()) == expected
        assert table.module.handler(table.event(records)) == {"batchItemFailures": []}
        assert nonzero(table.counts()) == expected  # a redelivery changes nothing

    repo = table.repo
    a = alert(table, "north", "open")
    step(lambda: repo.create_alert(a), {"north": 1})
    b = alert(table, "north", "resolved")
    step(lambda: repo.create_alert(b), {"north": 1})  # created closed: not counted
    step(lambda: repo.update_alert(alert_id=a.alert_id, message="9 C"), {"north": 1})
    step(lambda: repo.update_alert(alert_id=a.alert_id, status="acknowledged"), {})
    step(lambda: repo.update_alert(alert_id=a.alert_id, status="open"), {"north": 1})
    step(lambda: repo.update_alert(alert_id=a.alert_id, site_id="south"), {"south": 1})
    step(lambda: repo.update_alert(alert_id=b.alert_id, site_id="east"), {"south": 1})
    stored = repo.get_alert(alert_id=b.alert_id, consistent=True)
    reopened = stored.model_copy(update={"status": "open", "site_id": "north"})
    step(lambda: repo.save_alert(reopened), {"south": 1, "north": 1})
    step(lambda: repo.delete_alert(alert_id=b.alert_id), {"south": 1})
    step(lambda: noise(table, "device"), {"south": 1})
    step(lambda: repo.delete_alert(alert_id=a.alert_id), {})
    assert table.counts() == {"north": 0, "south": 0}  # the items stay, at zero


def test_a_record_without_the_images_it_needs_fails_and_is_redelivered(table: Table) -> None:
    repo = table.repo
    repo.create_alert(alert(table, "north", "open"))
    (record,) = table.new_records()
    event = table.event([record])
    keys_only = json.loads(json.dumps(event))
    keys_only["Records"][0]["dynamodb"].pop("NewImage")
    keys_only["Records"][0]["dynamodb"]["StreamViewType"] = "KEYS_ONLY"
    response = table.module.handler(keys_only)
    assert response == {
        "batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]
    }
    assert table.counts() == {}
    assert table.module.handler(event) == {"batchItemFailures": []}
    assert table.counts() == {"north": 1}


# -- the SAM template ----------------------------------------------------------------------------


def template() -> dict[str, Any]:
    return dict(yaml.safe_load((LAMBDA / "template.yaml").read_text()))


def stream_event() -> dict[str, Any]:
    function = template()["Resources"]["AlertCounterFunction"]["Properties"]
    return dict(function["Events"]["Stream"]["Properties"])


def _matches(pattern: Any, value: Any) -> bool:
    # The part of Lambda's event-filtering syntax the template uses: nested keys, and a list
    # of allowed values at the leaves.
    if isinstance(pattern, list):
        return value in pattern
    return isinstance(value, dict) and all(
        key in value and _matches(inner, value[key]) for key, inner in pattern.items()
    )


def admitted(record: dict[str, Any]) -> bool:
    patterns = [json.loads(f["Pattern"]) for f in stream_event()["FilterCriteria"]["Filters"]]
    return any(_matches(pattern, record) for pattern in patterns)


def test_the_template_wires_the_stream_and_passes_cfn_lint() -> None:
    from cfnlint.api import lint_file

    assert [str(m) for m in lint_file(LAMBDA / "template.yaml")] == []
    function = template()["Resources"]["AlertCounterFunction"]["Properties"]
    assert function["Handler"] == "alert_counter.handler"
    assert function["Environment"]["Variables"]["FLEET_TABLE_NAME"] == {
        "Fn::ImportValue": {"Fn::Sub": "${TableStack}-TableName"}
    }
    source = stream_event()
    assert source["Stream"] == {"Fn::ImportValue": {"Fn::Sub": "${TableStack}-StreamArn"}}
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["StartingPosition"] == "TRIM_HORIZON"
    table_template = yaml.safe_load((ROOT / "examples" / "iot" / "template.yaml").read_text())
    exported = {o["Export"]["Name"]["Fn::Sub"] for o in table_template["Outputs"].values()}
    assert {"${AWS::StackName}-TableName", "${AWS::StackName}-StreamArn"} <= exported


def test_the_filter_admits_exactly_the_alert_records(table: Table) -> None:
    repo = table.repo
    a = repo.create_alert(alert(table, "north", "open"))
    repo.update_alert(alert_id=a.alert_id, status="resolved")
    for kind in ("device", "reading", "site"):
        noise(table, kind)
    repo.delete_alert(alert_id=a.alert_id)
    records = table.event(table.new_records())["Records"]
    assert table.module.handler({"Records": records}) == {"batchItemFailures": []}
    records += table.event(table.new_records())["Records"]  # the handler's own writes
    kinds = [
        (r["eventName"], (r["dynamodb"].get("NewImage") or r["dynamodb"]["OldImage"])["_type"]["S"])
        for r in records
        if admitted(r)
    ]
    assert kinds == [("INSERT", "Alert"), ("MODIFY", "Alert"), ("REMOVE", "Alert")]
