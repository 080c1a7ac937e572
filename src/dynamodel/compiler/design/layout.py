"""Key layouts under construction: what an entity's key in one index must look like.

A `Layout` is the abstract shape (partition attributes, ordered sort attributes, sparse
conditions); `merge` decides whether two needs can share one physical key, which is how
patterns reuse an index slot and how the design keeps the GSI count low.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from dynamodel.compiler.spec.model import Entity, Presence


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
        if self.head_prefix is not None and set(entity.id_names) <= taken:
            return ()  # a view's single item: its id is in the partition already
        return tuple(a for a in entity.key_names if a not in taken)


def _prefix_merge(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...] | None:
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return longer if longer[: len(shorter)] == shorter else None


def fixed_parts(
    coarse: tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, object], ...]],
    fine_partition: tuple[str, ...],
    fine_where: tuple[tuple[str, object], ...],
) -> int | None:
    """How many leading sort parts of a coarser key (partition, sort, where) a finer need
    fixes by equality, or None when the coarser key cannot serve it.

    A key partitioned by P and sorted by [s1, s2, ...] serves a need partitioned by P + {s1}
    (or selecting `where: {s1: value}`) with `begins_with(SK, "s1#")`: the parts of `by` and
    `where` the coarse partition lacks must be exactly the leading parts of its sort.
    """
    partition, sort, where = coarse
    if not set(partition) <= set(fine_partition) or not set(where) <= set(fine_where):
        return None
    extra = set(fine_partition) - set(partition)
    selected = set(fine_where) - set(where)
    if any(isinstance(value, Presence) for _, value in selected):
        return None  # presence is no sort part: only a sparse key selects on it
    extra |= {attribute for attribute, _ in selected}
    if extra & set(partition) or set(sort[: len(extra)]) != extra:
        return None
    return len(extra)


def merge(
    existing: Layout, wanted: Layout, *, optional: frozenset[str] = frozenset()
) -> Layout | None:
    """The one layout serving both, or None when they cannot share a key.

    Two needs share a key when their partitions and sparse conditions are equal and one sort
    is a prefix of the other, or when one need's extra `by`/`where` attributes are the other
    key's leading sort parts (or can be made so): the coarser partition then serves both.
    `optional` names the entity's optional attributes: extending a key's sort by one would
    drop the items that lack it from the index, which the shorter need still wants.
    """
    if existing.shards != wanted.shards:
        return None
    if set(existing.partition) == set(wanted.partition) and set(existing.where) == set(
        wanted.where
    ):
        return _merge_sorts(existing, wanted, optional=optional)
    if existing.shards:
        return None  # write-sharded partitions take no fixed sort parts
    for coarse, fine in ((existing, wanted), (wanted, existing)):
        if fine.group is not None or coarse.head_prefix is not None:
            continue  # a view keeps its partition; a view's single item has no sort parts
        served = _sort_serving_both(coarse, fine)
        if served is None:
            continue
        sort, fixed = served
        # Each need's items lacking an attribute its own parts do not hold would drop out.
        if any(a in optional for a in sort[min(len(coarse.sort), fixed + len(fine.sort)) :]):
            return None
        return replace(
            coarse,
            sort=sort,
            patterns=existing.patterns
            + tuple(p for p in wanted.patterns if p not in existing.patterns),
        )
    return None


def _sort_serving_both(coarse: Layout, fine: Layout) -> tuple[tuple[str, ...], int] | None:
    """The sort of a key partitioned like `coarse` that serves both needs, and how many of its
    leading parts `fine` fixes; None when there is none.

    The parts `fine` fixes (its extra `by` and `where` attributes) must lead the sort, and
    `coarse`'s own sort must lead it too: when `coarse` sorts by fewer parts than `fine`
    fixes, its sort is extended by the rest of them (in `fine`'s order).
    """
    if not set(coarse.partition) <= set(fine.partition) or not set(coarse.where) <= set(fine.where):
        return None
    extra = [a for a in fine.partition if a not in coarse.partition]
    selected = [(a, value) for a, value in fine.where if (a, value) not in coarse.where]
    if any(isinstance(value, Presence) for _, value in selected):
        return None  # presence is no sort part: only a sparse key selects on it
    extra += [a for a, _ in selected]
    if set(extra) & set(coarse.partition) or len(set(extra)) != len(extra):
        return None
    count = len(extra)
    if len(coarse.sort) >= count:
        if set(coarse.sort[:count]) != set(extra):
            return None
        rest = _prefix_merge(coarse.sort[count:], fine.sort)
        return None if rest is None else (coarse.sort[:count] + rest, count)
    if not set(coarse.sort) <= set(extra) or set(fine.sort) & set(extra):
        return None
    lead = coarse.sort + tuple(a for a in extra if a not in coarse.sort)
    return lead + fine.sort, count


def _merge_sorts(existing: Layout, wanted: Layout, *, optional: frozenset[str]) -> Layout | None:
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
