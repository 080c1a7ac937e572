"""The base of every generated `<Table>Repository`: construction, table creation and the
batch helpers, written once here instead of once per generated package."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel

from dynamodel.runtime.expiry import DEFAULT_MARKER_LIFETIME, SYSTEM_CLOCK, Clock
from dynamodel.runtime.paging import CursorSigner
from dynamodel.runtime.retry import RetryPolicy
from dynamodel.runtime.schema import EntitySchema
from dynamodel.runtime.table import Table
from dynamodel.runtime.transport.client import shared_client

if TYPE_CHECKING:
    from dynamodel.runtime import counters
    from dynamodel.runtime.migrate import ChildQuery, MigrationReport

# Table creation, batches and counters are imported where they are used: most repositories
# call them seldom or never, and a Lambda's cold start is shorter without them.

M = TypeVar("M", bound=BaseModel)


class Repository:
    """Typed access to one table; a generated subclass adds a method per write and pattern.

    `client` defaults to `boto3.client("dynamodb")` tuned for the runtime, one client shared by
    the repositories of boto3's default session (`transport.client.shared_client`). `table_name`
    defaults to the `<PACKAGE>_TABLE_NAME` environment variable (`TABLE_NAME_VARIABLE`), then
    to the spec's table name: see `default_table_name`. Page cursors are signed with `cursor_key` (or the
    DYNAMODEL_CURSOR_KEY environment variable; each key at least 32 bytes, the first signs,
    all verify), bound to the table name, and refused once older than `cursor_max_age` when
    that is set; `retry` bounds the runtime's retries. `clock` (epoch seconds, default
    `time.time`) decides which items the table's TTL has expired: reads hide them, and
    creates may replace them (see `dynamodel.runtime.expiry`); it also dates cursors.
    """

    # Set by the generated subclass, from the design.
    TABLE_NAME: ClassVar[str]
    TABLE_NAME_VARIABLE: ClassVar[str | None] = None  # packages generated before it: None
    SCHEMAS: ClassVar[Mapping[type[Any], EntitySchema[Any]]]
    INDEX_KEYS: ClassVar[Mapping[str | None, tuple[str, str]]]
    TABLE_DEFINITION: ClassVar[Mapping[str, Any]]
    TTL_ATTRIBUTE: ClassVar[str | None] = None

    def __init__(
        self,
        client: Any = None,
        table_name: str | None = None,
        *,
        cursor_key: str | bytes | Sequence[str | bytes] | None = None,
        cursor_max_age: timedelta | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        name = table_name or self.default_table_name()
        self._table = Table(
            client=client if client is not None else shared_client(),
            name=name,
            retry=retry or RetryPolicy(),
            signer=CursorSigner(cursor_key, table=name, max_age=cursor_max_age, clock=clock),
            index_keys=self.INDEX_KEYS,
            ttl_attribute=self.TTL_ATTRIBUTE,
            clock=clock,
        )

    @classmethod
    def default_table_name(cls) -> str:
        """The table name when none is passed: the `TABLE_NAME_VARIABLE` environment variable
        when set and not empty, else the spec's name. The variable is named after the
        package, so two generated packages in one function never read each other's."""
        if cls.TABLE_NAME_VARIABLE:
            value = os.environ.get(cls.TABLE_NAME_VARIABLE, "")
            if value:
                return value
        return cls.TABLE_NAME

    @property
    def table_name(self) -> str:
        return self._table.name

    @property
    def table(self) -> Table:
        """The table this repository reads and writes (name, client, retry policy, key
        layout): what runtime helpers such as the copies handler work on."""
        return self._table

    def create_table(self) -> None:
        """Create the table with its designed keys and indexes; wait until it is active."""
        from dynamodel.runtime.admin import create_table

        create_table(self._table, dict(self.TABLE_DEFINITION), ttl_attribute=self.TTL_ATTRIBUTE)

    def batch_get(
        self,
        entity: type[M],
        ids: Sequence[Mapping[str, Any]],
        *,
        consistent: bool = False,
    ) -> list[M | None]:
        """Read many items of one entity by id (BatchGetItem, 100 keys a request); None where
        an item does not exist. Aggregate roots come without members. Raises
        BatchIncompleteError with the keys DynamoDB kept leaving unprocessed."""
        from dynamodel.runtime.batch import batch_get

        schema = self.SCHEMAS[entity]
        requests = [(schema, schema.key(**dict(id_values))) for id_values in ids]
        return batch_get(self._table, requests, consistent=consistent)

    def batch_write(
        self, *, put: Sequence[BaseModel] = (), delete: Sequence[BaseModel] = ()
    ) -> None:
        """Put and delete items without conditions (BatchWriteItem, 25 a request), for
        entities with no version, unique values or members, that count in no parent and hold
        no counter (`counts:`): those need the checks of save_* and delete_*. Raises
        BatchIncompleteError with what stayed unprocessed."""
        from dynamodel.runtime.batch import batch_write

        for obj in [*put, *delete]:
            schema = self.SCHEMAS[type(obj)]
            if (
                schema.versioned
                or schema.unique
                or schema.members
                or schema.counts
                or schema.counters
            ):
                raise ValueError(
                    f"{schema.name} needs conditional writes: use save/delete, not batch_write"
                )
        puts = [self.SCHEMAS[type(obj)].to_item(obj) for obj in put]
        deletes = [self.SCHEMAS[type(obj)].table_key(obj) for obj in delete]
        batch_write(self._table, puts=puts, deletes=deletes)

    def increment(self, entity: type[M], id: Mapping[str, Any], /, **amounts: counters.Amount) -> M:
        """Add to number attributes of one item, atomically (UpdateItem): for example
        `repo.increment(SiteAlertCount, {"site_id": "s1"}, open_alerts=-1)`. A missing item is
        created from the entity's defaults; returns the item after the change. Not idempotent
        (never resent after a lost response): see `apply_once`, and
        `dynamodel.runtime.counters` for the entities a counter may live in."""
        from dynamodel.runtime import counters

        return counters.increment(self._table, self._counter_schema(entity), id, amounts)

    def apply_once(
        self,
        token: str,
        *,
        consumer: str,
        increments: Sequence[counters.Increment],
        expires_in: timedelta | None = DEFAULT_MARKER_LIFETIME,
    ) -> bool:
        """Apply `increments` in one transaction with a marker of (`consumer`, `token`), unless
        the marker exists: True when this call applied them, False when an earlier delivery
        did (nothing is changed). For stream consumers: the token is the record's eventID,
        and the consumer name keeps two consumers of one stream apart. The marker expires
        through the table's TTL attribute after `expires_in` (past the stream's 24 hours)."""
        from dynamodel.runtime import counters

        resolved = [
            (self._counter_schema(change.entity), change.id, change.add) for change in increments
        ]
        return counters.apply_once(
            self._table,
            token,
            consumer=consumer,
            increments=resolved,
            ttl_attribute=self.TTL_ATTRIBUTE,
            expires_in=expires_in,
        )

    def _counter_schema(self, entity: type[M]) -> EntitySchema[M]:
        from dynamodel.runtime import counters

        schema = self.SCHEMAS[entity]
        member = any(m.schema is schema for s in self.SCHEMAS.values() for m in s.members)
        counters.check_counter_entity(schema, member=member)
        return schema

    def migrate_items(
        self,
        entity: type[BaseModel],
        *,
        stale_attributes: Collection[str] = (),
        guards: bool = False,
        cursor: str | None = None,
        page_size: int = 100,
        max_pages: int | None = None,
        on_page: Callable[[MigrationReport], None] | None = None,
        segment: int | None = None,
        total_segments: int | None = None,
        max_units_per_second: float | None = None,
    ) -> MigrationReport:
        """Rewrite the stored items of `entity` to the keys this design gives them; see
        `dynamodel.runtime.migrate` (generated `migrations.py` calls this). With `segment` /
        `total_segments`, one segment of a parallel scan; `max_units_per_second` holds the run
        to a capacity budget."""
        from dynamodel.runtime.migrate import migrate_entity  # not on the request path

        key_attributes = {name for pair in self.INDEX_KEYS.values() for name in pair}
        return migrate_entity(
            self._table,
            self.SCHEMAS[entity],
            key_attributes=key_attributes,
            stale_attributes=stale_attributes,
            guards=guards,
            cursor=cursor,
            page_size=page_size,
            max_pages=max_pages,
            on_page=on_page,
            segment=segment,
            total_segments=total_segments,
            max_units_per_second=max_units_per_second,
        )

    def migrate_counter(
        self,
        parent: type[M],
        attribute: str,
        children: Mapping[type[BaseModel], Callable[[M], ChildQuery]],
        *,
        cursor: str | None = None,
        page_size: int = 100,
        max_pages: int | None = None,
        on_page: Callable[[MigrationReport], None] | None = None,
        segment: int | None = None,
        total_segments: int | None = None,
        max_units_per_second: float | None = None,
    ) -> MigrationReport:
        """Backfill a counter: set `attribute` of every stored `parent` item to its number of
        stored children, the items of the `children` entities (each mapped to where a
        parent's items of it are) whose `counts:` names this counter. See
        `dynamodel.runtime.migrate.counted` (generated `backfill_<parent>_<counter>()` calls
        this; named `migrate_*` as the spec reserves that prefix); the options are those of
        `migrate_items`."""
        from dynamodel.runtime.migrate import CountedChildren, backfill_counter

        schema = self.SCHEMAS[parent]
        counted = []
        for child, where in children.items():
            child_schema = self.SCHEMAS[child]
            [counter] = [
                c
                for c in child_schema.counts
                if (c.parent, c.attribute) == (schema.name, attribute)
            ]
            counted.append(CountedChildren(schema=child_schema, counter=counter, where=where))
        return backfill_counter(
            self._table,
            schema,
            attribute,
            counted,
            cursor=cursor,
            page_size=page_size,
            max_pages=max_pages,
            on_page=on_page,
            segment=segment,
            total_segments=total_segments,
            max_units_per_second=max_units_per_second,
        )

    def migrate_copies(
        self,
        holder: type[M],
        source: str,
        *,
        cursor: str | None = None,
        page_size: int = 100,
        max_pages: int | None = None,
        on_page: Callable[[MigrationReport], None] | None = None,
        segment: int | None = None,
        total_segments: int | None = None,
        max_units_per_second: float | None = None,
    ) -> MigrationReport:
        """Backfill copies: fill every stored `holder` item's copies of the entity `source`
        from the source as stored (`copy_of`). See `dynamodel.runtime.migrate.copies`
        (generated `backfill_<holder>_copies_of_<source>()` calls this); safe beside the
        stream handler, and a second run changes nothing. The options are those of
        `migrate_items`."""
        from dynamodel.runtime.migrate import backfill_copies

        schema = self.SCHEMAS[holder]
        [copy] = [c for c in schema.copies if c.source == source]
        return backfill_copies(
            self._table,
            schema,
            copy,
            cursor=cursor,
            page_size=page_size,
            max_pages=max_pages,
            on_page=on_page,
            segment=segment,
            total_segments=total_segments,
            max_units_per_second=max_units_per_second,
        )
