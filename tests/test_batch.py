"""Batch helpers never drop anything: unprocessed keys and items are retried with backoff, and
what stays unprocessed is raised with the leftovers attached."""

from __future__ import annotations

from typing import Any

import pytest

from dynamodel.runtime.batch import batch_get, batch_write
from dynamodel.runtime.errors import BatchIncompleteError
from dynamodel.runtime.paging import CursorSigner
from dynamodel.runtime.retry import RetryPolicy
from dynamodel.runtime.schema import Item
from dynamodel.runtime.table import Table


def key(n: int) -> Item:
    return {"PK": {"S": f"P#{n}"}, "SK": {"S": "#X"}}


class FlakyClient:
    """Leaves the last `stubborn` requests unprocessed for `rounds` calls, then processes all."""

    def __init__(self, *, rounds: int, stubborn: int = 2) -> None:
        self.rounds = rounds
        self.stubborn = stubborn
        self.calls: list[int] = []
        self.stored: dict[str, Item] = {}

    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        (requests,) = RequestItems.values()
        self.calls.append(len(requests))
        assert len(requests) <= 25
        keep = requests[-self.stubborn :] if len(self.calls) <= self.rounds else []
        for request in requests[: len(requests) - len(keep)]:
            item = request["PutRequest"]["Item"]
            self.stored[item["PK"]["S"]] = item
        return {"UnprocessedItems": {"t": keep} if keep else {}}

    def batch_get_item(self, RequestItems: dict[str, dict[str, Any]]) -> dict[str, Any]:
        (request,) = RequestItems.values()
        keys = request["Keys"]
        self.calls.append(len(keys))
        assert len(keys) <= 100
        keep = keys[-self.stubborn :] if len(self.calls) <= self.rounds else []
        served = [dict(k, value={"S": k["PK"]["S"]}) for k in keys[: len(keys) - len(keep)]]
        unprocessed = {"t": {"Keys": keep}} if keep else {}
        return {"Responses": {"t": served}, "UnprocessedKeys": unprocessed}


class Schema:
    name = "X"

    @staticmethod
    def from_item(item: Item) -> str:
        return str(item["value"]["S"])


def table(client: Any, attempts: int = 4) -> Table:
    return Table(
        client=client,
        name="t",
        retry=RetryPolicy(max_attempts=attempts, base_delay=0.0),
        signer=CursorSigner("k" * 32),
        index_keys={None: ("PK", "SK")},
    )


def test_unprocessed_items_are_retried_until_written() -> None:
    client = FlakyClient(rounds=2)
    sleeps: list[float] = []
    batch_write(
        table(client), puts=[{**key(n), "v": {"N": "1"}} for n in range(30)], sleep=sleeps.append
    )
    assert sorted(client.stored) == sorted(f"P#{n}" for n in range(30))
    assert client.calls == [25, 2, 2, 5]
    assert len(sleeps) == 2


def test_items_that_stay_unprocessed_are_raised_not_dropped() -> None:
    client = FlakyClient(rounds=99)
    puts = [{**key(n), "v": {"N": "1"}} for n in range(30)]
    with pytest.raises(BatchIncompleteError) as caught:
        batch_write(table(client, attempts=3), puts=puts, sleep=lambda _: None)
    leftovers = [r["PutRequest"]["Item"]["PK"]["S"] for r in caught.value.unprocessed]
    assert leftovers == [f"P#{n}" for n in (23, 24, *range(25, 30))]
    assert set(client.stored) | set(leftovers) == {f"P#{n}" for n in range(30)}


def test_batch_get_retries_unprocessed_keys_and_keeps_order() -> None:
    client = FlakyClient(rounds=1)
    requests = [(Schema, key(n)) for n in (3, 1, 2)]
    assert batch_get(table(client), requests, sleep=lambda _: None) == ["P#3", "P#1", "P#2"]  # type: ignore[arg-type]
    with pytest.raises(BatchIncompleteError) as caught:
        batch_get(table(FlakyClient(rounds=99), attempts=2), requests, sleep=lambda _: None)  # type: ignore[arg-type]
    assert len(caught.value.unprocessed) == 2


def test_duplicate_keys_are_refused_before_sending() -> None:
    client = FlakyClient(rounds=0)
    with pytest.raises(ValueError):
        batch_write(table(client), puts=[key(1), key(1)])
    assert client.calls == []


def test_a_sixteen_shard_cursor_with_long_keys_stays_under_the_cursor_limit() -> None:
    from dynamodel.runtime.paging import MAX_CURSOR_LENGTH
    from dynamodel.runtime.sharded import pack_state, unpack_state

    state = [
        {
            "start": {
                name: {"S": f"Alert#{shard}#" + "x" * 180 + f"#{shard}#{name}"}
                for name in ("PK", "SK", "GSI3PK", "GSI3SK")
            }
        }
        for shard in range(16)
    ]
    cursor = CursorSigner("k" * 32).encode(pattern="p", arguments={}, state=pack_state(state))
    assert len(cursor) < MAX_CURSOR_LENGTH
    assert unpack_state(CursorSigner("k" * 32).decode(cursor, pattern="p", arguments={})) == state


def test_batch_write_checks_sizes_before_the_first_chunk() -> None:
    from dynamodel.runtime.errors import ItemTooLargeError

    client = FlakyClient(rounds=0)
    huge = {**key(99), "_type": {"S": "Doc"}, "x": {"S": "y" * 410_000}}
    with pytest.raises(ItemTooLargeError) as caught:
        batch_write(table(client), puts=[*[key(n) for n in range(30)], huge])
    assert "P#99" in str(caught.value)
    assert client.calls == []  # not even the first chunk of 25 was sent


def test_a_failed_chunk_lists_every_write_not_done() -> None:
    class FailsSecondChunk(FlakyClient):
        def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
            if self.calls:
                raise ValueError("boom")  # not retryable: the chunk fails at once
            return super().batch_write_item(RequestItems)

    client = FailsSecondChunk(rounds=0)
    puts = [{**key(n), "v": {"N": "1"}} for n in range(60)]
    with pytest.raises(BatchIncompleteError) as caught:
        batch_write(table(client), puts=puts)
    assert [r["PutRequest"]["Item"] for r in caught.value.unprocessed] == puts[25:]
    assert sorted(client.stored) == sorted(f"P#{n}" for n in range(25))
