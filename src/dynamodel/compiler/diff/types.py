"""The records of a schema diff (see `compiler/diff/__init__.py`): changes, their severity, the whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dynamodel.compiler.names import snake_case

Severity = Literal["safe", "deploy", "migrate", "destroy"]
SEVERITIES: tuple[Severity, ...] = ("safe", "deploy", "migrate", "destroy")
SEVERITY_TITLES: dict[Severity, str] = {
    "safe": "safe",
    "deploy": "needs a deployment step",
    "migrate": "needs a data migration",
    "destroy": "destroys data",
}


@dataclass(frozen=True)
class Backfill:
    """A generated `backfill_<entity>_<attribute>()`: an attribute of every stored item of
    `entity` filled from other stored items (`sources`)."""

    # a counter counts its children (`counts:`); a copy holds a source's values (`copy_of`)
    kind: Literal["counter", "copy"]
    entity: str  # the entity whose stored items it writes
    attribute: str  # the attribute it fills
    sources: tuple[str, ...]  # the entities whose items it reads, in the spec's order

    @property
    def function(self) -> str:
        if self.kind == "copy":  # all of a holder's copies of one source, in one backfill
            return f"backfill_{snake_case(self.entity)}_copies_of_{snake_case(self.sources[0])}"
        return f"backfill_{snake_case(self.entity)}_{self.attribute}"


@dataclass(frozen=True)
class Change:
    severity: Severity
    subject: str  # what changed: "table", "index GSI2", "entity Ticket", "pattern get_ticket"
    summary: str  # one plain sentence: what changed and what it means
    # The entity whose stored items a generated `migrate_<entity>()` rewrites, if any.
    migrates: str | None = None
    guards: bool = False  # the entity's unique guard items change (moved, added or removed)
    # The generated backfill that handles it, if any.
    backfill: Backfill | None = None

    @property
    def migration(self) -> str | None:
        """The generated function that handles this change, if any."""
        if self.backfill is not None:
            return self.backfill.function
        return f"migrate_{snake_case(self.migrates)}" if self.migrates else None


@dataclass(frozen=True)
class SchemaDiff:
    changes: tuple[Change, ...]
    indexes_added: tuple[str, ...]
    indexes_removed: tuple[str, ...]
    migrated_entities: tuple[str, ...]  # in the old design's order: members after their root
    # Run after every migrate_<entity>(): they read the items at their new keys.
    backfills: tuple[Backfill, ...] = ()

    @property
    def migrations(self) -> tuple[str, ...]:
        """Every generated function, in the order to run them."""
        items = tuple(f"migrate_{snake_case(e)}" for e in self.migrated_entities)
        return items + tuple(b.function for b in self.backfills)

    @property
    def severity(self) -> Severity:
        return max((c.severity for c in self.changes), key=SEVERITIES.index, default="safe")

    @property
    def safe(self) -> bool:
        return self.severity == "safe"
