"""What a migration or backfill run did (`MigrationReport`), and the helpers every kind uses
to record an item it leaves as it is."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from dynamodel.runtime.errors import DynamodelError
from dynamodel.runtime.schema import Item
from dynamodel.runtime.writes import key_text


@dataclass(frozen=True, kw_only=True)
class MigrationReport:
    """What one run did. `cursor` is None once every phase is complete; pass it back to
    resume an interrupted or page-limited run.

    For a rewrite of an entity's items (`migrate_<entity>()`), `scanned` counts its items
    read and `rewritten` those written anew. For a counter backfill
    (`backfill_<entity>_<counter>()`), `entity` is the parent: `scanned` counts parents
    read, `rewritten` those whose counter changed, `counted` the children counted, and
    `recounted` the counts redone because a child was written while it was counted."""

    entity: str
    scanned: int = 0  # items of the entity read
    rewritten: int = 0  # items written at new keys or with new index keys, guards or values
    unchanged: int = 0
    guards_removed: int = 0
    counted: int = 0  # a backfill's children counted (in the counts it settled)
    recounted: int = 0  # a backfill's counts redone: a child was written meanwhile
    conflicts: tuple[str, ...] = ()  # items left as they are, and why
    cursor: str | None = None
    units: float = 0.0  # capacity units used: the reads' as reported, the writes' estimated

    @property
    def complete(self) -> bool:
        return self.cursor is None


class Skipped(DynamodelError):
    """An item a run leaves as it is (recorded in the report, not raised)."""


def skip(message: str) -> Callable[[Mapping[str, Any]], DynamodelError]:
    """An `on_condition_failed` factory: the write's condition failed, the item is skipped."""

    def factory(reason: Mapping[str, Any]) -> DynamodelError:
        return Skipped(message)

    return factory


def conflict(report: MigrationReport, key: Item | None, message: str) -> MigrationReport:
    """`report` with one more item left as it is, named by its key when given."""
    text = f"{report.entity} at {key_text(key)}: {message}" if key is not None else message
    return replace(report, conflicts=(*report.conflicts, text))
