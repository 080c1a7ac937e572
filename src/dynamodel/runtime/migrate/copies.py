"""Backfilling denormalized copies (spec 1.1 `copy_of`): every stored holder's copies of one
source filled from the source as it is stored (`backfill_<holder>_copies_of_<source>()`).

The holders are scanned (one segment of a parallel scan each, if asked); for each one that
names a source, the source is read strongly consistently and the holder updated exactly as
the stream handler updates it (`runtime/copies.bring_up`): its copies and stamp set under the
condition that it holds an older stamp (or none) and still names that source. So it runs
safely beside the handler and beside writes of holders and sources: whichever writes the
newer state of a source wins, and a second run changes nothing. Holders written by the code
of the previous spec carry no stamp; holders whose source does not exist are left as they
are and named in `conflicts`. It also repairs holders that a handler missed (a holder found
through a GSI just before it held the new item): run it any time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from dynamodel.runtime.copies import bring_up
from dynamodel.runtime.migrate.report import MigrationReport, conflict
from dynamodel.runtime.migrate.scan import (
    Budget,
    Phase,
    check_options,
    run_phases,
    type_match,
    write_units,
)
from dynamodel.runtime.schema import CopySpec, EntitySchema, Item
from dynamodel.runtime.sizes import item_size
from dynamodel.runtime.table import Table


def backfill_copies(
    table: Table,
    schema: EntitySchema[Any],
    copy: CopySpec,
    *,
    cursor: str | None = None,
    page_size: int = 100,
    max_pages: int | None = None,
    on_page: Callable[[MigrationReport], None] | None = None,
    segment: int | None = None,
    total_segments: int | None = None,
    max_units_per_second: float | None = None,
) -> MigrationReport:
    """Fill every stored `schema` holder's copies of `copy.source` (see the module docstring)."""
    part = check_options(page_size, segment, total_segments, max_units_per_second)
    budget = Budget(max_units_per_second)

    def handle(stored: Item, report: MigrationReport, budget: Budget) -> MigrationReport:
        report = replace(report, scanned=report.scanned + 1)
        key = {"PK": stored["PK"], "SK": stored["SK"]}
        try:
            holder = schema.from_item(stored)
        except (KeyError, ValueError, TypeError) as error:
            return conflict(report, key, f"cannot be read with the current models ({error!r})")
        source_key = copy.source_key(holder)
        if source_key is None:  # it names no source: nothing to copy
            return replace(report, unchanged=report.unchanged + 1)
        source = table.get_item(source_key, consistent=True)
        budget.spend(max(1.0, item_size(source or {}) / 4096))
        if source is None or table.expired(source):
            return conflict(report, key, f"its {copy.source} does not exist: left as it is")
        if not bring_up(table, schema, copy, holder, source):
            return replace(report, unchanged=report.unchanged + 1)
        budget.spend(write_units(stored))
        return replace(report, rewritten=report.rewritten + 1)

    phases = [Phase(name=schema.name, match=type_match(schema.name), handle=handle)]
    return run_phases(
        table,
        MigrationReport(entity=schema.name),
        phases,
        cursor=cursor,
        page_size=page_size,
        max_pages=max_pages,
        on_page=on_page,
        part=part,
        budget=budget,
    )
