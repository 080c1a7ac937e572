"""What the tests of the iot example's stream handler (examples/iot/lambda/alert_counter.py)
share (tests/test_alert_counter_deliveries.py, tests/test_alert_counter_transitions.py,
tests/test_alert_counter_template.py): the handler on a fresh table of the dynamodel pytest
plugin (embedded moto by default; the `table` fixture, which the tests import by name), the
stream records read with boto3's `dynamodbstreams` client and re-encoded as Lambda delivers them, writes of alerts and of other entities through the
generated repository, the oracle computed from the final table, and the SAM template's
filter."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count as numbers
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from dynamodel.testing import DynamodelTable
from tests.stream_records import lambda_event, read_stream, stream_arn

ROOT = Path(__file__).resolve().parent.parent
LAMBDA = ROOT / "examples" / "iot" / "lambda"
GENERATED = ROOT / "examples" / "iot" / "generated"
SITES = ("north", "south", "east")
STATUSES = ("open", "acknowledged", "resolved")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
# The dynamodel plugin's table of the tests (their `pytestmark`): the iot example's package,
# and the handler beside it.
FLEET = pytest.mark.dynamodel(package="fleet", path=[str(GENERATED), str(LAMBDA)])


def counter(fleet: DynamodelTable) -> ModuleType:
    """The handler module, imported as Lambda imports it: its repository, built at import,
    reads FLEET_TABLE_NAME, which the plugin set to the name of the table `fleet`, as the
    template's import of the table stack's export does."""
    module = fleet.import_fresh("alert_counter")
    assert module.repository.table_name == fleet.name
    assert fleet.name.startswith("Fleet-test-")  # <Table>-<stage>-<random>
    return module


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
