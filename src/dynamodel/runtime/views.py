"""Reading a view: the single items and lists of one partition, bounded or whole.

The design puts a view's items in a partition that holds exactly them, with the single items
first in the view's order (head keys `#Entity`, or `~Entity` when the view reads descending),
so one Query returns them ahead of the list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dynamodel.runtime.errors import InvalidCursorError
from dynamodel.runtime.schema import (
    PRESENT,
    TYPE_ATTRIBUTE,
    Item,
    SortCondition,
    ViewPartSpec,
)

if TYPE_CHECKING:
    from dynamodel.runtime.table import Table


def read_view(
    table: Table,
    *,
    index: str | None,
    partition: str,
    parts: Sequence[ViewPartSpec],
    forward: bool,
    sort: SortCondition,
    pattern: str,
    arguments: Mapping[str, object],
    limit: int | None,
    cursor: str | None,
) -> dict[str, Any]:
    """A view's fields by name: the items `sort` selects in the partition (all of them, or
    from the view's head items onward when another view shares the partition).

    Without `limit`: the whole partition, following DynamoDB's 1 MB pages. With it (a view
    of exactly one list field): one Query that returns the single items and the first `limit`
    list items, and a `cursor` field that resumes the list after the last one. Later pages
    hold the next list items only: their single fields are None.
    """
    fields: dict[str, Any] = {p.field: [] if p.many else None for p in parts}
    if limit is None:
        if cursor:
            raise ValueError("a cursor continues a bounded view: pass `limit` too")
        whole = table.query_all(
            index=index, partition=partition, sort=sort, consistent=False, forward=forward
        )
        _fill(table, fields, parts, whole)
        return fields
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if sum(p.many for p in parts) != 1:
        raise ValueError("only a view with exactly one list field can be bounded by `limit`")
    start: Item | None = None
    if cursor:
        state = table.signer.decode(cursor, pattern=pattern, arguments=arguments)
        if not isinstance(state, dict):
            raise InvalidCursorError("the cursor was not made for this view")
        start = state
    # The single items take the first places of the first page; one item past the list's
    # `limit` tells whether another page follows, so the cursor is None on the last page.
    singles = 0 if start else sum(not p.many for p in parts)
    request = table.query_request(
        index, partition, sort, forward, singles + limit + 1, start, False
    )
    response = table.call(table.client.query, **request)
    items: list[Item] = response.get("Items", [])
    taken: list[Item] = []
    listed_count = 0
    next_start: Item | None = response.get("LastEvaluatedKey")
    for position, item in enumerate(items):
        taken.append(item)
        found = _part_of(parts, item)
        if found is not None and found[0].many:
            listed_count += 1
            if listed_count == limit:
                if position + 1 < len(items) or next_start:
                    next_start = table.start_key(index, item)
                break
    _fill(table, fields, parts, taken)
    fields["cursor"] = (
        table.signer.encode(pattern=pattern, arguments=arguments, state=next_start)
        if next_start
        else None
    )
    return fields


def _type_of(item: Item) -> str:
    type_value: str = item.get(TYPE_ATTRIBUTE, {}).get("S", "")
    return type_value


def _part_of(parts: Sequence[ViewPartSpec], item: Item) -> tuple[ViewPartSpec, Any] | None:
    """The field an item belongs to, by its entity and, for an entity in several fields (its
    roles), by the constants each role's items match; with the item decoded when that took
    decoding it (None otherwise)."""
    candidates = [part for part in parts if part.schema.name == _type_of(item)]
    if len(candidates) == 1 and not candidates[0].where:
        return candidates[0], None
    if not candidates:
        return None  # cannot happen with the designed keys: the partition is the view's
    value = candidates[0].schema.from_item(item)
    for part in candidates:
        if all(_matches(getattr(value, name), wanted) for name, wanted in part.where):
            return part, value
    return None  # a role's key is sparse by its `where`: every item read matches one


def _matches(value: object, wanted: object) -> bool:
    if wanted is PRESENT:
        return value is not None
    return value is None if wanted is None else value == wanted


def _fill(
    table: Table, fields: dict[str, Any], parts: Sequence[ViewPartSpec], items: Sequence[Item]
) -> None:
    """Put each live item in its field (expired items are read, counted, and dropped)."""
    for item in table.live(items):
        found = _part_of(parts, item)
        if found is None:
            continue
        part, value = found
        if value is None:
            value = part.schema.from_item(item)
        if part.many:
            fields[part.field].append(value)
        else:
            fields[part.field] = value
