"""Counted relationships in the samples (spec 1.1 `counts: [Repo.star_count]`).

A counting record (a `Star`) is created only when its parent (its `Repo`) exists, and its
create adds 1 to the parent's counter. So the samples:

* write every parent before the entities that count in it (`write_order`);
* give each counting record the key values of one of its parent's records (two children per
  parent, then the next: some parents are counted several times, the last ones not at all);
* create parents with the counter at its starting value (its `default`, else 0:
  `starting_value`), as a new parent holds it, and drop a child whose parent was not written;
* predict the parent's stored item with the counter raised once per child written
  (`Counted`), which is what the table holds after the creates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.samples.items import Item, identity_key, render_key
from dynamodel.compiler.spec.model import Attribute, Entity, Spec
from dynamodel.runtime import keys
from dynamodel.runtime.errors import InvalidKeyValueError

Record = dict[str, Any]


def write_order(spec: Spec, entities: list[Entity]) -> list[Entity]:
    """`entities` in the spec's order, except that each comes after the parents it counts in
    and the sources it copies from (a cycle keeps the spec's order where it closes)."""
    wanted = {e.name for e in entities}
    ordered: list[Entity] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(entity: Entity) -> None:
        if entity.name in placed or entity.name in visiting:
            return
        visiting.add(entity.name)
        needed = [p.name for p, _ in entity.counts] + [s for s, _ in spec.copies_in(entity)]
        for name in needed:
            parent = spec.entity(name)
            if parent is not None and parent.name in wanted:
                place(parent)
        visiting.discard(entity.name)
        placed.add(entity.name)
        ordered.append(entity)

    for entity in entities:
        place(entity)
    return ordered


def counter_names(spec: Spec) -> dict[str, frozenset[str]]:
    """Per entity, its attributes that other entities count in (one pass over the spec)."""
    found: dict[str, set[str]] = {}
    for child in spec.entities:
        for parent, counter in child.counts:
            found.setdefault(parent.name, set()).add(counter.name)
    return {name: frozenset(counters) for name, counters in found.items()}


def starting_value(attribute: Attribute) -> int:
    """What a new parent's counter holds: its default, else 0."""
    default = attribute.default if attribute.has_default else 0
    return default if isinstance(default, int) and not isinstance(default, bool) else 0


def link_to_parents(
    spec: Spec, entity: Entity, i: int, record: Record, records: Mapping[str, list[Record]]
) -> frozenset[str]:
    """Give record `i` of a counting entity the key values of a record of each parent it counts
    in (one that agrees with the values another parent gave already); return the attributes so
    fixed, which must not be moved to make ids distinct."""
    fixed: dict[str, Any] = {}
    for parent_ref, _ in entity.counts:
        parent = spec.entity(parent_ref.name)
        if parent is None:
            continue
        candidates = [
            r
            for r in records.get(parent.name, [])
            if all(r.get(n) == fixed[n] for n in parent.key_names if n in fixed)
        ]
        if not candidates:
            continue  # no parent to count in: the record is dropped when items are made
        chosen = candidates[(i // 2) % len(candidates)]
        for name in parent.key_names:
            record[name] = fixed[name] = chosen[name]
    return frozenset(fixed)


class Counted:
    """The stored items of counted parents, by table key, raised once per child written."""

    def __init__(self, design: Design) -> None:
        self.design = design
        self.spec = design.spec
        self.parents = {parent.name for e in self.spec.entities for parent, _ in e.counts}
        self.items: dict[tuple[str, str], Item] = {}

    def register(self, entity: str, item: Mapping[str, Mapping[str, Any]]) -> None:
        """Remember a written item of an entity other entities count in (one of the builder's
        own dicts, raised in place until the samples are handed out)."""
        if entity in self.parents:
            key = (item[self.design.partition_key]["S"], item[self.design.sort_key]["S"])
            self.items[key] = cast(Item, item)

    def parent_items(self, entity: Entity, record: Record) -> list[tuple[Item, str]] | None:
        """(the parent's item, its counter) for every `counts:` of the record, or None when a
        parent was not written (the create would be refused: `NotFoundError`)."""
        found = []
        for parent_ref, counter_ref in entity.counts:
            parent = self.spec.entity(parent_ref.name)
            if parent is None:
                return None
            item = self.items.get(self._table_key(parent, record) or ("", ""))
            if item is None:
                return None
            found.append((item, counter_ref.name))
        return found

    @staticmethod
    def count(parents: list[tuple[Item, str]]) -> None:
        """A child was written: each parent's counter goes up by 1."""
        for item, counter in parents:
            item[counter] = {"N": str(int(item[counter]["N"]) + 1)}

    def _table_key(self, parent: Entity, record: Record) -> tuple[str, str] | None:
        return source_table_key(self.design, parent, record)


def source_table_key(design: Design, parent: Entity, record: Record) -> tuple[str, str] | None:
    """The table key of `parent`'s item (a counted parent, a copy source), built from
    another record's values of its key attributes; None when one is None or unencodable."""
    if any(record.get(name) is None for name in parent.key_names):
        return None
    key = design.entity(parent.name).table_key
    try:
        shard = None
        if key.shards:
            shard = keys.shard_of(identity_key(parent, record), shards=key.shards)
        return (
            render_key(key.partition, record, shard=shard),
            render_key(key.sort, record, shard=shard),
        )
    except InvalidKeyValueError:
        return None
