"""What generated code tells the runtime about each entity: codecs, keys, guards, members.

Generated packages build one `EntitySchema` per entity from the design; the runtime's generic
read and write paths (`table.py`, `writes.py`) work from these, so the subtle parts —
aggregates, unique guards, version checks, index maintenance — are written and tested once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from dynamodel.runtime.frozen import frozen_dataclass
from dynamodel.runtime.names import OWNER_ATTRIBUTE as OWNER_ATTRIBUTE
from dynamodel.runtime.names import TYPE_ATTRIBUTE as TYPE_ATTRIBUTE
from dynamodel.runtime.names import VERSION_ATTRIBUTE as VERSION_ATTRIBUTE
from dynamodel.runtime.validation import check_changes, checked_encoder

Item = dict[str, dict[str, Any]]
M = TypeVar("M", bound=BaseModel)


class Unset:
    """The type of UNSET: "not given" for partial updates, where None means "clear it"."""

    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = Unset()


@frozen_dataclass
class UniqueGuardSpec:
    """A unique attribute set: `key(obj)` is the guard item's key, None when a value is None."""

    attributes: tuple[str, ...]
    key: Callable[[Any], Item | None]


@frozen_dataclass
class MemberSpec:
    """A list field of a root (or member) model that holds an aggregate's member entity."""

    field: str
    schema: EntitySchema[Any]


@frozen_dataclass
class CounterSpec:
    """`counts: [Parent.attribute]`: the parent's counter of this entity's items."""

    parent: str  # the parent entity, for errors
    attribute: str  # its int counter attribute
    key: Callable[[Any], Item]  # the parent's table key, from a child


@frozen_dataclass
class CopySpec:
    """`copy_of: Source.attribute` in a holder: its copies of one source entity."""

    source: str  # the source entity
    attributes: tuple[tuple[str, str], ...]  # (holder attribute, source attribute)
    references: tuple[str, ...]  # the holder's attributes that hold the source's key
    # The source's table key from a holder; None when a reference is None (no source named).
    source_key: Callable[[Any], Item | None]

    @property
    def stamp(self) -> str:
        """The holder item's attribute recording which source state its copies are."""
        return f"_copy_{self.source}"


@frozen_dataclass
class EntitySchema(Generic[M]):
    """One entity of the table: its model, how its items and keys are made and read back, and
    what its writes maintain besides its own item (guards, members, counters, copies)."""

    name: str
    model: type[M]
    id_attributes: tuple[str, ...]
    to_item: Callable[[M], Item]  # every attribute, `_type`, version, and every index key
    from_item: Callable[[Item], M]
    table_key: Callable[[M], Item]  # {"PK": ..., "SK": ...}
    key: Callable[..., Item]  # the table key from the id attributes, as keywords
    versioned: bool = False
    unique: tuple[UniqueGuardSpec, ...] = ()
    members: tuple[MemberSpec, ...] = ()
    # Item attribute (a key attribute such as GSI1PK) -> the model attributes it is built from;
    # a partial update that changes one of those rewrites (or removes) the key attribute.
    key_sources: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # A member carries its root's TTL attribute so the whole aggregate expires together.
    inherited_ttl: str | None = None
    # The entity's own TTL attribute (the table's, when the entity declares it); its unique
    # guards carry the same attribute, so they expire with it.
    ttl: str | None = None
    # Derived attributes (computed by the model from others): an update recomputes them.
    derived: tuple[str, ...] = ()
    # The parents' counters a create or delete of this entity moves (spec 1.1 `counts:`).
    counts: tuple[CounterSpec, ...] = ()
    # This entity's own counter attributes, kept by its children's writes: never written
    # from a model (a save keeps the stored values).
    counters: tuple[str, ...] = ()
    # Denormalized copies this entity holds, per source (spec 1.1 `copy_of`).
    copies: tuple[CopySpec, ...] = ()
    # Whether other entities copy from this one: its items then carry an incarnation.
    copied: bool = False

    @property
    def expiry_attribute(self) -> str | None:
        """The TTL attribute this entity's items may carry: its own, or its root's."""
        return self.ttl or self.inherited_ttl

    def __post_init__(self) -> None:
        # Every write path encodes through to_item, so checking there is what guarantees that
        # nothing invalid is sent (see runtime/validation.py).
        checked = checked_encoder(
            self.name, self.model, self.to_item, members={m.field for m in self.members}
        )
        object.__setattr__(self, "to_item", checked)

    def check_changes(self, changes: Mapping[str, Any]) -> None:
        """Raise InvalidValueError when a partial update's value does not fit its field."""
        check_changes(self.name, self.model, changes)

    def identity(self, obj: Any) -> tuple[object, ...]:
        return tuple([getattr(obj, name) for name in self.id_attributes])

    def describe(self, obj: Any) -> str:
        values = ", ".join(f"{n}={getattr(obj, n)!r}" for n in self.id_attributes)
        return f"{self.name}({values})"


@frozen_dataclass
class SortCondition:
    """The sort-key part of a Query's key condition, already encoded."""

    # "from": SK >= low, "upto": SK <= high (a view read from its head items onward)
    kind: Literal["all", "eq", "prefix", "between", "from", "upto"]
    low: str = ""
    high: str = ""


class Present:
    """The type of PRESENT: a view role's `where: {attr: {not: null}}` (any value)."""

    _instance: Present | None = None

    def __new__(cls) -> Present:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "PRESENT"


PRESENT = Present()


@frozen_dataclass
class ViewPartSpec:
    """One field of a view model: the entity whose items fill it, one (`many` False) or many."""

    field: str
    schema: EntitySchema[Any]
    many: bool
    # A role (one entity in several fields of a view): the constants its items match (None:
    # the attribute is absent; PRESENT: it has any value). The roles' keys are sparse by
    # them, so every item read belongs to exactly one field.
    where: tuple[tuple[str, object], ...] = ()
