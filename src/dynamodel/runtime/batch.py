"""Batch reads and writes: chunked to DynamoDB's limits, unprocessed keys and items retried
with backoff, and whatever still could not be done raised — never silently dropped."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from dynamodel.runtime.errors import BatchIncompleteError
from dynamodel.runtime.schema import EntitySchema, Item
from dynamodel.runtime.table import Table
from dynamodel.runtime.transact import check_item_size
from dynamodel.runtime.writes import key_text

GET_CHUNK = 100  # BatchGetItem: at most 100 keys per request
WRITE_CHUNK = 25  # BatchWriteItem: at most 25 puts and deletes per request


def _key_tuple(key: Item) -> tuple[str, str]:
    return key["PK"]["S"], key["SK"]["S"]


def _back_off(table: Table, attempt: int, sleep: Callable[[float], None]) -> None:
    """Wait before resending what attempt number `attempt` (0: the first) left unprocessed:
    the retry policy's capped, fully jittered delay. Callers never wait after their last."""
    delay = table.retry.delay(attempt)
    if table.on_retry is not None:
        table.on_retry(attempt + 1, None, delay)
    sleep(delay)


def batch_get(
    table: Table,
    requests: Sequence[tuple[EntitySchema[Any], Item]],
    *,
    consistent: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Any]:
    """The items for `requests` (schema, table key), in request order; None where missing."""
    keys = list(dict.fromkeys(_key_tuple(key) for _, key in requests))
    found: dict[tuple[str, str], Item] = {}
    for start in range(0, len(keys), GET_CHUNK):
        pending = [{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in keys[start : start + GET_CHUNK]]
        for attempt in range(table.retry.max_attempts):
            response = table.call(
                table.client.batch_get_item,
                RequestItems={table.name: {"Keys": pending, "ConsistentRead": consistent}},
            )
            for item in response.get("Responses", {}).get(table.name, []):
                found[_key_tuple(item)] = item
            pending = response.get("UnprocessedKeys", {}).get(table.name, {}).get("Keys", [])
            if not pending or attempt + 1 == table.retry.max_attempts:
                break
            _back_off(table, attempt, sleep)
        if pending:
            raise BatchIncompleteError(
                f"{len(pending)} keys stayed unprocessed after {table.retry.max_attempts} "
                "attempts (throttling?); they are attached as .unprocessed",
                unprocessed=pending,
            )
    results = []
    for schema, key in requests:
        item = found.get(_key_tuple(key))
        # Expired items are gone to every read (see `expiry.py`).
        live = item if item is not None and not table.expired(item) else None
        results.append(schema.from_item(live) if live is not None else None)
    return results


def batch_write(
    table: Table,
    *,
    puts: Sequence[Item] = (),
    deletes: Sequence[Item] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Put and delete items in chunks of 25, retrying unprocessed ones with backoff."""
    requests: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in puts]
    requests += [{"DeleteRequest": {"Key": key}} for key in deletes]
    seen: set[tuple[str, str]] = set()
    for request in requests:
        body = request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"]
        key = _key_tuple(body)
        if key in seen:
            raise ValueError(f"batch_write names the item {key} twice; DynamoDB rejects that")
        seen.add(key)
    for item in puts:  # an oversized item would fail its chunk after earlier chunks landed
        check_item_size(
            item, entity=item.get("_type", {}).get("S", "item"), described=partial(key_text, item)
        )
    for start in range(0, len(requests), WRITE_CHUNK):
        pending = requests[start : start + WRITE_CHUNK]
        for attempt in range(table.retry.max_attempts):
            try:
                response = table.call(
                    table.client.batch_write_item, RequestItems={table.name: pending}
                )
            except Exception as error:
                # Earlier chunks are written; say exactly which writes were not.
                raise BatchIncompleteError(
                    f"a batch write failed ({error}); earlier chunks were written, the rest "
                    "are attached as .unprocessed",
                    unprocessed=[*pending, *requests[start + WRITE_CHUNK :]],
                ) from error
            pending = response.get("UnprocessedItems", {}).get(table.name, [])
            if not pending or attempt + 1 == table.retry.max_attempts:
                break
            _back_off(table, attempt, sleep)
        if pending:
            raise BatchIncompleteError(
                f"{len(pending)} writes stayed unprocessed after {table.retry.max_attempts} "
                "attempts (throttling?); earlier chunks were written; the rest are attached as "
                ".unprocessed together with every later chunk",
                unprocessed=[*pending, *requests[start + WRITE_CHUNK :]],
            )
