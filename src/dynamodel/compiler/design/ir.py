"""The design IR: what the compiler decided, in a form every emitter (and codegen) reads.

Everything is frozen and built only from the spec, so one spec always gives one design.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dynamodel.compiler.cached import cached
from dynamodel.compiler.design.prices import PRICES, Prices
from dynamodel.compiler.diagnostics import Diagnostic
from dynamodel.compiler.spec.model import Spec, first_by
from dynamodel.runtime.keys import DELIMITER

TABLE = "table"  # the name the design uses for the base table among its indexes
SHARD = "_shard"  # the placeholder of the write-shard number in a key template
HEAD_FIRST = "#"  # prefixes a head item's sort key so it sorts before its partition's lists
HEAD_LAST = "~"  # ... or after them, for views read in descending order
# Prefixes the tags of a list that sorts before its partition's head items: two views of one
# parent share its partition, one reading backward from the head (these lists), the other
# forward (lists with plain tags).
BEFORE_HEAD = "!"
DEFAULT_LIMIT = 100  # the page size of a pattern without `limit:` (its method's default)

SegmentKind = Literal["literal", "attribute", "shard"]
PlanKind = Literal["get", "aggregate", "one", "page", "view"]


@dataclass(frozen=True, slots=True)
class Segment:
    """One `#`-separated part of a key: fixed text, an encoded attribute, or the shard."""

    kind: SegmentKind
    text: str  # the literal, or the attribute name
    type: str | None = None  # the attribute's spec type, for encoding

    def render(self) -> str:
        if self.kind == "literal":
            return self.text
        if self.kind == "shard":
            return "{" + SHARD + "}"
        return "{" + self.text + "}"


@dataclass(frozen=True)
class KeyTemplate:
    segments: tuple[Segment, ...]

    def render(self) -> str:
        return self.rendered

    @cached
    def rendered(self) -> str:
        return DELIMITER.join(s.render() for s in self.segments)

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.segments if s.kind == "attribute")


@dataclass(frozen=True, slots=True)
class Index:
    """A GSI. The base table is not an Index; its keys are `Design.partition_key`/`sort_key`."""

    name: str
    partition_key: str
    sort_key: str
    projection: Literal["ALL"] = "ALL"


@dataclass(frozen=True, slots=True)
class EntityKey:
    """Where one entity's items sit in one index (or the base table), and why."""

    index: str  # TABLE or a GSI name
    partition_key: str  # the key attribute names in that index
    sort_key: str
    partition: KeyTemplate
    sort: KeyTemplate
    partition_attributes: tuple[str, ...]
    sort_attributes: tuple[str, ...]  # ordered by access patterns
    tiebreak_attributes: tuple[str, ...]  # the rest of the id: unique, deterministic order
    group: str  # the namespace literal the partition starts with
    head: bool = False
    where: tuple[tuple[str, object], ...] = ()
    shards: int | None = None
    sparse_attributes: tuple[str, ...] = ()  # optional attributes the key needs
    patterns: tuple[str, ...] = ()
    # A role's key (an entity in two fields of one view has one per field in the view's GSI,
    # each sparse by the field's `where`): `Entity@view.field`; "" for the entity's own key.
    slot: str = ""

    @property
    def sparse(self) -> bool:
        return bool(self.where or self.sparse_attributes)

    @property
    def label(self) -> str:
        """The index, and for a role's key the view field it serves (`GSI1 view.field`)."""
        return f"{self.index} {self.slot.split('@', 1)[1]}" if self.slot else self.index


@dataclass(frozen=True, slots=True)
class UniqueGuard:
    """An item whose key is the unique value: a conditional put claims it atomically."""

    attributes: tuple[str, ...]
    partition: KeyTemplate
    sort: KeyTemplate


@dataclass(frozen=True, slots=True)
class EntityDesign:
    name: str
    tag: str
    keys: tuple[EntityKey, ...]  # the base table first
    aggregate_root: str | None  # the top root when this entity is a member
    members: tuple[str, ...]  # every member entity when this is an aggregate root
    versioned: bool
    unique_guards: tuple[UniqueGuard, ...] = ()
    ttl_attribute: str | None = None
    # A member has no TTL of its own: it carries its root's expiry (the runtime copies the
    # root's TTL value onto every member item) so that the whole aggregate expires together.
    ttl_from_root: bool = False
    _keys_by_index: dict[str, EntityKey] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        # Role keys are found through their view; `key_on` gives the entity's own key.
        self._keys_by_index.update(
            first_by([k for k in self.keys if not k.slot], lambda k: k.index)
        )

    @property
    def table_key(self) -> EntityKey:
        return self.keys[0]

    def key_on(self, index: str) -> EntityKey | None:
        return self._keys_by_index.get(index)


@dataclass(frozen=True, slots=True)
class ViewPart:
    field: str
    entity: str
    many: bool
    sort_prefix: str  # the literal the entity's sort keys start with in the view partition
    where: tuple[tuple[str, object], ...] = ()  # a role's constants: which items are its own


@dataclass(frozen=True, slots=True)
class PatternPlan:
    """The one request (or one per shard) that serves an access pattern."""

    name: str
    kind: PlanKind
    entity: str | None
    operation: Literal["GetItem", "Query"]
    index: str | None  # None: the base table
    requests: int
    consistent: bool  # the default consistency of the read
    consistent_allowed: bool  # may the caller ask for a strongly consistent read?
    key_condition: str
    range_condition: str | None
    scan_forward: bool
    partition: KeyTemplate
    sort: KeyTemplate | None  # the entity's sort key template there (None for views)
    by: tuple[str, ...]
    equality_sort: tuple[str, ...]  # leading sort parts the caller may fix
    range_attribute: str | None  # the sort part that takes `_from` / `_to`
    limit: int | None
    shards: int | None
    where: tuple[tuple[str, object], ...] = ()
    # A GetItem whose `by` holds more than the id: these `by` attributes (and `where`) are
    # compared with the item read, which is returned only when they match.
    checked: tuple[str, ...] = ()
    # Leading sort parts of the key that `by` (or a `where` constant) fixes: the Query is
    # `begins_with` on them, sharing a key partitioned by fewer attributes.
    fixed_sort: tuple[str, ...] = ()
    view: tuple[ViewPart, ...] = ()
    # A view sharing its partition with another view of the same head items: it reads from
    # this sort key (the first or last head) onward in its direction, SK >= or SK <= it.
    head_bound: str | None = None
    notes: tuple[str, ...] = ()
    filter: None = None  # never a FilterExpression: the design guarantees it
    spec_line: int = 0

    @property
    def takes_prefix(self) -> bool:
        """A str sort part that takes a range takes `<attr>_prefix=` too (begins_with)."""
        if self.range_attribute is None or self.sort is None:
            return False
        return any(
            s.kind == "attribute" and s.text == self.range_attribute and s.type == "str"
            for s in self.sort.segments
        )

    @property
    def pages_view(self) -> bool:
        """A view of exactly one list field: its method takes `limit=` and `cursor=`."""
        return self.kind == "view" and sum(part.many for part in self.view) == 1


@dataclass(frozen=True, slots=True)
class ItemSize:
    """One entity's item size, as the capacity estimates use it."""

    entity: str
    bytes: int
    hinted: bool  # from the spec's `size:`; else estimated from the attribute types
    per_partition: int  # items per aggregate or view partition (`per_partition:`, default 10)


@dataclass(frozen=True, slots=True)
class ReadEstimate:
    """What one call of an access pattern reads and costs (at most: a full page)."""

    pattern: str
    index: str  # TABLE or a GSI name
    operation: str  # GetItem | Query
    requests: int
    items: int  # items read per call, at most
    bytes: int
    consistent: bool
    read_units: float  # capacity units (on demand: read request units) per call
    rate: float | None  # calls per second, from the spec
    monthly_cost: float | None  # USD on demand, when the rate is known


@dataclass(frozen=True, slots=True)
class WriteEstimate:
    """What one call of a generated write method writes and costs (the common case)."""

    method: str  # e.g. create_ticket
    entity: str
    kind: str  # create | save | update | delete
    operation: str  # PutItem | UpdateItem | DeleteItem | TransactWriteItems
    actions: int  # items written (root, members, unique guards)
    read_units: float  # the consistent read before the write, if the method makes one
    table_units: float  # write units on the table (transactions count double)
    index_units: tuple[tuple[str, float], ...]  # write units per GSI the items are copied to
    rate: float | None
    monthly_cost: float | None

    @property
    def write_units(self) -> float:
        return self.table_units + sum(units for _, units in self.index_units)


@dataclass(frozen=True, slots=True)
class CapacityEstimate:
    sizes: tuple[ItemSize, ...] = ()
    reads: tuple[ReadEstimate, ...] = ()
    writes: tuple[WriteEstimate, ...] = ()
    monthly_cost: float | None = None  # the sum over calls with a rate; None without any
    prices: Prices = PRICES  # what the costs are priced at
    _sizes_by_entity: dict[str, ItemSize] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _reads_by_pattern: dict[str, ReadEstimate] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        # Emitters look estimates up for every entity and pattern: dicts keep that linear.
        self._sizes_by_entity.update(first_by(self.sizes, lambda s: s.entity))
        self._reads_by_pattern.update(first_by(self.reads, lambda r: r.pattern))

    def size_of(self, entity: str) -> ItemSize:
        return self._sizes_by_entity[entity]

    def read_of(self, pattern: str) -> ReadEstimate:
        """The estimate of one access pattern's call."""
        return self._reads_by_pattern[pattern]


@dataclass(frozen=True, slots=True)
class Design:
    spec: Spec = field(repr=False)
    table_name: str
    partition_key: str
    sort_key: str
    indexes: tuple[Index, ...]
    entities: tuple[EntityDesign, ...]
    patterns: tuple[PatternPlan, ...]
    warnings: tuple[Diagnostic, ...]
    ttl_attribute: str | None = None
    capacity: CapacityEstimate = CapacityEstimate()
    _entity_index: dict[str, EntityDesign] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _pattern_index: dict[str, PatternPlan] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _gsi_index: dict[str, Index] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        # Every emitter looks entities, plans and indexes up by name, per entity and per
        # pattern: dicts keep a 10,000-entity design linear (a scan made it quadratic).
        self._entity_index.update(first_by(self.entities, lambda e: e.name))
        self._pattern_index.update(first_by(self.patterns, lambda p: p.name))
        self._gsi_index.update(first_by(self.indexes, lambda g: g.name))

    def entity(self, name: str) -> EntityDesign:
        return self._entity_index[name]

    def pattern(self, name: str) -> PatternPlan:
        return self._pattern_index[name]

    def gsi(self, name: str) -> Index:
        return self._gsi_index[name]

    def key_names(self, index: str | None) -> tuple[str, str]:
        if index is None or index == TABLE:
            return self.partition_key, self.sort_key
        gsi = self.gsi(index)
        return gsi.partition_key, gsi.sort_key
