"""Rewriting stored items when a spec changes: what generated `migrations.py` runs
(`dynamodel diff`, `dynamodel generate --previous`).

One driver, one module per kind of rewrite:

- `scan.py`: the driver. A strongly consistent scan for one kind of item per phase, page by
  page, optionally one segment of a parallel scan (`segment=` / `total_segments=`), held to
  a capacity budget (`max_units_per_second=`), resumable from the cursor of its report (one
  per segment). Every kind runs on it, so each takes the same options.
- `report.py`: `MigrationReport`, what a run did, and how a kind records an item it leaves.
- `items.py`: `migrate_entity` (`migrate_<entity>()`): an entity's items rewritten to the
  keys, index keys, unique guards and derived values of the current design.
- `counted.py`: `backfill_counter` (`backfill_<parent>_<counter>()`): a new counted
  relationship's counters set to the number of stored children, exactly, while children
  are created and deleted.

- `copies.py`: `backfill_copies` (`backfill_<holder>_copies_of_<source>()`): a new copy's
  holders filled from their sources, safely beside the stream handler.

A new kind of backfill adds its own module next to these, built the same way: its phases and
a handler per item on `scan.run_phases`, its function exported here, a `Repository` method
that resolves the schemas, and a generated function that calls it.

Imported only by generated `migrations.py`, never on a Lambda's request path.
"""

from __future__ import annotations

from dynamodel.runtime.migrate.copies import backfill_copies
from dynamodel.runtime.migrate.counted import ChildQuery, CountedChildren, backfill_counter
from dynamodel.runtime.migrate.items import migrate_entity
from dynamodel.runtime.migrate.report import MigrationReport
from dynamodel.runtime.migrate.scan import MAX_SEGMENTS

__all__ = [
    "MAX_SEGMENTS",
    "ChildQuery",
    "CountedChildren",
    "MigrationReport",
    "backfill_copies",
    "backfill_counter",
    "migrate_entity",
]
