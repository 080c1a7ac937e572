"""The design stage: a checked spec in, a table design (keys, GSIs, one plan per pattern) out."""

from __future__ import annotations

from dataclasses import replace

from dynamodel.compiler.design.base import BaseLayout, layout_base
from dynamodel.compiler.design.capacity import estimate_capacity
from dynamodel.compiler.design.ir import (
    TABLE,
    Design,
    EntityDesign,
    EntityKey,
    Index,
    PatternPlan,
    PlanKind,
)
from dynamodel.compiler.design.keys import MAX_GSIS, freeze_key, name_indexes, unique_guard
from dynamodel.compiler.design.placement import Placement, pattern_need, view_need
from dynamodel.compiler.design.plans import (
    consistent_hint,
    entity_plan,
    hot_partition_warnings,
    not_on_table_reason,
    optional_sort_warnings,
    returns_one,
    view_plan,
)
from dynamodel.compiler.diagnostics import Diagnostic, error, sort_diagnostics
from dynamodel.compiler.spec import AccessPattern, Entity, Spec

__all__ = ["Design", "design_spec"]


def _table_kind(
    spec: Spec, pattern: AccessPattern, partition: tuple[str, ...], sort: tuple[str, ...]
) -> PlanKind | None:
    """How the base table serves an entity pattern, or None when it needs a GSI."""
    assert pattern.entity is not None
    entity = spec.entity(pattern.entity.name)
    assert entity is not None
    if pattern.shards:
        return None
    by = set(pattern.by_names)
    if by >= set(entity.id_names) and not spec.is_root(entity):
        # The id fixes one item: a GetItem, with the other `by` and `where` values compared
        # with the item read, serves it better than a GSI of one item per partition.
        return "get"
    if pattern.where:
        return None
    if by == set(entity.id_names):
        return "aggregate"
    if by != set(partition) or not by:
        return None
    if spec.is_root(entity):
        return None
    if sort[: len(pattern.sort_names)] != pattern.sort_names:
        return None
    return "page"


def _place(spec: Spec, base: BaseLayout) -> tuple[Placement, dict[str, PlanKind]]:
    """Serve what the base table can; place every other need into GSIs (views first)."""
    placement = Placement(
        dedicated=spec.table.indexes == "dedicated",
        optional={
            e.name: frozenset(a.name for a in e.attributes if a.optional) for e in spec.entities
        },
    )
    table_kinds: dict[str, PlanKind] = {}
    ordered = [p for p in spec.patterns if p.is_view] + [p for p in spec.patterns if not p.is_view]
    for pattern in ordered:
        if pattern.is_view:
            if pattern.name not in base.views:
                placement.place(pattern.name, view_need(spec, pattern))
            continue
        assert pattern.entity is not None
        layout = base.layouts[pattern.entity.name]
        kind = _table_kind(spec, pattern, layout.partition, layout.sort)
        if kind is not None:
            table_kinds[pattern.name] = kind
        else:
            placement.place(pattern.name, pattern_need(pattern))
    return placement, table_kinds


def _gsi_limit(spec: Spec, placement: Placement) -> list[Diagnostic]:
    found = []
    for position in range(MAX_GSIS, len(placement.indexes)):
        opener = spec.pattern(placement.first_pattern[position])
        assert opener is not None
        found.append(
            error(
                opener.pos,
                f"`{opener.name}` needs GSI number {position + 1}, but DynamoDB allows "
                f"{MAX_GSIS} GSIs per table",
                "align `by`/`sort` of patterns on the same entity so they share keys, or drop "
                "patterns",
            )
        )
    return found


def _ttl_attribute(spec: Spec, entity: Entity) -> str | None:
    return next((a.name for a in entity.attributes if a.ttl), None)


def _entities(
    spec: Spec,
    base: BaseLayout,
    placement: Placement,
    indexes: tuple[Index, ...],
    table_kinds: dict[str, PlanKind],
) -> tuple[EntityDesign, ...]:
    table_patterns: dict[str, list[str]] = {e.name: [] for e in spec.entities}
    for pattern in spec.patterns:
        if pattern.name in table_kinds and pattern.entity is not None:
            table_patterns[pattern.entity.name].append(pattern.name)
        elif pattern.name in base.views:
            for view_field in pattern.view:
                table_patterns[view_field.entity.name].append(pattern.name)
    entities: list[EntityDesign] = []
    for entity in spec.entities:
        table_layout = replace(
            base.layouts[entity.name], patterns=tuple(table_patterns[entity.name])
        )
        keys = [freeze_key(entity, table_layout, index=TABLE, partition_key="PK", sort_key="SK")]
        for index, layouts in zip(indexes, placement.indexes, strict=True):
            if entity.name in layouts:
                keys.append(
                    freeze_key(
                        entity,
                        layouts[entity.name],
                        index=index.name,
                        partition_key=index.partition_key,
                        sort_key=index.sort_key,
                    )
                )
        root = spec.aggregate_root(entity.name)
        entities.append(
            EntityDesign(
                name=entity.name,
                tag=entity.name,
                keys=tuple(keys),
                aggregate_root=root.name if root is not None and root.name != entity.name else None,
                members=tuple(e.name for e in spec.descendants(entity)),
                versioned=spec.is_versioned(entity),
                unique_guards=tuple(
                    unique_guard(entity, tuple(r.name for r in c)) for c in entity.unique
                ),
                ttl_attribute=_ttl_attribute(spec, root or entity),
                ttl_from_root=root is not None
                and root.name != entity.name
                and _ttl_attribute(spec, root) is not None,
            )
        )
    return tuple(entities)


def _plans(
    spec: Spec,
    entities: tuple[EntityDesign, ...],
    served_on: dict[str, str],
    table_kinds: dict[str, PlanKind],
    sided: dict[str, str],
    diagnostics: list[Diagnostic],
) -> tuple[PatternPlan, ...]:
    by_name = {e.name: e for e in entities}
    plans: list[PatternPlan] = []
    for pattern in spec.patterns:
        index = served_on[pattern.name]
        if pattern.is_view:
            keys: dict[str, EntityKey] = {}
            for view_field in pattern.view:
                view_key = by_name[view_field.entity.name].key_on(index)
                assert view_key is not None
                keys[view_field.entity.name] = view_key
            plans.append(view_plan(pattern, keys, other_side=sided.get(pattern.name)))
            continue
        assert pattern.entity is not None
        design = by_name[pattern.entity.name]
        entity = spec.entity(pattern.entity.name)
        assert entity is not None
        key = design.key_on(index)
        assert key is not None
        kind = table_kinds.get(pattern.name) or ("one" if returns_one(entity, pattern) else "page")
        plans.append(entity_plan(spec, pattern, design, key, kind=kind))
        reported = {d.pos for d in diagnostics}
        if index != TABLE and pattern.consistent and pattern.consistent_pos not in reported:
            assert pattern.consistent_pos is not None
            reason = not_on_table_reason(spec, pattern, entity, design.table_key)
            diagnostics.append(
                error(
                    pattern.consistent_pos,
                    f"`{pattern.name}` cannot be strongly consistent: {reason}, and GSIs are "
                    "eventually consistent",
                    consistent_hint(pattern),
                )
            )
    return tuple(plans)


def design_spec(spec: Spec) -> tuple[Design | None, tuple[Diagnostic, ...]]:
    """Design the table. Pure and deterministic: the same spec always gives the same design."""
    base = layout_base(spec)
    diagnostics: list[Diagnostic] = list(base.diagnostics)
    placement, table_kinds = _place(spec, base)
    diagnostics += _gsi_limit(spec, placement)
    indexes = name_indexes(placement.first_pattern, dedicated=placement.dedicated)
    served_on = {
        p.name: TABLE
        if p.name in table_kinds or p.name in base.views
        else indexes[placement.served[p.name]].name
        for p in spec.patterns
    }
    entities = _entities(spec, base, placement, indexes, table_kinds)
    plans = _plans(spec, entities, served_on, table_kinds, base.sided, diagnostics)
    warnings = [w for p in spec.patterns for w in hot_partition_warnings(spec, p)]
    warnings += [w for p in spec.patterns for w in optional_sort_warnings(spec, p)]
    if any(d.is_error for d in diagnostics):
        return None, sort_diagnostics(diagnostics + warnings)
    design = Design(
        spec=spec,
        table_name=spec.table.name,
        partition_key="PK",
        sort_key="SK",
        indexes=indexes,
        entities=entities,
        patterns=plans,
        warnings=sort_diagnostics(warnings),
        ttl_attribute=next((a.name for e in spec.entities for a in e.attributes if a.ttl), None),
    )
    capacity, capacity_warnings = estimate_capacity(design)
    warnings += capacity_warnings
    design = replace(design, capacity=capacity, warnings=sort_diagnostics(warnings))
    return design, sort_diagnostics(warnings)
