"""How many items a read pattern returns, as the spec says it: checked by the check stage,
planned by the design stage."""

from __future__ import annotations

from dynamodel.compiler.spec.model import AccessPattern, Entity, Presence


def returns_one(entity: Entity, pattern: AccessPattern) -> bool:
    """`by` (with `where`) fixes an id or a unique attribute set: at most one item."""
    # A `where` constant fixes its attribute; a presence filter does not.
    by = set(pattern.by_names) | {
        ref.name for ref, value in pattern.where if not isinstance(value, Presence)
    }
    if entity.id_names and set(entity.id_names) <= by:
        return True
    return any({r.name for r in composite} <= by for composite in entity.unique)
