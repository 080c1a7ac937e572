"""Pages of write-sharded patterns: one Query per shard, in parallel, merged in sort-key order.

A shard's Query can stop before its Limit: DynamoDB stops reading at 1 MB and answers with the
items read so far and a LastEvaluatedKey. That shard's next items may sort before items other
shards returned, so the merge never emits an item while a shard whose buffered items are all
emitted may still hold more: it queries that shard again (from its LastEvaluatedKey) first.
Every emitted item is therefore the smallest (largest, descending) of everything not yet
emitted, and a page holds `limit` items unless the query has no more.

The cursor remembers, per shard, the key right after the last item of that shard the page
emitted (None once the shard is exhausted), so the next page resumes every shard exactly
there: no item is lost or repeated, whatever each Query returned.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from dynamodel.runtime.errors import InvalidCursorError
from dynamodel.runtime.schema import Item, SortCondition

if TYPE_CHECKING:
    from dynamodel.runtime.table import Table


class _Shard:
    """What the merge knows of one shard's partition."""

    __slots__ = ("after", "emitted", "items", "live", "resume")

    def __init__(self, start: Item | None, *, live: bool) -> None:
        self.items: list[Item] = []  # the last Query's items
        self.emitted = 0  # how many of them this page emitted
        self.live = live  # whether the shard may hold items after `items`
        self.after = start  # the ExclusiveStartKey of the next Query
        self.resume = start  # the ExclusiveStartKey right after the last emitted item

    @property
    def hungry(self) -> bool:
        """Every item read is emitted, and the shard may hold more: read on before merging."""
        return self.live and self.emitted == len(self.items)

    def state(self) -> dict[str, Any] | None:
        if self.emitted < len(self.items):
            return {"start": self.resume}
        return {"start": self.after} if self.live else None


def sharded_page(
    table: Table,
    index: str | None,
    partitions: Sequence[str],
    sort: SortCondition,
    forward: bool,
    limit: int,
    state: object,
) -> tuple[list[Item], list[Any] | None]:
    """Up to `limit` items of all `partitions` in sort order, and the state to resume from
    (None on the last page)."""
    shards = _shards(state, len(partitions))
    sort_key = table.index_keys[index][1]
    taken: list[Item] = []
    with ThreadPoolExecutor(max_workers=min(len(partitions), table.max_workers)) as pool:
        while len(taken) < limit:
            hungry = [number for number, shard in enumerate(shards) if shard.hungry]
            if hungry:
                # One item more than still needed: a shard that answers in full is never
                # emptied by this page, so only a Query stopped early (1 MB) is read on.
                wanted = limit - len(taken) + 1

                def fetch(number: int, wanted: int = wanted) -> tuple[list[Item], Item | None]:
                    start = shards[number].after
                    request = table.query_request(
                        index, partitions[number], sort, forward, wanted, start, False
                    )
                    response = table.call(table.client.query, **request)
                    return response.get("Items", []), response.get("LastEvaluatedKey")

                # Every Query runs to its end (no cancelling the others when one fails).
                futures = [pool.submit(fetch, number) for number in hungry]
                for number, future in zip(hungry, futures, strict=True):
                    items, last_key = future.result()
                    shard = shards[number]
                    shard.items, shard.emitted = items, 0
                    shard.live, shard.after = last_key is not None, last_key
                continue
            best = _next(shards, sort_key, forward)
            if best is None:
                break  # every shard is exhausted
            item = best.items[best.emitted]
            best.emitted += 1
            best.resume = table.start_key(index, item)
            taken.append(item)
    next_state = [shard.state() for shard in shards]
    return taken, next_state if any(entry is not None for entry in next_state) else None


def _shards(state: object, count: int) -> list[_Shard]:
    """The shards as a cursor's state left them (a fresh start without one)."""
    if state is None:
        return [_Shard(None, live=True) for _ in range(count)]
    if not isinstance(state, list) or len(state) != count:
        # signed by this service, but for another shard count (the spec changed)
        raise InvalidCursorError(f"cursor does not match this query's {count} shards")
    shards = []
    for entry in state:
        if entry is None:
            shards.append(_Shard(None, live=False))  # exhausted on an earlier page
        elif isinstance(entry, dict) and isinstance(entry.get("start"), dict | None):
            shards.append(_Shard(entry.get("start"), live=True))
        else:
            raise InvalidCursorError("the cursor's shard state is corrupt")
    return shards


def _next(shards: Sequence[_Shard], sort_key: str, forward: bool) -> _Shard | None:
    """The shard whose next item comes first (the lowest-numbered one on a tie)."""
    best: _Shard | None = None
    best_key = ""
    for shard in shards:
        if shard.emitted == len(shard.items):
            continue
        key: str = shard.items[shard.emitted][sort_key]["S"]
        if best is None or (key < best_key if forward else key > best_key):
            best, best_key = shard, key
    return best


def pack_state(state: object) -> object:
    """Compress a sharded page's state (one start key per shard) so its cursor stays small."""
    if not isinstance(state, list):
        return state
    text = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return {"z": base64.urlsafe_b64encode(zlib.compress(text, 9)).decode()}


def unpack_state(state: object) -> object:
    """The inverse of `pack_state`. Runs only on signed cursors, whose content we wrote."""
    if isinstance(state, dict) and set(state) == {"z"} and isinstance(state["z"], str):
        try:
            return json.loads(zlib.decompress(base64.urlsafe_b64decode(state["z"])))
        except (ValueError, zlib.error) as error:
            raise InvalidCursorError("the cursor's shard state is corrupt") from error
    return state
