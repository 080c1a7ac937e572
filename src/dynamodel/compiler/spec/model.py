"""The checked spec: frozen, typed dataclasses that the design stage consumes.

`read.py` builds these from YAML nodes; names that could not be read are left out and
reported, so later stages only ever see well-formed values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from dynamodel.compiler.cached import cached
from dynamodel.compiler.diagnostics import Pos

SCALAR_TYPES = ("str", "int", "decimal", "float", "bool", "datetime", "date", "bytes")
# Types a key segment can encode (see dynamodel.runtime.keys). Identity attributes are
# narrower: an id must be exact and stable, so no float, bool or bytes.
ID_TYPES = frozenset({"str", "int", "decimal", "datetime", "date"})


@dataclass(frozen=True, slots=True)
class Presence:
    """A presence filter in `where` (spec 1.1): `{attr: null}` selects the items whose optional
    attribute is absent, `{attr: {not: null}}` those where it is present."""

    present: bool

    def __str__(self) -> str:
        return "not null" if self.present else "null"

    __repr__ = __str__


ABSENT = Presence(present=False)
PRESENT = Presence(present=True)
SORTABLE_TYPES = frozenset({"str", "int", "decimal", "float", "bool", "datetime", "date"})
LOW_CARDINALITY_TYPES = frozenset({"bool"})

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENTITY_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PATTERN_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,200}$")

_Item = TypeVar("_Item")


def first_by(items: Iterable[_Item], key: Callable[[_Item], object]) -> dict[Any, _Item]:
    """`items` by `key`; of equal keys the first wins, as the scans these dicts replace did."""
    found: dict[Any, _Item] = {}
    for item in items:
        found.setdefault(key(item), item)
    return found


Order = Literal["asc", "desc"]
IndexStrategy = Literal["overloaded", "dedicated"]


@dataclass(frozen=True, slots=True)
class TypeRef:
    """An attribute type: a scalar, or a container of one (`list[str]`, `set[int]`, `dict`)."""

    base: str
    item: TypeRef | None = None

    def render(self) -> str:
        return f"{self.base}[{self.item.render()}]" if self.item else self.base

    @property
    def is_scalar(self) -> bool:
        return self.base in SCALAR_TYPES


@dataclass(frozen=True, slots=True)
class Ref:
    """A name used in the spec, with where it was written (for diagnostics)."""

    name: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    type: TypeRef
    pos: Pos
    optional: bool = False
    has_default: bool = False
    default: object = None
    enum: tuple[str, ...] = ()
    auto: str | None = None
    ttl: bool = False
    derived: Derivation | None = None  # spec 1.1: computed by the model from another attribute
    # spec 1.1 `copy_of: Entity.attr`: a denormalized copy of another entity's attribute,
    # filled when the holder is written and kept current by the stream handler.
    copy_of: tuple[Ref, Ref] | None = None  # (source entity, its attribute)

    @property
    def low_cardinality(self) -> bool:
        return bool(self.enum) or self.type.base in LOW_CARDINALITY_TYPES


# `derived:` functions: the source types each takes and the type of its result.
DERIVATIONS: dict[str, tuple[frozenset[str], str]] = {
    "lower": (frozenset({"str"}), "str"),
    "upper": (frozenset({"str"}), "str"),
    "prefix": (frozenset({"str"}), "str"),  # prefix(attr, n): the first n characters
    "date": (frozenset({"datetime"}), "date"),  # the UTC day
    "month": (frozenset({"datetime", "date"}), "str"),  # YYYY-MM (UTC)
    "year": (frozenset({"datetime", "date"}), "int"),
    "hour": (frozenset({"datetime"}), "str"),  # YYYY-MM-DDTHH (UTC)
}


@dataclass(frozen=True, slots=True)
class Derivation:
    """`derived: "lower(title)"`: the function, its source attribute, and `n` for prefix."""

    function: str
    source: Ref
    length: int | None = None
    pos: Pos | None = None

    def render(self) -> str:
        tail = f", {self.length}" if self.length is not None else ""
        return f"{self.function}({self.source.name}{tail})"


@dataclass(frozen=True, slots=True)
class Member:
    field: str
    entity: Ref
    pos: Pos


@dataclass(frozen=True)
class Entity:
    name: str
    pos: Pos
    id: tuple[Ref, ...]
    attributes: tuple[Attribute, ...]
    unique: tuple[tuple[Ref, ...], ...] = ()
    version: bool | None = None  # None: the default (true for aggregate roots)
    version_pos: Pos | None = None  # where `version` is written, when it is
    members: tuple[Member, ...] = ()
    # `collection`: attributes outside the id that the table key may use, so that the items
    # can live in another entity's item collection (base partition). They are part of the
    # table key, so of every key argument, and an update cannot change them.
    collection: tuple[Ref, ...] = ()
    # `counts: [Repo.star_count]` (spec 1.1): parents' int counters of this entity's items.
    counts: tuple[tuple[Ref, Ref], ...] = ()  # (parent entity, its counter attribute)
    # Capacity hints (read_hints.py): they change no key, only the estimates.
    size: int | None = None  # average item size in bytes
    per_partition: int | None = None  # typical items per aggregate or view partition
    write_rates: tuple[tuple[str, float], ...] = ()  # (write kind, writes per second)
    write_rates_pos: Pos | None = None
    # Attribute names declared but not readable (already reported), so that references to
    # them are not reported again; None when the whole `attributes` section is unreadable.
    unreadable: frozenset[str] | None = frozenset()
    _attribute_positions: dict[str, int] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        # Every stage asks entities for attributes by name: a dict keeps that O(1). The
        # first of two same-named attributes wins, as the scan it replaces did.
        for position, attribute in enumerate(self.attributes):
            self._attribute_positions.setdefault(attribute.name, position)

    @cached  # asked for in every stage, often per sample value
    def id_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.id)

    @cached
    def key_names(self) -> tuple[str, ...]:
        """The attributes of the item's table key: its `collection`, then its id. What the id
        names one item by (uniqueness, "returns one") stays `id_names`."""
        collection = tuple(r.name for r in self.collection)
        return collection + tuple(n for n in self.id_names if n not in collection)

    def attribute(self, name: str) -> Attribute | None:
        position = self._attribute_positions.get(name)
        return None if position is None else self.attributes[position]

    def attribute_position(self, name: str) -> int:
        """Where `name` is declared among the attributes (0 when it is not)."""
        return self._attribute_positions.get(name, 0)

    def already_reported(self, name: str) -> bool:
        """Whether a missing attribute `name` was declared but failed to read."""
        return self.unreadable is None or name in self.unreadable


@dataclass(frozen=True, slots=True)
class ViewField:
    name: str
    entity: Ref
    many: bool
    pos: Pos
    # The long form `{entity: ..., by: [...], where: {...}}`: this field's own attributes for
    # the view's `by` (empty: the same names), and the constants its items match. An entity
    # in two fields of one view (two roles) is told apart by `where`.
    by: tuple[Ref, ...] = ()
    where: tuple[tuple[Ref, object], ...] = ()

    @property
    def is_role(self) -> bool:
        """Read by other attributes or a subset: a key of its own in the view's GSI."""
        return bool(self.by or self.where)

    def by_names(self, pattern: AccessPattern) -> tuple[str, ...]:
        """The attributes of this field's entity that take the view's `by` values."""
        return tuple(r.name for r in self.by) if self.by else pattern.by_names

    def where_items(self) -> tuple[tuple[str, object], ...]:
        return tuple((ref.name, value) for ref, value in self.where)

    def slot(self, pattern: AccessPattern) -> str:
        """The name of this field's key among the view's GSI keys: the entity's own name, or
        one per role, which no other pattern shares."""
        return (
            f"{self.entity.name}@{pattern.name}.{self.name}" if self.is_role else self.entity.name
        )


@dataclass(frozen=True)
class AccessPattern:
    name: str
    pos: Pos
    entity: Ref | None = None
    view: tuple[ViewField, ...] = ()
    by: tuple[Ref, ...] = ()
    sort: tuple[Ref, ...] = ()
    order: Order = "asc"
    where: tuple[tuple[Ref, object], ...] = ()
    limit: int | None = None
    limit_pos: Pos | None = None
    consistent: bool = False
    consistent_pos: Pos | None = None
    shards: int | None = None
    shards_pos: Pos | None = None
    rate: float | None = None  # average calls per second (the cost estimate)

    @cached
    def by_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.by)

    @cached
    def sort_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.sort)

    @property
    def is_view(self) -> bool:
        return bool(self.view)

    @property
    def has_roles(self) -> bool:
        """A view with a field read by other attributes or a `where` (always on a GSI)."""
        return any(f.is_role for f in self.view)

    @cached
    def where_items(self) -> tuple[tuple[str, object], ...]:
        return tuple((ref.name, value) for ref, value in self.where)


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    pos: Pos
    billing: Literal["on_demand", "provisioned"] = "on_demand"
    read_capacity: int | None = None
    write_capacity: int | None = None
    stream: str | None = None
    point_in_time_recovery: bool = True
    deletion_protection: bool = True
    indexes: IndexStrategy = "overloaded"
    tenant: Ref | None = None  # the attribute naming a tenant (IAM tenant scoping)


@dataclass(frozen=True, slots=True)
class FunctionGroup:
    """`functions:` entry: what one group of Lambda functions calls (`dynamodel iam`)."""

    name: str
    pos: Pos
    patterns: tuple[Ref, ...] = ()  # access pattern names
    writes: tuple[Ref, ...] = ()  # generated write method names (create_ticket, batch_get...)
    description: str | None = None
    unreadable: bool = False  # `patterns` or `writes` could not be read (already reported)


@dataclass(frozen=True, slots=True)
class Spec:
    version: int
    table: Table
    entities: tuple[Entity, ...]
    patterns: tuple[AccessPattern, ...]
    functions: tuple[FunctionGroup, ...] = ()
    _entity_index: dict[str, Entity] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _pattern_index: dict[str, AccessPattern] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _owners: dict[str, Entity] = field(default_factory=dict, init=False, compare=False, repr=False)
    # holder -> (source, its copies) in declaration order; source -> holders
    _copies: dict[str, tuple[tuple[str, tuple[Attribute, ...]], ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _copy_holders: dict[str, list[str]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _counters: dict[str, list[tuple[Entity, str]]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        # Lookups by name stay O(1): the design stage asks them for every entity and pattern.
        self._entity_index.update(first_by(self.entities, lambda e: e.name))
        self._pattern_index.update(first_by(self.patterns, lambda p: p.name))
        for entity in self.entities:
            for member in entity.members:
                self._owners.setdefault(member.entity.name, entity)
            grouped: dict[str, list[Attribute]] = {}
            for attribute in entity.attributes:
                if attribute.copy_of is not None:
                    grouped.setdefault(attribute.copy_of[0].name, []).append(attribute)
            if grouped:
                self._copies[entity.name] = tuple((s, tuple(a)) for s, a in grouped.items())
                for source in grouped:
                    self._copy_holders.setdefault(source, []).append(entity.name)
            for parent, counter in entity.counts:
                self._counters.setdefault(parent.name, []).append((entity, counter.name))

    def entity(self, name: str) -> Entity | None:
        return self._entity_index.get(name)

    def pattern(self, name: str) -> AccessPattern | None:
        return self._pattern_index.get(name)

    def counters_of(self, name: str) -> tuple[tuple[Entity, str], ...]:
        """(child entity, counter attribute) for every `counts:` naming entity `name`."""
        return tuple(self._counters.get(name, ()))

    def copies_in(self, holder: Entity) -> tuple[tuple[str, tuple[Attribute, ...]], ...]:
        """(source entity, the holder's copies of its attributes) for each source `holder`
        copies from, in the order the copies are declared."""
        return self._copies.get(holder.name, ())

    def copy_holders(self, source: str) -> tuple[str, ...]:
        """The entities holding copies of `source`'s attributes, in spec order."""
        return tuple(self._copy_holders.get(source, ()))

    def is_copy_source(self, name: str) -> bool:
        return name in self._copy_holders

    def root_of(self, name: str) -> Entity | None:
        """The entity that lists `name` among its members, if any."""
        return self._owners.get(name)

    def aggregate_root(self, name: str) -> Entity | None:
        """The top of the aggregate `name` belongs to (itself if it is not a member)."""
        current = self.entity(name)
        seen: set[str] = set()
        while current is not None and current.name not in seen:
            seen.add(current.name)
            parent = self.root_of(current.name)
            if parent is None:
                return current
            current = parent
        return current

    def is_root(self, entity: Entity) -> bool:
        return bool(entity.members) and self.root_of(entity.name) is None

    def is_versioned(self, entity: Entity) -> bool:
        if entity.version is not None:
            return entity.version
        # A source of copies is versioned, so that each copy records which version it holds.
        return self.is_root(entity) or self.is_copy_source(entity.name)

    def descendants(self, entity: Entity) -> tuple[Entity, ...]:
        """Every member of the aggregate under `entity`, depth first, in spec order."""
        found: dict[str, Entity] = {}  # by name, in order: an aggregate may have many members
        for member in entity.members:
            child = self.entity(member.entity.name)
            if child is not None and child.name not in found:
                found[child.name] = child
                for descendant in self.descendants(child):
                    found.setdefault(descendant.name, descendant)
        return tuple(found.values())
