"""The design stage: a checked spec in, a table design (keys, GSIs, one plan per pattern) out."""

from __future__ import annotations

from dataclasses import replace

from dynamodel.compiler.design.base import layout_base
from dynamodel.compiler.design.ir import TABLE, Design, EntityDesign, EntityKey, PlanKind
from dynamodel.compiler.design.keys import MAX_GSIS, freeze_key, name_indexes, unique_guard
from dynamodel.compiler.design.placement import Placement, pattern_need, view_need
from dynamodel.compiler.design.plans import (
    entity_plan,
    hot_partition_warnings,
    not_on_table_reason,
    returns_one,
    view_plan,
)
from dynamodel.compiler.diagnostics import Diagnostic, error, sort_diagnostics
from dynamodel.compiler.spec import AccessPattern, Spec

__all__ = ["Design", "design_spec"]


def _table_kind(
    spec: Spec, pattern: AccessPattern, partition: tuple[str, ...], sort: tuple[str, ...]
) -> PlanKind | None:
    """How the base table serves an entity pattern, or None when it needs a GSI."""
    assert pattern.entity is not None
    entity = spec.entity(pattern.entity.name)
    assert entity is not None
    if pattern.where or pattern.shards:
        return None
    by = set(pattern.by_names)
    if by == set(entity.id_names):
        return "aggregate" if spec.is_root(entity) else "get"
    if by != set(partition) or not by:
        return None
    if spec.is_root(entity):
        return None
    if sort[: len(pattern.sort_names)] != pattern.sort_names:
        return None
    return "page"


def design_spec(spec: Spec) -> tuple[Design | None, tuple[Diagnostic, ...]]:
    """Design the table. Pure and deterministic: the same spec always gives the same design."""
    base = layout_base(spec)
    diagnostics: list[Diagnostic] = list(base.diagnostics)
    placement = Placement(dedicated=spec.table.indexes == "dedicated")
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

    indexes = name_indexes(placement.first_pattern, dedicated=placement.dedicated)
    for position in range(MAX_GSIS, len(indexes)):
        opener = next(p for p in spec.patterns if p.name == placement.first_pattern[position])
        diagnostics.append(
            error(
                opener.pos,
                f"`{opener.name}` needs a {position + 1}th GSI, but DynamoDB allows {MAX_GSIS} "
                "per table",
                "align `by`/`sort` of patterns on the same entity so they share keys, or drop "
                "patterns",
            )
        )

    ttl = next((a.name for e in spec.entities for a in e.attributes if a.ttl), None)
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
                ttl_attribute=next((a.name for a in entity.attributes if a.ttl), None),
            )
        )
    by_name = {e.name: e for e in entities}

    plans = []
    warnings: list[Diagnostic] = []
    for pattern in spec.patterns:
        warnings.extend(hot_partition_warnings(spec, pattern))
        if pattern.is_view:
            index = (
                TABLE
                if pattern.name in base.views
                else indexes[placement.served[pattern.name]].name
            )
            keys = {}
            for view_field in pattern.view:
                key = by_name[view_field.entity.name].key_on(index)
                assert key is not None
                keys[view_field.entity.name] = key
            plans.append(view_plan(pattern, keys))
            continue
        assert pattern.entity is not None
        design = by_name[pattern.entity.name]
        entity = spec.entity(pattern.entity.name)
        assert entity is not None
        if pattern.name in table_kinds:
            plans.append(
                entity_plan(spec, pattern, design, design.table_key, kind=table_kinds[pattern.name])
            )
            continue
        gsi_key: EntityKey | None = design.key_on(indexes[placement.served[pattern.name]].name)
        assert gsi_key is not None
        kind: PlanKind = "one" if returns_one(entity, pattern) else "page"
        plans.append(entity_plan(spec, pattern, design, gsi_key, kind=kind))
        reported = {d.pos for d in diagnostics}
        if (
            pattern.consistent
            and pattern.consistent_pos is not None
            and pattern.consistent_pos not in reported
        ):
            reason = not_on_table_reason(spec, pattern, entity, design.table_key)
            diagnostics.append(
                error(
                    pattern.consistent_pos,
                    f"`{pattern.name}` cannot be strongly consistent: {reason}, and GSIs are "
                    "eventually consistent",
                    "drop `consistent: true`, or read by the id (or a part of it) instead",
                )
            )
    if any(d.is_error for d in diagnostics):
        return None, sort_diagnostics(diagnostics + warnings)
    design_result = Design(
        spec=spec,
        table_name=spec.table.name,
        partition_key="PK",
        sort_key="SK",
        indexes=indexes,
        entities=tuple(entities),
        patterns=tuple(plans),
        warnings=sort_diagnostics(warnings),
        ttl_attribute=ttl,
    )
    return design_result, sort_diagnostics(warnings)
