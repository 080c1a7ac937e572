"""A whole-table consistency checker for single-table designs written by dynamodel's runtime.

`check_table(client, table_name, schemas, index_keys)` scans the table (a paginated, strongly
consistent Scan through the low-level client) and checks every item against what the
generated code (`<package>._schema`: `SCHEMAS` and `INDEX_KEYS`) would have written:

* every item names a known type (`_type`: an entity, or `_unique` for a guard) and decodes;
* every entity item's key attributes (the table key and every index key) equal the keys the
  generated `to_item` computes from its attributes, and it holds no index key that
  `to_item` would not write (a stale sparse-index key);
* every versioned entity has a `version` that is a positive int;
* every aggregate member's parent (the root, or the member above it) exists, at the key its
  id prefix names, and a member that inherits its root's TTL holds the root's value;
* every item with a unique value has its guard item (`PK = <Entity>.<attr>#<value>`), and that
  guard names the item as its owner;
* every guard item names an owner (`_owner`: "PK\\nSK", `_entity`) that exists, is of that
  entity, and still holds the guarded value (no orphaned or stale guard).

It returns a :class:`ConsistencyReport` (what was scanned, how many invariants were checked,
and every violation).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from dynamodel.runtime.schema import (
    OWNER_ATTRIBUTE,
    TYPE_ATTRIBUTE,
    VERSION_ATTRIBUTE,
    EntitySchema,
    Item,
)
from dynamodel.runtime.writes import GUARD_TYPE
from tests.contention_figures import summary_lines  # re-exported: tests/conftest.py uses it

__all__ = [
    "ConsistencyReport",
    "Violation",
    "check_items",
    "check_table",
    "scan_items",
    "summary_lines",
]

ENTITY_ATTRIBUTE: Final = "_entity"  # a guard item's entity (runtime/writes.py writes it)

# Violation kinds.
UNKNOWN_TYPE: Final = "unknown_type"  # no `_type`, or one that names no entity
UNDECODABLE: Final = "undecodable"  # the generated from_item / to_item fails on it
KEY_MISMATCH: Final = "key_mismatch"  # a key attribute differs from what to_item computes
STALE_KEY: Final = "stale_key"  # an index key attribute that to_item would not write
BAD_VERSION: Final = "bad_version"  # a versioned entity without a positive int version
ORPHAN_MEMBER: Final = "orphan_member"  # a member whose parent item does not exist
TTL_MISMATCH: Final = "ttl_mismatch"  # a member's inherited TTL differs from its root's
MISSING_GUARD: Final = "missing_guard"  # an item's unique value has no guard item
GUARD_OWNER_MISMATCH: Final = "guard_owner_mismatch"  # the value's guard names another item
ORPHAN_GUARD: Final = "orphan_guard"  # a guard whose owner item does not exist
STALE_GUARD: Final = "stale_guard"  # a guard whose owner no longer holds the guarded value
MALFORMED_GUARD: Final = "malformed_guard"  # a guard without owner/entity, or a wrong entity

ItemKey = tuple[str, str]


@dataclass(frozen=True)
class Violation:
    kind: str
    key: ItemKey  # (PK, SK) of the item the violation is about
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: PK={self.key[0]!r} SK={self.key[1]!r}: {self.detail}"


@dataclass
class ConsistencyReport:
    """What one check scanned and found."""

    table: str
    pages: int = 0  # Scan pages read
    items: int = 0  # items scanned
    entities: Counter[str] = field(default_factory=Counter)  # entity items by type
    guards: int = 0  # unique guard items
    invariants_checked: int = 0  # individual checks made (per item, per invariant)
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def kinds(self) -> Counter[str]:
        return Counter(v.kind for v in self.violations)

    def of_kind(self, kind: str) -> list[Violation]:
        return [v for v in self.violations if v.kind == kind]

    def summary(self) -> str:
        types = ", ".join(f"{n} {name}" for name, n in sorted(self.entities.items()))
        return (
            f"consistency {self.table}: {self.items} items ({types or 'no entities'}, "
            f"{self.guards} guards) in {self.pages} pages, {self.invariants_checked} invariant "
            f"checks, {len(self.violations)} violations"
        )

    def __str__(self) -> str:
        return "\n".join([self.summary(), *(f"  {v}" for v in self.violations)])


def scan_items(
    client: Any, table_name: str, *, page_size: int | None = None
) -> tuple[list[Item], int]:
    """Every item of the table (strongly consistent Scan, all pages) and the number of pages."""
    request: dict[str, Any] = {"TableName": table_name, "ConsistentRead": True}
    if page_size is not None:
        request["Limit"] = page_size
    items: list[Item] = []
    pages = 0
    while True:
        response = client.scan(**request)
        pages += 1
        items.extend(response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        if not last:
            return items, pages
        request["ExclusiveStartKey"] = last


def check_table(
    client: Any,
    table_name: str,
    schemas: Mapping[Any, EntitySchema[Any]],
    index_keys: Mapping[str | None, tuple[str, str]],
    *,
    page_size: int | None = None,
) -> ConsistencyReport:
    """Scan the whole table and check every item (see the module docstring)."""
    items, pages = scan_items(client, table_name, page_size=page_size)
    report = check_items(items, schemas, index_keys, table=table_name)
    report.pages = pages
    return report


def _key_of(item: Item) -> ItemKey:
    return (_text(item.get("PK")), _text(item.get("SK")))


def _text(value: Mapping[str, Any] | None) -> str:
    if not value or "S" not in value:
        return ""
    return str(value["S"])


def _same(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """AttributeValues equal (numbers by value, so "1" and "1.0" agree)."""
    if a is None or b is None:
        return a is None and b is None
    if a.keys() == {"N"} and b.keys() == {"N"}:
        try:
            return float(a["N"]) == float(b["N"])
        except (TypeError, ValueError):
            return False
    return dict(a) == dict(b)


@dataclass
class _Decoded:
    schema: EntitySchema[Any]
    obj: Any
    item: Item


class _Checker:
    def __init__(
        self,
        schemas: Mapping[Any, EntitySchema[Any]],
        index_keys: Mapping[str | None, tuple[str, str]],
        report: ConsistencyReport,
    ) -> None:
        self.by_name: dict[str, EntitySchema[Any]] = {}
        self.parent_of: dict[str, EntitySchema[Any]] = {}
        self._collect(schemas.values())
        self.key_attributes = sorted({name for pair in index_keys.values() for name in pair})
        self.report = report

    def _collect(self, schemas: Iterable[EntitySchema[Any]]) -> None:
        for schema in schemas:
            if schema.name in self.by_name:
                continue
            self.by_name[schema.name] = schema
            for member in schema.members:
                self.parent_of[member.schema.name] = schema
                self._collect([member.schema])

    def holds(self, ok: bool) -> bool:
        """Count one invariant check; its outcome."""
        self.report.invariants_checked += 1
        return ok

    def violated(self, kind: str, key: ItemKey, detail: str) -> None:
        self.report.violations.append(Violation(kind, key, detail))

    def run(self, items: list[Item]) -> None:
        by_key: dict[ItemKey, Item] = {}
        decoded: dict[ItemKey, _Decoded] = {}
        guards: list[Item] = []
        for item in items:
            key = _key_of(item)
            by_key[key] = item
            kind = _text(item.get(TYPE_ATTRIBUTE))
            if kind == GUARD_TYPE:
                self.report.guards += 1
                guards.append(item)
                continue
            schema = self.by_name.get(kind)
            if not self.holds(schema is not None):
                self.violated(UNKNOWN_TYPE, key, f"_type {kind!r} names no entity")
                continue
            assert schema is not None
            self.report.entities[schema.name] += 1
            entry = self._decode(schema, item, key)
            if entry is not None:
                decoded[key] = entry
        for key, entry in decoded.items():
            self._check_keys(key, entry)
            self._check_version(key, entry)
            self._check_parent(key, entry, decoded)
            self._check_own_guards(key, entry, by_key)
        for guard in guards:
            self._check_guard(guard, decoded)

    def _decode(self, schema: EntitySchema[Any], item: Item, key: ItemKey) -> _Decoded | None:
        try:
            obj = schema.from_item(item)
            schema.to_item(obj)
        except Exception as error:  # reported as a violation: the checker must not stop
            self.holds(False)
            self.violated(UNDECODABLE, key, f"{schema.name} item: {error!r}")
            return None
        self.holds(True)
        return _Decoded(schema, obj, item)

    def _check_keys(self, key: ItemKey, entry: _Decoded) -> None:
        expected = entry.schema.to_item(entry.obj)
        name_of = entry.schema.name
        for name in self.key_attributes:
            want, got = expected.get(name), entry.item.get(name)
            if want is None:
                if not self.holds(got is None):
                    self.violated(
                        STALE_KEY,
                        key,
                        f"{name_of} holds {name}={got!r}, which the generated code would not write",
                    )
            elif not self.holds(_same(want, got)):
                self.violated(
                    KEY_MISMATCH,
                    key,
                    f"{name_of}.{name} is {got!r}, the generated code computes {want!r}",
                )

    def _check_version(self, key: ItemKey, entry: _Decoded) -> None:
        if not entry.schema.versioned:
            return
        stored = entry.item.get(VERSION_ATTRIBUTE)
        number: int | None = None
        if stored is not None and stored.keys() == {"N"}:
            try:
                number = int(str(stored["N"]))
            except ValueError:
                number = None
        if not self.holds(number is not None and number > 0):
            self.violated(
                BAD_VERSION,
                key,
                f"{entry.schema.name} {VERSION_ATTRIBUTE} is {stored!r}, not a positive int",
            )

    def _parent_key(self, entry: _Decoded) -> tuple[EntitySchema[Any], ItemKey] | None:
        parent = self.parent_of.get(entry.schema.name)
        if parent is None:
            return None
        identity = entry.schema.identity(entry.obj)[: len(parent.id_attributes)]
        key = parent.key(**dict(zip(parent.id_attributes, identity, strict=True)))
        return parent, _key_of(key)

    def _check_parent(
        self, key: ItemKey, entry: _Decoded, decoded: Mapping[ItemKey, _Decoded]
    ) -> None:
        located = self._parent_key(entry)
        if located is None:
            return
        parent, parent_key = located
        found = decoded.get(parent_key)
        if not self.holds(found is not None and found.schema.name == parent.name):
            self.violated(
                ORPHAN_MEMBER,
                key,
                f"{entry.schema.describe(entry.obj)} has no {parent.name} at "
                f"PK={parent_key[0]!r} SK={parent_key[1]!r}",
            )
            return
        ttl = entry.schema.inherited_ttl
        if ttl is None:
            return
        root = found
        while root is not None and (up := self._parent_key(root)) is not None:
            root = decoded.get(up[1])
        if root is None:
            return  # an orphan further up: reported on that member
        if not self.holds(_same(entry.item.get(ttl), root.item.get(ttl))):
            self.violated(
                TTL_MISMATCH,
                key,
                f"{entry.schema.name}.{ttl} is {entry.item.get(ttl)!r}, its root's is "
                f"{root.item.get(ttl)!r}",
            )

    def _check_own_guards(
        self, key: ItemKey, entry: _Decoded, by_key: Mapping[ItemKey, Item]
    ) -> None:
        owner = f"{key[0]}\n{key[1]}"
        for spec in entry.schema.unique:
            located = spec.key(entry.obj)
            if located is None:
                continue  # a None value holds no guard
            guard_key = _key_of(located)
            values = ", ".join(f"{a}={getattr(entry.obj, a)!r}" for a in spec.attributes)
            guard = by_key.get(guard_key)
            if guard is None or _text(guard.get(TYPE_ATTRIBUTE)) != GUARD_TYPE:
                self.holds(False)
                self.violated(
                    MISSING_GUARD,
                    key,
                    f"{entry.schema.name} {values} has no guard item at "
                    f"PK={guard_key[0]!r} SK={guard_key[1]!r}",
                )
                continue
            self.holds(True)
            holder = _text(guard.get(OWNER_ATTRIBUTE))
            entity = _text(guard.get(ENTITY_ATTRIBUTE))
            if not self.holds(holder == owner and entity == entry.schema.name):
                self.violated(
                    GUARD_OWNER_MISMATCH,
                    key,
                    f"the guard of {entry.schema.name} {values} names {entity} "
                    f"{holder!r} as its owner",
                )

    def _check_guard(self, guard: Item, decoded: Mapping[ItemKey, _Decoded]) -> None:
        key = _key_of(guard)
        holder = _text(guard.get(OWNER_ATTRIBUTE))
        entity = _text(guard.get(ENTITY_ATTRIBUTE))
        parts = holder.split("\n")
        schema = self.by_name.get(entity)
        if not self.holds(len(parts) == 2 and schema is not None and bool(schema.unique)):
            self.violated(
                MALFORMED_GUARD,
                key,
                f"guard with {OWNER_ATTRIBUTE}={holder!r}, {ENTITY_ATTRIBUTE}={entity!r}",
            )
            return
        assert schema is not None
        owner = decoded.get((parts[0], parts[1]))
        if not self.holds(owner is not None):
            self.violated(
                ORPHAN_GUARD,
                key,
                f"its owner, {entity} at PK={parts[0]!r} SK={parts[1]!r}, does not exist",
            )
            return
        assert owner is not None
        if not self.holds(owner.schema.name == schema.name):
            self.violated(
                MALFORMED_GUARD,
                key,
                f"the guard names a {entity} owner; the item there is a {owner.schema.name}",
            )
            return
        keys = [spec.key(owner.obj) for spec in schema.unique]
        if not self.holds(any(k is not None and _key_of(k) == key for k in keys)):
            self.violated(
                STALE_GUARD,
                key,
                f"its owner {schema.describe(owner.obj)} no longer holds the guarded value",
            )


def check_items(
    items: list[Item],
    schemas: Mapping[Any, EntitySchema[Any]],
    index_keys: Mapping[str | None, tuple[str, str]],
    *,
    table: str = "",
) -> ConsistencyReport:
    """Check scanned items (see the module docstring); `pages` is left at 0."""
    report = ConsistencyReport(table=table, items=len(items))
    _Checker(schemas, index_keys, report).run(items)
    return report
