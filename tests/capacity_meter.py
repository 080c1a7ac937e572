"""The measured side of the capacity tests (tests/test_capacity_rules.py,
tests/test_capacity_oracle.py): the tracker's repository on moto in process, and a meter that
records every request a repository method sends (botocore's events) and the items each one
reads or writes, and applies DynamoDB's documented rules to them: reads per 4 KB of what a
request returns (half when eventually consistent), writes per 1 KB per item, twice inside a
transaction, once more per GSI the item is in."""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from dynamodel.compiler.design.capacity import read_units, write_units
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.runtime.sizes import item_size

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))

from tracker import ChecklistItem, Ticket, TrackerRepository

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DATA_PLANE = {"GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}
Item = dict[str, Any]


def design_of(text: str) -> Design:
    result = compile_spec(text, path="spec.yaml")
    assert result.design is not None, result.rendered()
    return result.design


class Meter:
    """Counts the units of every request a client sends, by DynamoDB's rules."""

    def __init__(self, client: Any, table: str, gsis: list[tuple[str, str, str]]) -> None:
        self.client, self.table, self.gsis = client, table, gsis
        self.reads = 0.0
        self.items_read = 0
        self.table_writes = 0.0
        self.index_writes: dict[str, float] = defaultdict(float)
        self.operations: list[str] = []
        self._before: dict[tuple[str, str], Item] = {}
        self._pending: dict[str, Any] = {}
        events = client.meta.events
        events.register("provide-client-params.dynamodb", self._request)
        events.register("after-call.dynamodb", self._response)

    def reset(self, stored: dict[tuple[str, str], Item]) -> None:
        self.reads, self.items_read, self.table_writes = 0.0, 0, 0.0
        self.index_writes.clear()
        self.operations.clear()
        self._before = dict(stored)

    def _request(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._pending = {"operation": model.name, "params": dict(params)}

    def _gsis_of(self, item: Item | None) -> list[str]:
        if item is None:
            return []
        return [name for name, pk, sk in self.gsis if pk in item and sk in item]

    def _write(self, before: Item | None, after: Item | None, *, factor: int) -> None:
        size = max(item_size(i) for i in (before, after) if i is not None)
        self.table_writes += factor * write_units(size)
        for index in sorted(set(self._gsis_of(before)) | set(self._gsis_of(after))):
            self.index_writes[index] += write_units(size)

    def _key(self, item: Item) -> tuple[str, str]:
        return item["PK"]["S"], item["SK"]["S"]

    def _response(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        operation, params = model.name, self._pending["params"]
        if operation not in DATA_PLANE:
            return  # the test's own scans and the table's creation
        self.operations.append(operation)
        if operation in ("GetItem", "Query"):
            returned = [parsed["Item"]] if "Item" in parsed else parsed.get("Items", [])
            size = sum(item_size(i) for i in returned)
            self.items_read += len(returned)
            self.reads += read_units(size, consistent=bool(params.get("ConsistentRead")))
            return
        actions: list[tuple[str, dict[str, Any]]]
        if operation == "TransactWriteItems":
            actions = [next(iter(a.items())) for a in params["TransactItems"]]
            factor = 2
        else:
            actions = [(operation.removesuffix("Item"), params)]
            factor = 1
        for kind, request in actions:
            if kind == "Put":
                item = request["Item"]
                self._write(self._before.get(self._key(item)), item, factor=factor)
            elif kind == "Delete":
                self._write(self._before[self._key(request["Key"])], None, factor=factor)
            elif kind == "Update":
                key = self._key(request["Key"])
                after = self._stored(request["Key"])
                self._write(self._before[key], after, factor=factor)
            elif kind == "ConditionCheck":
                # Charged as a write of the checked item (twice, in a transaction); it writes
                # no index.
                checked = self._stored(request["Key"])
                self.table_writes += factor * write_units(item_size(checked))
            else:
                raise AssertionError(f"unexpected action {kind}")

    def _stored(self, key: Item) -> Item:
        pending, counted = self._pending, (self.reads, list(self.operations))
        found = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        # That read was the meter's own, not the repository's: uncount it.
        self._pending, (self.reads, self.operations) = pending, counted
        return dict(found["Item"])


def scan(repo: TrackerRepository) -> dict[tuple[str, str], Item]:
    items = repo.table.client.scan(TableName=repo.table_name)["Items"]
    return {(i["PK"]["S"], i["SK"]["S"]): i for i in items}


def ticket(number: int, *, checklist: int = 10) -> Ticket:
    return Ticket(
        workspace_id="w1",
        ticket_no=number,
        title=f"Fix the flaky export job #{number}",
        status="open",
        assignee_id="a1",  # in every GSI: the estimate counts every index the entity is in
        priority=2,
        updated_at=NOW + timedelta(minutes=number),
        labels={"bug", "backend"},
        checklist=[
            ChecklistItem(workspace_id="w1", ticket_no=number, position=p, text=f"step {p}")
            for p in range(checklist)
        ],
    )


@contextmanager
def recording_repository(
    items: Iterable[Item] = (),
) -> Iterator[tuple[TrackerRepository, Meter]]:
    """The tracker's repository on moto in process (a plain boto3 client, so that the meter
    sees every request's parameters) holding `items`, and a meter on its client."""
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        repo = TrackerRepository(client=client, table_name="Capacity", cursor_key="k" * 32)
        repo.create_table()
        for item in items:
            client.put_item(TableName=repo.table_name, Item=item)
        gsis = [(name, pk, sk) for name, (pk, sk) in repo.INDEX_KEYS.items() if name]
        yield repo, Meter(client, repo.table_name, gsis)
