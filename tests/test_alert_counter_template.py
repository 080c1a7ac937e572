"""The SAM template of the iot example's stream handler (examples/iot/lambda/template.yaml):
it passes cfn-lint and wires the function to the table stack's exports, and its event
filter admits exactly the alert records of a fresh table of the dynamodel pytest plugin
(embedded moto by default). (tests/alert_counter_support.py holds the table, the writes
and the filter's reading.)
"""

from __future__ import annotations

import yaml

from tests.alert_counter_support import (
    FLEET,
    LAMBDA,
    ROOT,
    Table,
    admitted,
    alert,
    noise,
    stream_event,
    table,
    template,
)

__all__ = ["table"]  # fixtures, used by name

pytestmark = FLEET


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
