"""Sample data of a design: a few natural-looking records per entity, and exactly the items
the generated repository stores for them.

`sample_data(design)` is a pure function: the same design and seed always give the same data
(values come from fixed rules and a `random.Random` seeded per entity and attribute; no clock,
no process-salted hashing). The HTML report's item grids, the NoSQL Workbench export and
`dynamodel try` all show or write these samples.

How the values are chosen, so that the samples show what the design does:

* an attribute that refers to another entity's identity (`workspace_id` in `Membership` and
  `Ticket`), or that partitions one of the entity's indexes (`assignee_id`), is drawn from a
  small pool shared by every entity, mostly its first value: partitions hold several items,
  views have content, GSIs group items;
* the entity that owns an identity (`Workspace` for `workspace_id`) and every unique attribute
  get distinct values; members take their root's id attributes from the record they belong to;
* enums are cycled, booleans alternate, `where` constants of sparse patterns are hit by every
  other record, optional attributes are left out (None) in every third record, sets and lists
  vary in length (an empty set is not stored, as DynamoDB has none);
* values read naturally: `"workspace-1"`, `"Ticket 3"`, `"user1@example.com"`, datetimes at
  distinct fixed instants in 2025 (TTL attributes in 2035, so no emulator expires them).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.samples.items import SampleItem
from dynamodel.compiler.samples.records import SampleBuilder

__all__ = ["SampleData", "SampleItem", "sample_data"]

Record = dict[str, Any]


@dataclass(frozen=True)
class SampleData:
    """Records per entity and the items they are stored as.

    * `objects`: entity name -> its records, members included as their own entity: attribute
      name -> a value the generated pydantic model accepts (None for an optional attribute that
      is not set). Read-only; `creates()` hands out copies.
    * `items`: every item the generated repository stores for them, in write order: per
      record of an entity that is not a member, its item, its members' items (depth first),
      then its unique guards.

    To write the samples through a generated package, create every entity that is not a member,
    with its members nested under the member fields, exactly as `creates()` gives them::

        for entity, record in samples.creates():
            model = getattr(package, entity)
            getattr(repo, f"create_{snake_case(entity)}")(model(**record))

    The table then holds exactly `items` (`tests/test_samples.py` checks it on moto).
    """

    objects: Mapping[str, tuple[Mapping[str, Any], ...]]
    items: tuple[SampleItem, ...]
    # Per member entity: the index (into its parent entity's records) of each record's parent.
    parents: Mapping[str, tuple[int, ...]]
    # Per entity with members: (member field, member entity), in the spec's order.
    member_fields: Mapping[str, tuple[tuple[str, str], ...]]
    top_level: tuple[str, ...]  # the entities that are not members, in the spec's order
    _items_by_entity: dict[tuple[str, bool], list[SampleItem]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        # Emitters ask for each entity's items: grouped once, that stays linear in the items.
        for sample in self.items:
            self._items_by_entity.setdefault((sample.entity, sample.guard), []).append(sample)

    def records(self, entity: str) -> list[Record]:
        """Copies of one entity's records, flat (members are not nested)."""
        return [copy.deepcopy(dict(r)) for r in self.objects.get(entity, ())]

    def nested(self, entity: str, index: int) -> Record:
        """A copy of record `index` of `entity` with its members nested under their fields."""
        record = copy.deepcopy(dict(self.objects[entity][index]))
        for member_field, member in self.member_fields.get(entity, ()):
            record[member_field] = [
                self.nested(member, position)
                for position, parent in enumerate(self.parents.get(member, ()))
                if parent == index
            ]
        return record

    def creates(self) -> list[tuple[str, Record]]:
        """(entity, record with members nested) for every record of every entity that is not a
        member, in write order: what `create_<entity>(Model(**record))` takes."""
        return [
            (entity, self.nested(entity, index))
            for entity in self.top_level
            for index in range(len(self.objects.get(entity, ())))
        ]

    def items_of(self, entity: str, *, guards: bool = False) -> list[SampleItem]:
        """The items of one entity: its own items, or (guards=True) its unique guards."""
        return list(self._items_by_entity.get((entity, guards), ()))


def sample_data(design: Design, *, per_entity: int = 3, seed: int = 0) -> SampleData:
    """`per_entity` records of every entity (fewer only when an entity's ids or unique values
    cannot all be distinct, e.g. a bool unique, or a key would be too long), and their items."""
    if per_entity < 0:
        raise ValueError(f"per_entity must be >= 0, got {per_entity}")
    built = SampleBuilder(design, per_entity, seed).build()
    member_fields = {
        e.name: tuple((m.field, m.entity.name) for m in e.members)
        for e in design.spec.entities
        if e.members
    }
    return SampleData(
        objects=MappingProxyType(
            {name: tuple(MappingProxyType(r) for r in rs) for name, rs in built.records.items()}
        ),
        items=tuple(built.items),
        parents=MappingProxyType({k: tuple(v) for k, v in built.parents.items()}),
        member_fields=MappingProxyType(member_fields),
        top_level=tuple(built.top_level),
    )
