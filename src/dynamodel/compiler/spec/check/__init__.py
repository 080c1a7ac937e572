"""Semantic checks: every reference resolves and every combination makes sense.

Runs after `read.py` and reports all problems at once. Checks that need the table design
(consistency from the base table, the GSI limit) are reported by the design stage.
"""

from __future__ import annotations

from dynamodel.compiler.diagnostics import Diagnostic, Pos
from dynamodel.compiler.names import repository_class_name, snake_case
from dynamodel.compiler.spec.cardinality import returns_one
from dynamodel.compiler.spec.check.copies import CopyChecks
from dynamodel.compiler.spec.check.functions import check_functions, check_tenant
from dynamodel.compiler.spec.check.values import value_problem
from dynamodel.compiler.spec.model import (
    ID_TYPES,
    SORTABLE_TYPES,
    AccessPattern,
    Attribute,
    Entity,
    Spec,
)
from dynamodel.compiler.spec.read.entities import RESERVED_ENTITY_NAMES
from dynamodel.compiler.spec.updates import updatable

RESERVED_METHODS = frozenset(
    {"create_table", "batch_get", "batch_write", "table", "table_name", "increment", "apply_once"}
)
RESERVED_PREFIXES = ("create_", "save_", "delete_", "update_", "migrate_")
VERSION_FIELD = "version"


class Checker(CopyChecks):
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.diagnostics: list[Diagnostic] = []

    # -- entities ----------------------------------------------------------------------
    def run(self) -> list[Diagnostic]:
        repository = repository_class_name(self.spec.table.name)
        for entity in self.spec.entities:
            if entity.name == repository:
                self.err(
                    entity.pos,
                    f"entity `{entity.name}` clashes with the generated repository class",
                    "rename the entity",
                )
            self.entity(entity)
        self.members()
        self.ttl()
        self.copy_stream()
        # Names a view model may not take: the entities', and those the package imports.
        view_models: dict[str, Pos] = {name: Pos(0, 0) for name in RESERVED_ENTITY_NAMES}
        view_models.update({e.name: e.pos for e in self.spec.entities})
        for pattern in self.spec.patterns:
            self.pattern(pattern, view_models)
        return self.diagnostics

    def entity(self, entity: Entity) -> None:
        for ref in entity.id:
            attribute = self.attribute_ref(entity, ref, "in its id")
            if attribute is None:
                continue
            if attribute.optional:
                self.err(
                    ref.pos,
                    f"id attribute `{entity.name}.{ref.name}` is optional",
                    "an id must always be present: drop `?`/`optional`",
                )
            if attribute.type.base not in ID_TYPES:
                self.err(
                    ref.pos,
                    f"id attribute `{entity.name}.{ref.name}` has type {attribute.type.render()}",
                    "ids must be str, int, decimal, datetime or date",
                )
        if "update" in dict(entity.write_rates) and not updatable(self.spec, entity):
            self.err(
                entity.write_rates_pos or entity.pos,
                f"`write_rates.update` of `{entity.name}` counts a method it does not have: it "
                "has nothing an update could change (only its key, derived values, copies or "
                "counters)",
                f"count those writes under `save` (save_{snake_case(entity.name)}), or remove `update`",
            )
        self.collection(entity)
        self.counts(entity)
        self.copies(entity)
        for attribute in entity.attributes:
            if attribute.derived is not None:
                self.derived(entity, attribute, attribute.derived)
        for composite in entity.unique:
            for ref in composite:
                attribute = self.attribute_ref(entity, ref, "in `unique`")
                if attribute is not None and not attribute.type.is_scalar:
                    self.err(
                        ref.pos,
                        f"unique attribute `{entity.name}.{ref.name}` has type "
                        f"{attribute.type.render()}",
                        "unique values must be scalars",
                    )
                elif attribute is not None and attribute.type.base in ("float", "bytes"):
                    self.err(
                        ref.pos,
                        f"unique attribute `{entity.name}.{ref.name}` has type "
                        f"{attribute.type.base}",
                        "unique values must be str, int, decimal, bool, datetime or date",
                    )
            if {r.name for r in composite} == set(entity.id_names):
                self.err(
                    composite[0].pos,
                    f"`unique` of `{entity.name}` repeats its id, which is already unique",
                    "remove it",
                )
        for attribute in entity.attributes:
            self.default(entity, attribute)
        root = self.spec.is_root(entity)
        if root and entity.version is False:
            # Without a version, two saves that each read the aggregate would both pass their
            # conditions, and the stored members would mix lines of both.
            self.err(
                entity.version_pos or entity.pos,
                f"aggregate root `{entity.name}` has `version: false`, so concurrent saves "
                "would interleave its members",
                "an aggregate root is always versioned: remove `version: false`",
            )
        if self.spec.is_versioned(entity) and entity.attribute(VERSION_FIELD) is not None:
            attribute = entity.attribute(VERSION_FIELD)
            assert attribute is not None
            self.err(
                attribute.pos,
                f"`{entity.name}` is versioned, so its model has a `version` field of its own",
                "rename the attribute"
                + ("" if root else ", or set `version: false` on the entity"),
            )

    def default(self, entity: Entity, attribute: Attribute) -> None:
        if not attribute.has_default:
            return
        where = f"`{entity.name}.{attribute.name}`"
        value = attribute.default
        problem = value_problem(attribute, value)
        if problem is not None:
            self.err(attribute.pos, f"default `{value}` of {where} {problem[0]}", problem[1])
        if attribute.auto is not None:
            self.err(attribute.pos, f"{where} has both `default` and `auto`", "keep one")

    def members(self) -> None:
        owners: dict[str, str] = {}
        reported_cycles: set[frozenset[str]] = set()
        for entity in self.spec.entities:
            fields_seen = {a.name for a in entity.attributes}
            if self.spec.is_versioned(entity):
                fields_seen.add(VERSION_FIELD)  # the model's own field
            for member in entity.members:
                child = self.entity_ref(member.entity, f"the members of `{entity.name}`")
                if member.field in fields_seen:
                    self.err(
                        member.pos,
                        f"member field `{member.field}` of `{entity.name}` clashes with "
                        + (
                            "the model's `version` field"
                            if member.field == VERSION_FIELD
                            else "an attribute"
                        ),
                        "rename the member field",
                    )
                fields_seen.add(member.field)
                if child is None:
                    continue
                if child.name in owners and owners[child.name] != entity.name:
                    self.err(
                        member.entity.pos,
                        f"`{child.name}` is already a member of `{owners[child.name]}`",
                        "an entity belongs to at most one aggregate",
                    )
                    continue
                owners[child.name] = entity.name
                if child.name == entity.name or self._reaches(child, entity.name):
                    cycle = frozenset(self._cycle(child, entity.name))
                    if cycle not in reported_cycles:
                        reported_cycles.add(cycle)
                        self.err(
                            member.entity.pos,
                            f"members of `{entity.name}` form a cycle through `{child.name}`",
                            "an aggregate is a tree: remove one of the `members` entries",
                        )
                    continue
                root_id, child_id = entity.id_names, child.id_names
                if not root_id or not child_id:
                    continue
                if len(child_id) <= len(root_id) or child_id[: len(root_id)] != root_id:
                    self.err(
                        member.entity.pos,
                        f"the id of member `{child.name}` ({', '.join(child_id)}) must start with "
                        f"the id of `{entity.name}` ({', '.join(root_id)}) and add to it",
                        f"write `id: [{', '.join((*root_id, '...'))}]` on `{child.name}`",
                    )
                if child.version:
                    self.err(
                        member.entity.pos,
                        f"member `{child.name}` cannot have its own `version`",
                        f"members are versioned with their root `{entity.name}`",
                    )
                if child.unique:
                    self.err(
                        child.unique[0][0].pos,
                        f"member `{child.name}` cannot declare `unique`",
                        "unique guards are supported on entities that are not members",
                    )
                if child.write_rates_pos is not None:
                    top = self.spec.aggregate_root(entity.name) or entity
                    self.err(
                        child.write_rates_pos,
                        f"member `{child.name}` has no write methods of its own",
                        f"it is written with its root: put `write_rates` on `{top.name}`",
                    )

    def _cycle(self, start: Entity, target: str) -> set[str]:
        """The entities on member paths from `start` back to `target`."""
        found = {start.name, target}
        stack, seen = [start], set()
        while stack:
            current = stack.pop()
            if current.name in seen:
                continue
            seen.add(current.name)
            for member in current.members:
                child = self.spec.entity(member.entity.name)
                if child is not None and self._reaches(child, target):
                    found.add(child.name)
                    stack.append(child)
        return found

    def _reaches(self, start: Entity, target: str) -> bool:
        """Whether a member path leads from `start` to `target` (one visit per entity, so a
        spec of shared members cannot make this exponential, nor a long chain recursive)."""
        stack, visited = [start], set()
        while stack:
            current = stack.pop()
            if current.name in visited:
                continue
            visited.add(current.name)
            for member in current.members:
                if member.entity.name == target:
                    return True
                child = self.spec.entity(member.entity.name)
                if child is not None:
                    stack.append(child)
        return False

    def ttl(self) -> None:
        names: dict[str, Attribute] = {}
        for entity in self.spec.entities:
            for attribute in entity.attributes:
                if attribute.ttl:
                    names.setdefault(attribute.name, attribute)
        if names:
            self.ttl_clashes(next(iter(names.values())))
        if len(names) > 1:
            first, *others = names.values()
            for attribute in others:
                self.err(
                    attribute.pos,
                    f"a table has one TTL attribute, but both `{first.name}` and "
                    f"`{attribute.name}` are marked `ttl: true`",
                    f"name every TTL attribute `{first.name}`",
                )

    def ttl_clashes(self, ttl: Attribute) -> None:
        """DynamoDB's TTL reads its one attribute on every item of the table: an attribute of
        that name that is not a TTL attribute would get its items deleted (and on a member, the
        root's TTL would overwrite it)."""
        for entity in self.spec.entities:
            attribute = entity.attribute(ttl.name)
            if attribute is None or attribute.ttl:
                continue
            hint = f"rename it, or mark it `ttl: true` if `{entity.name}` items should expire"
            if self.spec.root_of(entity.name) is not None:
                hint = f"rename it: a member carries its root's TTL in `{ttl.name}`"
            self.err(
                attribute.pos,
                f"`{entity.name}.{ttl.name}` is named like the table's TTL attribute, so "
                f"DynamoDB would delete `{entity.name}` items once its value passes",
                hint,
            )

    # -- access patterns ---------------------------------------------------------------
    def pattern(self, pattern: AccessPattern, view_models: dict[str, Pos]) -> None:
        name = pattern.name
        if name in RESERVED_METHODS or name.startswith(RESERVED_PREFIXES):
            self.err(
                pattern.pos,
                f"access pattern name `{name}` clashes with a generated repository method",
                "names must not be "
                + ", ".join(sorted(RESERVED_METHODS))
                + " or start with "
                + ", ".join(RESERVED_PREFIXES),
            )
        if pattern.is_view:
            self.view(pattern, view_models)
            return
        if pattern.entity is None:
            return
        entity = self.entity_ref(pattern.entity, f"access pattern `{name}`")
        if entity is None:
            return
        context = f"access pattern `{name}`"
        for ref in pattern.by:
            attribute = self.attribute_ref(entity, ref, f"`by` of `{name}`")
            if attribute is not None and not attribute.type.is_scalar:
                self.err(
                    ref.pos,
                    f"`by` compares `{ref.name}` for equality, but it is a "
                    f"{attribute.type.render()}",
                    "use scalar attributes (str, int, decimal, bool, datetime, date, ...)",
                )
        self.sort(entity, pattern, context)
        self.where(entity, pattern)
        id_set = set(entity.id_names)
        by_set = set(pattern.by_names)
        by_unique = next(
            (c for c in entity.unique if {r.name for r in c} <= by_set and not pattern.where), None
        )
        if by_unique and pattern.sort and by_set != id_set:
            names = ", ".join(r.name for r in by_unique)
            self.err(
                pattern.sort[0].pos,
                f"`{name}` fixes one `{entity.name}` by its unique {names}, so `sort` has no "
                "effect",
                "remove `sort`",
            )
        if pattern.limit is not None and (by_unique or (id_set and by_set == id_set)):
            self.err(
                pattern.pos,
                f"`{name}` returns at most one `{entity.name}`, so `limit` has no effect",
                "remove `limit`",
            )
        if id_set and by_set == id_set and not pattern.where:
            if pattern.sort:
                self.err(
                    pattern.sort[0].pos,
                    f"`{name}` fixes one `{entity.name}` by its id, so `sort` has no effect",
                    "remove `sort`",
                )
            if pattern.shards:
                self.err(
                    pattern.pos,
                    f"`{name}` reads one `{entity.name}` by id; `shards` spreads lists only",
                    "remove `shards`",
                )
        elif pattern.shards and returns_one(entity, pattern):
            self.err(
                pattern.pos,
                f"`{name}` reads at most one `{entity.name}` (its "
                f"{'`by` and `where` fix' if pattern.where else '`by` fixes'} a unique value); "
                "`shards` spreads lists only",
                "remove `shards`",
            )

    def sort(self, entity: Entity, pattern: AccessPattern, context: str) -> None:
        for ref in pattern.sort:
            attribute = self.attribute_ref(entity, ref, f"`sort` of `{pattern.name}`")
            if attribute is None:
                continue
            if ref.name in pattern.by_names:
                self.err(
                    ref.pos,
                    f"`{ref.name}` is both in `by` and `sort` of `{pattern.name}`",
                    "an attribute compared for equality does not order anything: keep one",
                )
            if attribute.type.base not in SORTABLE_TYPES:
                self.err(
                    ref.pos,
                    f"`sort` of `{pattern.name}` uses `{ref.name}`, a {attribute.type.render()}, "
                    "which has no order",
                    "sort on str, int, decimal, float, bool, datetime or date attributes",
                )

    def where(self, entity: Entity, pattern: AccessPattern) -> None:
        for ref, value in pattern.where:
            attribute = self.attribute_ref(entity, ref, f"`where` of `{pattern.name}`")
            if attribute is None:
                continue
            if ref.name in pattern.by_names or ref.name in pattern.sort_names:
                self.err(
                    ref.pos,
                    f"`{ref.name}` is in `where` and in `by`/`sort` of `{pattern.name}`",
                    "keep it in one place",
                )
            self.where_value(entity, ref, attribute, value)


def check_spec(spec: Spec) -> tuple[Diagnostic, ...]:
    return (*Checker(spec).run(), *check_tenant(spec), *check_functions(spec))
