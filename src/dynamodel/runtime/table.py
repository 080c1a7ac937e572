"""The runtime's handle on one table: the read paths every generated repository uses.

Each read is exactly the request the design planned: one GetItem, or one Query (one per shard,
in parallel), paging with signed cursors. Writes live in `writes.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from dynamodel.runtime import keys
from dynamodel.runtime.aggregates import assemble_aggregate
from dynamodel.runtime.construct import construct
from dynamodel.runtime.errors import InvalidCursorError
from dynamodel.runtime.expiry import SYSTEM_CLOCK, Clock, is_expired, unexpired
from dynamodel.runtime.keys import DELIMITER, join, upper_bound
from dynamodel.runtime.paging import CursorSigner, Page
from dynamodel.runtime.retry import RetryPolicy, give_up_typed, is_retryable, may_have_applied
from dynamodel.runtime.schema import (
    EntitySchema,
    Item,
    SortCondition,
    ViewPartSpec,
)
from dynamodel.runtime.sharded import pack_state, sharded_page, unpack_state
from dynamodel.runtime.transport import retry_layer, wire
from dynamodel.runtime.views import read_view

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
# (attempts made so far, the error retried or None, the delay about to be slept)
RetryObserver = Callable[[int, BaseException | None, float], None]


def sort_condition(
    tag: str,
    equality: Sequence[str] = (),
    *,
    low: str | None = None,
    high: str | None = None,
    prefix: str | None = None,
) -> SortCondition:
    """The sort-key condition for `tag` + encoded equality parts + an optional range.

    Without a range: `begins_with(SK, "Tag#eq#")`. With one: BETWEEN the encoded low bound and
    the encoded high bound followed by `$`, which sorts after every key continuing that value.
    With an encoded `prefix` of the next part: `begins_with(SK, "Tag#eq#<prefix>")`.
    """
    base = join(tag, *equality)
    if prefix is not None:  # an encoded prefix of the next part (keys.encode_str_prefix)
        if low is not None or high is not None:
            raise ValueError("give a prefix or a range of the sort part, not both")
        return SortCondition(kind="prefix", low=join(base, prefix))
    if low is None and high is None:
        return SortCondition(kind="prefix", low=base + DELIMITER)
    lower = join(base, low) if low is not None else base + DELIMITER
    higher = upper_bound(join(base, high)) if high is not None else upper_bound(base)
    return SortCondition(kind="between", low=lower, high=higher)


class Table:
    """A DynamoDB table as the generated repository sees it."""

    def __init__(
        self,
        *,
        client: Any,
        name: str,
        retry: RetryPolicy,
        signer: CursorSigner,
        index_keys: Mapping[str | None, tuple[str, str]],
        max_workers: int = 16,
        on_retry: RetryObserver | None = None,
        ttl_attribute: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.client = client
        self.name = name
        self.retry = retry
        # Exactly one layer retries (see `retry_layer`): botocore, if this client's retries
        # are on, for what it retries; the runtime for everything else. Read at the first
        # call: building a repository touches nothing of its client.
        self._botocore_retries: bool | None = None
        self.signer = signer
        self.index_keys = dict(index_keys)  # None -> ("PK", "SK"); "GSI1" -> ("GSI1PK", ...)
        self.max_workers = max_workers
        # Sees every backoff before it is slept (logging, metrics, tests): the attempts made,
        # the error retried (None for a batch's unprocessed keys or items) and the delay.
        self.on_retry = on_retry
        # The table's TTL attribute: reads hide items it has expired (see `expiry.py`), by
        # the time `clock` tells (epoch seconds; tests pass a fake one).
        self.ttl_attribute = ttl_attribute
        self.clock = clock

    def now(self) -> int:
        """The current time in whole epoch seconds, as TTL attributes hold it."""
        return int(self.clock())

    def expired(self, item: Item) -> bool:
        """Whether the table's TTL has expired `item` (DynamoDB may not have deleted it yet)."""
        return is_expired(item, self.ttl_attribute, self.now())

    def live(self, items: Sequence[Item]) -> list[Item]:
        """`items` without the expired ones: what a read returns."""
        return unexpired(items, self.ttl_attribute, self.now())

    def call(self, operation: Callable[..., R], **request: Any) -> R:
        """One low-level call with the runtime's retries (same request on every attempt)."""
        return self.send(operation, request, wire.encode_body(request))

    def send(
        self,
        operation: Callable[..., R],
        request: dict[str, Any],
        body: bytes | None,
        *,
        on_retry: Callable[[int, BaseException, float], None] | None = None,
        resend: tuple[dict[str, Any], bytes | None] | None = None,
    ) -> R:
        """Like `call`, with the request already serialized by `wire.encode_body` (None: let
        botocore serialize it). Every attempt sends the same body, except that once an attempt
        may have been applied (`retry.may_have_applied`) the later ones send `resend` (request,
        body) if given; `on_retry` sees each error that is retried, before `self.on_retry`
        does."""
        observer = self.on_retry
        sending = [(request, body)]  # what the next attempt sends
        if resend is not None:
            given, replacement = on_retry, resend

            def switch(attempt: int, error: BaseException, delay: float) -> None:
                if may_have_applied(error):
                    sending[0] = replacement
                if given is not None:
                    given(attempt, error, delay)

            on_retry = switch
        if on_retry is not None and observer is not None:
            first = on_retry

            def both(attempt: int, error: BaseException, delay: float) -> None:
                first(attempt, error, delay)
                observer(attempt, error, delay)

            on_retry = both
        if self._botocore_retries is None:
            self._botocore_retries = retry_layer.botocore_retries(self.client)
            retry_layer.install_counter(self.client)
        with retry_layer.counting() as sent:
            return give_up_typed(
                lambda: wire.send(operation, *sending[0]),
                name=wire.OPERATIONS.get(getattr(operation, "__name__", ""), "the request"),
                policy=self.retry,
                on_retry=on_retry or observer,
                retryable=(
                    retry_layer.retried_by_runtime_only if self._botocore_retries else is_retryable
                ),
                requests_sent=lambda: sent[0],
            )

    # -- single items ----------------------------------------------------------------
    def get_item(self, key: Item, *, consistent: bool) -> Item | None:
        """The stored item with this key, as DynamoDB returns it."""
        response = self.call(
            self.client.get_item, TableName=self.name, Key=key, ConsistentRead=consistent
        )
        item: Item | None = response.get("Item")
        return item

    def get(self, schema: EntitySchema[M], key: Item, *, consistent: bool) -> M | None:
        item = self.get_item(key, consistent=consistent)
        return schema.from_item(item) if item and not self.expired(item) else None

    def get_aggregate(self, schema: EntitySchema[M], partition: str) -> M | None:
        """A root and all its members: one strongly consistent Query of its partition."""
        items = self.query_all(index=None, partition=partition, sort=None, consistent=True)
        # An expired root hides the aggregate; expired members (of a root that was saved again
        # before DynamoDB deleted them) are dropped one by one.
        return assemble_aggregate(schema, self.live(items))

    def query_one(
        self,
        schema: EntitySchema[M],
        *,
        index: str | None,
        partition: str,
        sort: SortCondition,
        consistent: bool = False,
    ) -> M | None:
        start: Item | None = None
        while True:
            request = self.query_request(index, partition, sort, True, 2, start, consistent)
            response = self.call(self.client.query, **request)
            items = response.get("Items", [])
            found = self.live(items)
            if found:
                return schema.from_item(found[0])
            # Only expired holders of a unique value (not yet deleted by DynamoDB) can come
            # before the live one: read on past them. Otherwise this is the one Query planned.
            start = response.get("LastEvaluatedKey")
            if not items or not start:
                return None

    # -- pages -----------------------------------------------------------------------
    def query_page(
        self,
        schema: EntitySchema[M],
        *,
        pattern: str,
        arguments: Mapping[str, object],
        index: str | None,
        partitions: Sequence[str],
        sort: SortCondition,
        forward: bool,
        limit: int,
        cursor: str | None,
        consistent: bool = False,
    ) -> Page[M]:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        state = (
            unpack_state(self.signer.decode(cursor, pattern=pattern, arguments=arguments))
            if cursor
            else None
        )
        if sort.kind == "between" and sort.low > sort.high:
            # A reversed range (`_from` after `_to`) holds nothing; DynamoDB would refuse the
            # BETWEEN with a ValidationException. The encoded bounds are compared, as DynamoDB
            # compares them (UTF-8 byte order, which is code point order).
            return Page.model_construct(items=[], cursor=None)
        if len(partitions) == 1:
            items, next_state = self._single_page(
                index, partitions[0], sort, forward, limit, state, consistent
            )
        else:
            items, next_state = sharded_page(self, index, partitions, sort, forward, limit, state)
        next_cursor = (
            self.signer.encode(pattern=pattern, arguments=arguments, state=pack_state(next_state))
            if next_state is not None
            else None
        )
        # Expired items are dropped after the read, so the page may hold fewer than `limit`
        # items though more follow (the cursor still resumes after the last item read).
        # The items were typed by the schema's decoder: no need to validate them again (nor
        # the page, whose fields are the list just built and a str).
        return construct(
            Page, {"items": [schema.from_item(i) for i in self.live(items)], "cursor": next_cursor}
        )

    def _single_page(
        self,
        index: str | None,
        partition: str,
        sort: SortCondition,
        forward: bool,
        limit: int,
        state: object,
        consistent: bool,
    ) -> tuple[list[Item], object]:
        if state is not None and not isinstance(state, dict):
            raise InvalidCursorError("cursor was made for a sharded query")
        start = state
        # One item more than asked for tells whether another page exists, so the cursor is
        # None exactly on the last page.
        request = self.query_request(index, partition, sort, forward, limit + 1, start, consistent)
        response = self.call(self.client.query, **request)
        items: list[Item] = response.get("Items", [])
        if len(items) > limit:
            return items[:limit], self.start_key(index, items[limit - 1])
        return items, response.get("LastEvaluatedKey")

    def query_all(
        self,
        *,
        index: str | None,
        partition: str,
        sort: SortCondition | None,
        consistent: bool,
        forward: bool = True,
    ) -> list[Item]:
        """Every item of a partition (for aggregates and views), following DynamoDB's pages."""
        items: list[Item] = []
        start: Item | None = None
        while True:
            request = self.query_request(
                index,
                partition,
                sort or SortCondition(kind="all"),
                forward,
                None,
                start,
                consistent,
            )
            response = self.call(self.client.query, **request)
            items.extend(response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                return items

    def query_view(
        self,
        *,
        index: str | None,
        partition: str,
        parts: Sequence[ViewPartSpec],
        forward: bool,
        sort: SortCondition | None = None,
        pattern: str = "",
        arguments: Mapping[str, object] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """A view's fields, read from one partition (see `views.read_view`)."""
        return read_view(
            self,
            index=index,
            partition=partition,
            parts=parts,
            forward=forward,
            sort=sort or SortCondition(kind="all"),
            pattern=pattern,
            arguments=arguments or {},
            limit=limit,
            cursor=cursor,
        )

    # -- requests ----------------------------------------------------------------------
    def start_key(self, index: str | None, item: Item) -> Item:
        """The ExclusiveStartKey that resumes right after `item`."""
        names = {*self.index_keys[None], *self.index_keys[index]}
        return {name: item[name] for name in names}

    def query_request(
        self,
        index: str | None,
        partition: str,
        sort: SortCondition,
        forward: bool,
        limit: int | None,
        start: Item | None,
        consistent: bool,
    ) -> dict[str, Any]:
        pk, sk = self.index_keys[index]
        # DynamoDB refuses key values over its limits with a raw ValidationException (moto
        # just finds nothing): refuse them here, typed and unsent, as writes and gets do.
        keys.check_key_size(partition, limit=keys.MAX_PARTITION_KEY_BYTES, attribute=pk)
        for bound in (sort.low, sort.high):
            if len(bound) > keys.MAX_SORT_KEY_BYTES // 4:  # could be over: count the bytes
                keys.check_key_size(bound, limit=keys.MAX_SORT_KEY_BYTES, attribute=sk)
        names = {"#pk": pk}
        values: dict[str, Any] = {":pk": {"S": partition}}
        condition = "#pk = :pk"
        # Placeholders named as in the design's key conditions (`dynamodel design`).
        if sort.kind != "all":
            names["#sk"] = sk
            if sort.kind == "eq":
                values[":sk"] = {"S": sort.low}
                condition += " AND #sk = :sk"
            elif sort.kind == "prefix":
                values[":sk"] = {"S": sort.low}
                condition += " AND begins_with(#sk, :sk)"
            elif sort.kind == "from":
                values[":sk"] = {"S": sort.low}
                condition += " AND #sk >= :sk"
            elif sort.kind == "upto":
                values[":sk"] = {"S": sort.high}
                condition += " AND #sk <= :sk"
            else:
                values[":sk_from"] = {"S": sort.low}
                values[":sk_to"] = {"S": sort.high}
                condition += " AND #sk BETWEEN :sk_from AND :sk_to"
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": forward,
        }
        if index is not None:
            request["IndexName"] = index
        else:
            request["ConsistentRead"] = consistent
        if limit is not None:
            request["Limit"] = limit
        if start:
            request["ExclusiveStartKey"] = start
        return request
