"""The records of a schema diff (see `compiler/diff/__init__.py`): changes, their severity, the whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["safe", "deploy", "migrate", "destroy"]
SEVERITIES: tuple[Severity, ...] = ("safe", "deploy", "migrate", "destroy")
SEVERITY_TITLES: dict[Severity, str] = {
    "safe": "safe",
    "deploy": "needs a deployment step",
    "migrate": "needs a data migration",
    "destroy": "destroys data",
}


@dataclass(frozen=True)
class Change:
    severity: Severity
    subject: str  # what changed: "table", "index GSI2", "entity Ticket", "pattern get_ticket"
    summary: str  # one plain sentence: what changed and what it means
    # The entity whose stored items a generated `migrate_<entity>()` rewrites, if any.
    migrates: str | None = None
    guards: bool = False  # the entity's unique guard items change (moved, added or removed)


@dataclass(frozen=True)
class SchemaDiff:
    changes: tuple[Change, ...]
    indexes_added: tuple[str, ...]
    indexes_removed: tuple[str, ...]
    migrated_entities: tuple[str, ...]  # in the old design's order: members after their root

    @property
    def severity(self) -> Severity:
        return max((c.severity for c in self.changes), key=SEVERITIES.index, default="safe")

    @property
    def safe(self) -> bool:
        return self.severity == "safe"
