"""Pages of write-sharded patterns (dynamodel.runtime.sharded) keep the exact sort order of all
matching items across every page, with nothing lost or repeated, also when a shard's Query
stops early — as DynamoDB's does at 1 MB, answering with fewer items than its Limit and a
LastEvaluatedKey.

The bug this pins: the merge used to take the first `limit` items of whatever each shard
returned, so a shard stopped at 1 MB let items of other shards that sort after its unread
items onto the page; the unread items came on a later page, out of order. Now the merge reads
such a shard on before it emits anything that could sort after its unread items.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.runtime.errors import InvalidCursorError
from dynamodel.runtime.paging import CursorSigner
from dynamodel.runtime.retry import RetryPolicy
from dynamodel.runtime.schema import Item, SortCondition
from dynamodel.runtime.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "iot" / "generated"))

from fleet import Alert, FleetRepository, _schema

INDEX = "GSI3"
INDEX_KEYS: dict[str | None, tuple[str, str]] = {None: ("PK", "SK"), INDEX: ("GSI3PK", "GSI3SK")}
EVERYTHING = SortCondition(kind="prefix", low="A#")


def sort_key(number: int) -> str:
    return f"A#{number:04d}"


class ShardedClient:
    """A DynamoDB Query over in-memory index partitions, answered as DynamoDB answers it: in
    sort-key order, from the ExclusiveStartKey, at most Limit items, with a LastEvaluatedKey
    when it stopped at the Limit (even if nothing follows) or stopped early. `stops[partition]`
    lists, per call, after how many items that partition's Query stops as if at 1 MB."""

    def __init__(
        self,
        partitions: dict[str, list[int]],
        *,
        stops: dict[str, list[int]] | None = None,
        key_at_the_end: bool = False,
    ) -> None:
        self.partitions = {
            partition: [
                {
                    "PK": {"S": f"Alert#{n}"},
                    "SK": {"S": "Alert"},
                    "GSI3PK": {"S": partition},
                    "GSI3SK": {"S": sort_key(n)},
                }
                for n in sorted(numbers)
            ]
            for partition, numbers in partitions.items()
        }
        self.stops = {partition: list(left) for partition, left in (stops or {}).items()}
        self.key_at_the_end = key_at_the_end  # a stopped Query ending at the last item says so
        self.calls: list[tuple[str, int, str | None]] = []  # partition, Limit, start sort key
        self._lock = threading.Lock()

    def query(self, **request: Any) -> dict[str, Any]:
        assert request["IndexName"] == INDEX and request["ExpressionAttributeNames"] == {
            "#pk": "GSI3PK",
            "#sk": "GSI3SK",
        }
        values = request["ExpressionAttributeValues"]
        partition = values[":pk"]["S"]
        limit = request["Limit"]
        assert limit >= 1
        start = request.get("ExclusiveStartKey")
        after = start["GSI3SK"]["S"] if start else None
        with self._lock:
            self.calls.append((partition, limit, after))
            stops = self.stops.get(partition, [])
            stop = stops.pop(0) if stops else None
        items = self.partitions.get(partition, [])
        if " BETWEEN " in request["KeyConditionExpression"]:
            low, high = values[":sk_from"]["S"], values[":sk_to"]["S"]
            items = [i for i in items if low <= i["GSI3SK"]["S"] <= high]
        else:
            items = [i for i in items if i["GSI3SK"]["S"].startswith(values[":sk"]["S"])]
        if not request["ScanIndexForward"]:
            items = items[::-1]
        if after is not None:
            forward = request["ScanIndexForward"]
            items = [
                i
                for i in items
                if (after < i["GSI3SK"]["S"] if forward else after > i["GSI3SK"]["S"])
            ]
        answered = items[: min(limit, stop if stop is not None else limit)]
        response: dict[str, Any] = {"Items": answered, "Count": len(answered)}
        stopped_early = len(answered) < len(items) or (stop is not None and self.key_at_the_end)
        if answered and (len(answered) == limit or stopped_early):
            last = answered[-1]
            response["LastEvaluatedKey"] = {k: last[k] for k in ("PK", "SK", "GSI3PK", "GSI3SK")}
        return response


class SortKeys:
    """Decodes an item to its sort key (query_page decodes every item it returns)."""

    name = "Alert"

    @staticmethod
    def from_item(item: Item) -> str:
        return str(item["GSI3SK"]["S"])


def table(client: Any) -> Table:
    return Table(
        client=client,
        name="t",
        retry=RetryPolicy(max_attempts=1),
        signer=CursorSigner("k" * 32),
        index_keys=INDEX_KEYS,
    )


def pages(
    client: Any,
    shards: int,
    *,
    limit: int,
    forward: bool = True,
    sort: SortCondition = EVERYTHING,
) -> list[list[str]]:
    """Every page of the query over `shards` partitions, following the cursors."""
    reader, cursor, found = table(client), None, []
    partitions = [f"Alert#{shard}" for shard in range(shards)]
    while True:
        page = reader.query_page(
            SortKeys,  # type: ignore[arg-type]  # a stand-in schema: decodes to the sort key
            pattern="all_open_alerts",
            arguments={},
            index=INDEX,
            partitions=partitions,
            sort=sort,
            forward=forward,
            limit=limit,
            cursor=cursor,
        )
        found.append(list(page.items))
        cursor = page.cursor
        if cursor is None:
            return found
        assert len(found) <= 1000, "paging does not end"


def test_a_shard_stopped_at_1_mb_keeps_the_page_in_order() -> None:
    # Shard 0 stops after one item: its 3 sorts before shard 1's 4 and 6.
    client = ShardedClient({"Alert#0": [1, 3, 5], "Alert#1": [2, 4, 6]}, stops={"Alert#0": [1]})
    expected = [[sort_key(n) for n in (1, 2, 3, 4)], [sort_key(n) for n in (5, 6)]]
    assert pages(client, 2, limit=4) == expected  # was [1, 2, 4, 6], [3, 5]
    # Shard 0 is read on from where it stopped, for what the page still needs (+1); shard 1,
    # which answered in full, is not read again for this page.
    assert client.calls[:3] == [
        ("Alert#0", 5, None),
        ("Alert#1", 5, None),
        ("Alert#0", 4, sort_key(1)),
    ]


def test_descending_with_a_shard_stopped_at_1_mb() -> None:
    client = ShardedClient(
        {"Alert#0": [9, 7, 5, 3], "Alert#1": [8, 6, 4, 2]}, stops={"Alert#1": [1, 1, 1]}
    )
    found = pages(client, 2, limit=3, forward=False)
    assert found == [[sort_key(n) for n in chunk] for chunk in ([9, 8, 7], [6, 5, 4], [3, 2])]


def test_the_cursor_resumes_each_shard_where_its_emitted_items_end() -> None:
    # Shard 1 stops after 2 items on every call: its position in the cursor is right after
    # the last item of it the page emitted, never past one it did not emit.
    client = ShardedClient(
        {"Alert#0": [1, 2, 3, 10, 11], "Alert#1": [4, 5, 6, 7, 8, 9], "Alert#2": []},
        stops={"Alert#1": [2] * 10},
    )
    flat = [key for page in pages(client, 3, limit=4) for key in page]
    assert flat == [sort_key(n) for n in range(1, 12)]


def test_a_shard_that_stops_exactly_at_its_end_needs_no_extra_page() -> None:
    client = ShardedClient(
        {"Alert#0": [1, 2], "Alert#1": [3]}, stops={"Alert#0": [2]}, key_at_the_end=True
    )
    # Shard 0 says it may hold more; the page reads on (finding nothing) before it may
    # emit 3, and the page, complete, has no cursor.
    assert pages(client, 2, limit=5) == [[sort_key(n) for n in (1, 2, 3)]]


def test_a_corrupt_shard_entry_is_refused_before_reading() -> None:
    client = ShardedClient({})
    signer = CursorSigner("k" * 32)
    for state in ([{"start": None}, 5], [{"start": "PK"}, None]):
        cursor = signer.encode(pattern="all_open_alerts", arguments={}, state=state)
        with pytest.raises(InvalidCursorError):
            table(client).query_page(
                SortKeys,  # type: ignore[arg-type]
                pattern="all_open_alerts",
                arguments={},
                index=INDEX,
                partitions=["Alert#0", "Alert#1"],
                sort=EVERYTHING,
                forward=True,
                limit=3,
                cursor=cursor,
            )
    assert client.calls == []


@st.composite
def sharded_queries(draw: st.DrawFn) -> dict[str, Any]:
    shards = draw(st.integers(2, 6), label="shards")
    numbers = draw(st.sets(st.integers(0, 999), max_size=60), label="items")
    placed: dict[str, list[int]] = {f"Alert#{s}": [] for s in range(shards)}
    for number in sorted(numbers):
        placed[f"Alert#{draw(st.integers(0, shards - 1))}"].append(number)
    stops = {
        partition: draw(st.lists(st.integers(1, 6), max_size=8), label=f"stops of {partition}")
        for partition in placed
    }
    low, high = sorted(draw(st.tuples(st.integers(0, 999), st.integers(0, 999))))
    bounded = draw(st.booleans(), label="range")
    return {
        "shards": shards,
        "placed": placed,
        "stops": stops,
        "key_at_the_end": draw(st.booleans()),
        "limit": draw(st.integers(1, 12), label="limit"),
        "forward": draw(st.booleans(), label="forward"),
        "range": (low, high) if bounded else None,
    }


@settings(max_examples=300, deadline=None)
@given(query=sharded_queries())
def test_paging_gives_exactly_the_oracle_order(query: dict[str, Any]) -> None:
    """Random items over N shards, random points where each shard's Queries stop early:
    paging through gives every matching item once, in sort order, `limit` a page."""
    client = ShardedClient(
        query["placed"], stops=query["stops"], key_at_the_end=query["key_at_the_end"]
    )
    everything = sorted(n for numbers in query["placed"].values() for n in numbers)
    sort = EVERYTHING
    if query["range"] is not None:
        low, high = query["range"]
        everything = [n for n in everything if low <= n <= high]
        sort = SortCondition(kind="between", low=sort_key(low), high=sort_key(high))
    oracle = [sort_key(n) for n in (everything if query["forward"] else everything[::-1])]
    found = pages(
        client, query["shards"], limit=query["limit"], forward=query["forward"], sort=sort
    )
    assert [key for page in found for key in page] == oracle
    # Every page but the last is full, however early the shards' Queries stopped.
    assert all(len(page) == query["limit"] for page in found[:-1])
    assert len(found[-1]) <= query["limit"]


# -- on the generated iot repository, over each backend ------------------------------------

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def stop_shard_early(client: Any, partition: str, after: int) -> list[int]:
    """Make every Query of one index partition stop after `after` items, with the
    LastEvaluatedKey DynamoDB gives a Query that stopped at 1 MB. Returns a list that
    counts the Queries it cut."""
    cut: list[int] = []

    def before(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        body = json.loads(context.get("dynamodel_body") or params["body"])
        if body["ExpressionAttributeValues"][":pk"]["S"] == partition:
            context["stop_early"] = True

    def after_call(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if "stop_early" not in context or len(parsed.get("Items", [])) <= after:
            return
        kept = parsed["Items"][:after]
        names = ["PK", "SK", "GSI3PK", "GSI3SK"]
        parsed.update(Items=kept, Count=len(kept), ScannedCount=len(kept))
        parsed["LastEvaluatedKey"] = {name: kept[-1][name] for name in names}
        cut.append(len(kept))

    events = client.meta.events
    events.register_first("before-call.dynamodb.Query", before, unique_id="stop-early-before")
    events.register_first("after-call.dynamodb.Query", after_call, unique_id="stop-early-after")
    return cut


def test_all_open_alerts_in_order_when_a_shard_stops_at_1_mb(
    dynamodb_client: Any, table_name: str
) -> None:
    repo = FleetRepository(client=dynamodb_client, table_name=table_name, cursor_key="k" * 32)
    repo.create_table()
    alerts = [
        Alert(
            alert_id=f"a{n:03d}",
            site_id="s1",
            device_id="d1",
            rule="temp_above_8c",
            severity="warning",
            message=f"alert {n}",
            raised_at=T0 + timedelta(minutes=(n * 37) % 101),
        )
        for n in range(40)
    ]
    resolved = alerts[0].model_copy(update={"status": "resolved"})  # sparse: not in the index
    repo.batch_write(put=[resolved, *alerts[1:]])
    oracle = [a.alert_id for a in sorted(alerts[1:], key=lambda a: a.raised_at, reverse=True)]
    shards = Counter(shard_of(alert) for alert in alerts[1:])
    fullest, _ = shards.most_common(1)[0]
    cut = stop_shard_early(dynamodb_client, fullest, after=1)

    found, cursor = [], None
    while True:
        page = repo.all_open_alerts(limit=10, cursor=cursor)
        found.append([a.alert_id for a in page.items])
        cursor = page.cursor
        if cursor is None:
            break
    assert [alert for page in found for alert in page] == oracle
    assert all(len(page) == 10 for page in found[:-1])
    assert cut, "the fullest shard's Queries were cut short"


def shard_of(alert: Alert) -> str:
    """The index partition (write shard) the generated code puts an alert in."""
    return str(_schema.ALERT.to_item(alert)["GSI3PK"]["S"])
