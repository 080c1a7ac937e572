"""How sample records are made (see `dynamodel.compiler.samples` for what they are).

`SampleBuilder` generates each entity's records (roots first, then their members, which take
their parent's id attributes; counted parents and copy sources before the entities that count
in them or copy from them, see `counted.py` and `copies.py`), keeps ids and unique values
distinct, turns each aggregate into its items (`items.py`) and drops records whose keys cannot
be encoded, with their members, and counting or copying records whose parent or source was
not written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.samples.copies import Copied, link_to_sources
from dynamodel.compiler.samples.counted import (
    Counted,
    counter_names,
    link_to_parents,
    starting_value,
    write_order,
)
from dynamodel.compiler.samples.items import (
    Item,
    SampleItem,
    entity_item,
    guard_items,
)
from dynamodel.compiler.samples.spec_facts import (
    identity_owners,
    occurrences,
    where_constants,
)
from dynamodel.compiler.samples.values import (
    POOLED_TYPES,
    REFERENCE_TYPES,
    SHARED_POOL_SIZE,
    SeededLater,
    ttl_instant,
    value_of,
)
from dynamodel.compiler.spec.model import Attribute, Derivation, Entity, Spec
from dynamodel.runtime import derive
from dynamodel.runtime.errors import InvalidKeyValueError

Record = dict[str, Any]


@dataclass
class BuiltSamples:
    records: dict[str, list[Record]]  # every entity, in the spec's order
    parents: dict[str, list[int]]  # per member entity: each record's parent record
    items: list[SampleItem]
    top_level: list[str]


class SampleBuilder:
    def __init__(self, design: Design, per_entity: int, seed: int) -> None:
        self.design = design
        self.spec: Spec = design.spec
        self.count = per_entity
        self.seed = seed
        self.records: dict[str, list[Record]] = {}
        self.parents: dict[str, list[int]] = {}
        self.owners = identity_owners(self.spec)
        self.occurrences = occurrences(self.spec)
        self.where = where_constants(design)
        self.counters = counter_names(self.spec)  # attributes other entities count in
        # `_pool`'s answer depends only on the entity and attribute: computed once each, since
        # building a pool means drawing up to `per_entity` values.
        self._pools: dict[tuple[str, str], list[Any] | None] = {}
        self._pooled_id_names: dict[str, list[str]] = {}
        self.key_names = {
            name
            for entity_design in design.entities
            for key in entity_design.keys
            for name in (*key.partition_attributes, *key.sort_attributes, *key.tiebreak_attributes)
        }

    def build(self) -> BuiltSamples:
        top_level = [e for e in self.spec.entities if self.spec.root_of(e.name) is None]
        top_level = write_order(self.spec, top_level)
        for entity in top_level:
            self._generate(entity, parent=None)
        items: list[SampleItem] = []
        counted = Counted(self.design)
        copied = Copied(self.design, self.seed)
        for entity in top_level:
            kept: list[int] = []
            for index, record in enumerate(self.records[entity.name]):
                parents = counted.parent_items(entity, record) if entity.counts else []
                written = None if parents is None else self._aggregate_items(entity, index, record)
                if written is None or parents is None:
                    continue
                root_item = written[0].item
                assert isinstance(root_item, dict)
                if not copied.fill(entity, record, root_item):
                    continue  # a source it names was not written: its create is refused
                copied.register(entity, len(kept), root_item)
                kept.append(index)
                items.extend(written)
                counted.count(parents)
                for sample in written:
                    if not sample.guard:
                        counted.register(sample.entity, sample.item)
            self._keep(entity, kept)
        return BuiltSamples(
            records={e.name: self.records.get(e.name, []) for e in self.spec.entities},
            parents=self.parents,
            items=items,
            top_level=[e.name for e in top_level],
        )

    # --- records ---

    def _generate(self, entity: Entity, parent: Entity | None) -> None:
        if entity.name in self.records:
            return  # a cycle of members (reported by the checker) or a repeated member
        records: list[Record] = []
        parents: list[int] = []
        parent_records = self.records.get(parent.name, []) if parent else []
        seen: set[tuple[Any, ...]] = set()
        for i in range(self.count):
            parent_index: int | None = None
            parent_record: Record | None = None
            if parent is not None:
                if not parent_records:
                    break
                # Two members per parent record, then the next: some aggregates hold several
                # members, the last ones none.
                parent_index = (i // 2) % len(parent_records)
                parent_record = parent_records[parent_index]
            record = self._record(entity, i, parent_record)
            fixed = link_to_parents(self.spec, entity, i, record, self.records)
            fixed = link_to_sources(self.spec, entity, i, record, self.records, fixed)
            self._derive(entity, record)
            if not self._distinct(entity, i, record, seen, fixed):
                continue
            records.append(record)
            if parent_index is not None:
                parents.append(parent_index)
        self.records[entity.name] = records
        if parent is not None:
            self.parents[entity.name] = parents
        for member in entity.members:
            child = self.spec.entity(member.entity.name)
            if child is not None:
                self._generate(child, entity)

    def _record(self, entity: Entity, i: int, parent: Record | None) -> Record:
        inherited = set(parent) & set(entity.id_names) if parent is not None else set()
        optional_position = 0
        counters = self.counters.get(entity.name, frozenset())
        record: Record = {}
        for attribute in entity.attributes:
            name = attribute.name
            if parent is not None and name in inherited:
                record[name] = parent[name]
                continue
            if name in counters:  # a new parent's: its children's creates raise it
                record[name] = starting_value(attribute)
                continue
            if attribute.optional:
                absent = (i + optional_position) % 3 == 2
                optional_position += 1
                if absent:
                    record[name] = None
                    continue
            record[name] = self._value(entity, attribute, i)
        return record

    @staticmethod
    def _derive(entity: Entity, record: Record) -> None:
        """Derived attributes, as the model computes them from their sources."""
        for attribute in entity.attributes:
            if attribute.derived is not None:
                record[attribute.name] = derived_value(attribute.derived, record)

    def _value(self, entity: Entity, attribute: Attribute, i: int) -> Any:
        name, base = attribute.name, attribute.type.base
        if attribute.enum:
            constants = [c for c in self.where.get((entity.name, name), []) if c in attribute.enum]
            start = attribute.enum.index(constants[0]) if constants else 0
            return attribute.enum[(start + i) % len(attribute.enum)]
        id_position = entity.id_names.index(name) if name in entity.id_names else None
        constants = self.where.get((entity.name, name), [])
        if constants and id_position is None and not self._is_unique(entity, name):
            if i % 2 == 0:
                return constants[(i // 2) % len(constants)]
            if base == "bool":
                return not constants[0]
            value = self._natural(entity, attribute, i)
            return value if value not in constants else self._natural(entity, attribute, i + 1)
        pool = self._pool(entity, attribute)
        if pool is not None:
            pooled_ids = self._pooled_ids(entity)
            # Concentrated on a few values, so partitions and views hold several items; but a
            # second reference in the id, or an id that is nothing but this reference (one
            # counter per site), is spread out, so that ids stay distinct.
            whole_id = id_position is not None and len(entity.id_names) == 1
            if whole_id or (id_position is not None and pooled_ids and pooled_ids[0] != name):
                return pool[i % len(pool)]
            return pool[(i // 2) % min(len(pool), SHARED_POOL_SIZE)]
        return self._natural(entity, attribute, i)

    def _pool(self, entity: Entity, attribute: Attribute) -> list[Any] | None:
        """The shared values of a referring or partitioning attribute, or None if the
        attribute's values are the entity's own (distinct per record)."""
        key = (entity.name, attribute.name)
        if key not in self._pools:
            self._pools[key] = self._new_pool(entity, attribute)
        return self._pools[key]

    def _pooled_ids(self, entity: Entity) -> list[str]:
        """The entity's id attributes that take pooled values (computed once per entity)."""
        found = self._pooled_id_names.get(entity.name)
        if found is None:
            found = [
                n for n in entity.id_names if (a := entity.attribute(n)) and self._pool(entity, a)
            ]
            self._pooled_id_names[entity.name] = found
        return found

    def _new_pool(self, entity: Entity, attribute: Attribute) -> list[Any] | None:
        name, base = attribute.name, attribute.type.base
        if base not in POOLED_TYPES or attribute.enum or self._is_unique(entity, name):
            return None
        owner = self.owners.get((name, attribute.type.render()))
        if owner is not None and owner.name == entity.name:
            return None
        ids = entity.id_names
        # Shared: a reference to another entity's identity, or a key attribute by one name
        # in several entities (`hardware` of devices and of firmware releases).
        shared = owner is not None or (name in self.key_names and self.occurrences.get(name, 0) > 1)
        partitions = any(
            name in key.partition_attributes
            for key in self.design.entity(entity.name).keys
            if key.index != "table" or name != ids[-1]
        )
        refers = name in ids[:-1] and base in REFERENCE_TYPES
        if not (shared or partitions or refers) or (name == ids[-1] and not shared):
            return None
        size = self.count if owner is not None else SHARED_POOL_SIZE
        source = owner or entity
        source_attribute = source.attribute(name) or attribute
        return [
            self._natural(source, source_attribute, j, pooled=True) for j in range(max(size, 1))
        ]

    def _is_unique(self, entity: Entity, name: str) -> bool:
        """Whether `name` must be distinct: the last attribute of one of its unique sets."""
        return any(composite and composite[-1].name == name for composite in entity.unique)

    def _distinct(
        self,
        entity: Entity,
        i: int,
        record: Record,
        seen: set[tuple[Any, ...]],
        fixed: frozenset[str] = frozenset(),
    ) -> bool:
        """Make the record's id and unique values differ from earlier records' by moving
        pooled values to fresh ones; False when a collision cannot be moved away (enums,
        booleans, values copied from the root or from a counted parent: `fixed`)."""
        root = self.spec.root_of(entity.name)
        inherited = set(fixed) | (set(root.id_names) if root is not None else set())
        composites = [tuple(entity.id_names)] + [tuple(r.name for r in c) for c in entity.unique]
        for attempt in range(len(composites) * 4 + 1):
            clash = next(
                (names for names in composites if self._clashes(names, record, seen)), None
            )
            if clash is None:
                break
            # A derived value moves with its source (a case-insensitive unique name).
            sources = dict.fromkeys(
                a.derived.source.name if (a := entity.attribute(n)) and a.derived else n
                for n in clash
            )
            movable = [
                n
                for n in sources
                if n not in inherited
                and (a := entity.attribute(n)) is not None
                and not a.enum
                and a.type.base in POOLED_TYPES
            ]
            if not movable or attempt == len(composites) * 4:
                return False
            name = movable[-1 - attempt % len(movable)]
            attribute = entity.attribute(name)
            assert attribute is not None
            fresh = self.count * (attempt + 1) + i
            record[name] = self._natural(entity, attribute, fresh, pooled=True)
            self._derive(entity, record)  # a unique derived value follows its moved source
        for names in composites:
            seen.add((names, tuple(record.get(n) for n in names)))
        return True

    @staticmethod
    def _clashes(names: tuple[str, ...], record: Record, seen: set[tuple[Any, ...]]) -> bool:
        values = tuple(record.get(n) for n in names)
        if any(v is None for v in values):
            return False  # an id is never None; a unique value that is None claims nothing
        return (names, values) in seen

    def _natural(
        self, entity: Entity, attribute: Attribute, i: int, *, pooled: bool = False
    ) -> Any:
        rng = SeededLater(f"{self.seed}/{entity.name}/{attribute.name}/{i}")
        position = 0
        if not pooled:  # a pooled value is the same in every entity that shares it
            position = entity.attribute_position(attribute.name)
        if attribute.ttl and attribute.type.base == "datetime":
            return ttl_instant(i, position)
        return value_of(
            attribute.type,
            attribute.name,
            entity.name,
            i,
            rng,
            position=position,
            is_id=pooled or attribute.name in entity.id_names,
        )

    # --- items ---

    def _aggregate_items(
        self, entity: Entity, index: int, record: Record
    ) -> list[SampleItem] | None:
        """The items of one record and its members, or None (and the record is dropped) when
        a key cannot be encoded; members that cannot be encoded are dropped alone."""
        entity_design = self.design.entity(entity.name)
        version = 1 if entity_design.versioned else 0
        try:
            root_item = entity_item(entity, entity_design, record, version=version)
            guards = guard_items(self.design, entity, entity_design, record, root_item)
        except InvalidKeyValueError:
            return None
        items = [SampleItem(entity=entity.name, guard=False, item=root_item)]
        items += self._member_items(entity, index, root_item)
        items += [SampleItem(entity=entity.name, guard=True, item=g) for g in guards]
        return items

    def _member_items(self, entity: Entity, index: int, root_item: Item) -> list[SampleItem]:
        items: list[SampleItem] = []
        for member in entity.members:
            child = self.spec.entity(member.entity.name)
            if child is None:
                continue
            child_design = self.design.entity(child.name)
            kept = []
            records = self.records.get(child.name, [])
            for position, parent in enumerate(self.parents.get(child.name, [])):
                if parent != index:
                    kept.append(position)
                    continue
                try:
                    item = entity_item(
                        child, child_design, records[position], version=0, root_item=root_item
                    )
                except InvalidKeyValueError:
                    continue
                kept.append(position)
                items.append(SampleItem(entity=child.name, guard=False, item=item))
                items += self._member_items(child, position, root_item)
            self._keep(child, kept)
        return items

    def _keep(self, entity: Entity, kept: list[int]) -> None:
        """Keep only the records at the positions `kept`; drop the members of the others and
        renumber the members' parents, all the way down."""
        records = self.records.get(entity.name, [])
        if len(kept) == len(records):
            return
        renumber = {old: new for new, old in enumerate(kept)}
        self.records[entity.name] = [records[k] for k in kept]
        if entity.name in self.parents:
            self.parents[entity.name] = [self.parents[entity.name][k] for k in kept]
        for member in entity.members:
            child = self.spec.entity(member.entity.name)
            if child is None or child.name not in self.parents:
                continue
            parents = self.parents[child.name]
            self.parents[child.name] = [renumber.get(p, -1) for p in parents]
            self._keep(child, [k for k, p in enumerate(parents) if p in renumber])


def derived_value(derivation: Derivation, record: Record) -> Any:
    """A derived attribute's value, computed by the runtime's own functions (the model's)."""
    source = record.get(derivation.source.name)
    if source is None:
        return None
    extra = () if derivation.length is None else (derivation.length,)
    return derive.BY_NAME[derivation.function](source, *extra)
