"""Key layouts under construction: what an entity's key in one index must look like.

A `Layout` is the abstract shape (partition attributes, ordered sort attributes, sparse
conditions); `merge` decides whether two needs can share one physical key, which is how
patterns reuse an index slot and how the design keeps the GSI count low.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from dynamodel.compiler.spec.model import Entity


@dataclass(frozen=True)
class Layout:
    """The shape of one entity's key in one index."""

    entity: str
    partition: tuple[str, ...]  # attribute names, in key order
    sort: tuple[str, ...] = ()  # attributes that order the partition, in key order
    where: tuple[tuple[str, object], ...] = ()
    shards: int | None = None
    head_prefix: str | None = None  # set when a view needs this entity's single item first
    group: frozenset[str] | None = None  # the entities a view puts into the same partitions
    group_tag: str | None = None
    tag_prefix: str = ""  # BEFORE_HEAD for a list that sorts before the partition's head
    patterns: tuple[str, ...] = ()

    def tiebreak(self, entity: Entity) -> tuple[str, ...]:
        taken = set(self.partition) | set(self.sort)
        return tuple(a for a in entity.id_names if a not in taken)


def _prefix_merge(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...] | None:
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return longer if longer[: len(shorter)] == shorter else None


def merge(
    existing: Layout, wanted: Layout, *, optional: frozenset[str] = frozenset()
) -> Layout | None:
    """The one layout serving both, or None when they cannot share a key.

    `optional` names the entity's optional attributes: extending a key's sort by one would
    drop the items that lack it from the index, which the shorter need still wants.
    """
    if set(existing.partition) != set(wanted.partition):
        return None
    if set(existing.where) != set(wanted.where) or existing.shards != wanted.shards:
        return None
    sort = _prefix_merge(existing.sort, wanted.sort)
    if sort is None:
        return None
    shorter = min(len(existing.sort), len(wanted.sort))
    if any(attribute in optional for attribute in sort[shorter:]):
        return None
    if wanted.group is not None and existing.group != wanted.group:
        return None  # a view's partitions hold exactly the view's entities
    if wanted.head_prefix is not None and existing.head_prefix not in (None, wanted.head_prefix):
        return None
    if existing.group is not None and sort != existing.sort and existing.head_prefix is not None:
        return None  # a view head has no sort part to extend
    return replace(
        existing,
        sort=sort,
        head_prefix=existing.head_prefix or wanted.head_prefix,
        patterns=existing.patterns
        + tuple(p for p in wanted.patterns if p not in existing.patterns),
    )
