"""The iot example's stream handler (examples/iot/lambda/alert_counter.py) against the stream
records of a fresh table of the dynamodel pytest plugin (embedded moto by default), one write
at a time: each transition of an alert (created open or closed, its status, site and message
changed, replaced, deleted) moves exactly the counts it concerns, also when delivered twice,
and a record without the images the handler needs fails and is redelivered.
(tests/alert_counter_support.py holds the table and the writes.)
"""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.alert_counter_support import FLEET, Table, alert, noise, nonzero, table

__all__ = ["table"]  # fixtures, used by name

pytestmark = FLEET


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
