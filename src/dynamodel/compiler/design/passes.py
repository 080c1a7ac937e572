"""The design stage as an ordered list of named passes over one typed state.

Each pass is a pure function `DesignState -> DesignState`: it reads what earlier passes
decided and returns a new state with its own part filled in (in the manner of sqlglot's
optimizer `RULES`). `PASSES` lists them in order; `design_spec` (in `__init__`) runs them and
assembles the `Design`. The rules themselves live in the modules the passes call: `base`
(base-table layout and views), `placement` (GSIs), `keys` (key templates, index names),
`plans` (the request per pattern, warnings) and `capacity`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from dynamodel.compiler.design.base import (
    BaseKey,
    BaseLayout,
    base_key_candidates,
    layout_entities,
    place_base_views,
)
from dynamodel.compiler.design.ir import (
    TABLE,
    EntityDesign,
    EntityKey,
    Index,
    PatternPlan,
    PlanKind,
)
from dynamodel.compiler.design.keys import MAX_GSIS, freeze_key, name_indexes, unique_guard
from dynamodel.compiler.design.layout import Layout, fixed_parts
from dynamodel.compiler.design.placement import (
    Need,
    Placement,
    pair_views,
    pattern_need,
    sided_view_need,
    view_need,
)
from dynamodel.compiler.design.plans import (
    consistent_hint,
    entity_plan,
    hot_partition_warnings,
    not_on_table_reason,
    optional_sort_warnings,
    view_plan,
)
from dynamodel.compiler.design.search import fewest_gsis
from dynamodel.compiler.diagnostics import Diagnostic, error
from dynamodel.compiler.spec.cardinality import returns_one
from dynamodel.compiler.spec.model import AccessPattern, Entity, Spec
from dynamodel.compiler.spec.stored_types import clash_warnings


def _no_kinds() -> Mapping[str, PlanKind]:
    return MappingProxyType({})


def _no_indexes() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class DesignState:
    """What the passes have decided so far; each pass fills in its part."""

    spec: Spec
    # the base keys the search chose where an entity's patterns wish for different ones
    base_choice: Mapping[str, BaseKey] = field(default_factory=lambda: MappingProxyType({}))
    base: BaseLayout = field(default_factory=BaseLayout)  # base-table layouts and views
    # entity patterns the base table serves, and how
    table_kinds: Mapping[str, PlanKind] = field(default_factory=_no_kinds)
    placement: Placement | None = None  # every other need, in GSIs
    # views sharing a GSI partition with a view of the same head in the other order
    gsi_sided: Mapping[str, str] = field(default_factory=_no_indexes)
    indexes: tuple[Index, ...] = ()
    served_on: Mapping[str, str] = field(default_factory=_no_indexes)  # pattern -> index
    entities: tuple[EntityDesign, ...] = ()
    plans: tuple[PatternPlan, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()  # errors (and warnings) found so far
    warnings: tuple[Diagnostic, ...] = ()


Pass = Callable[[DesignState], DesignState]


# Past this many entities with a choice of base key, the ranked defaults stand.
MAX_CHOOSING_ENTITIES = 24
MAX_COMBINATIONS = 64  # up to this many combinations are all tried; past it, one by one


def base_key_search(state: DesignState) -> DesignState:
    """Where an entity's patterns and views wish for different base keys, the one that leaves
    the fewest GSIs (then the fewest GSI keys, which every write copies; then the ranked
    default): all combinations when few, else each entity in turn, twice over."""
    candidates = base_key_candidates(state.spec)
    if not candidates or len(candidates) > MAX_CHOOSING_ENTITIES:
        return state
    names = sorted(candidates)
    defaults = {name: candidates[name][0] for name in names}
    cost = _layout_cost(state.spec, defaults)
    best = dict(defaults)
    sizes = [len(candidates[name]) for name in names]
    if math.prod(sizes) <= MAX_COMBINATIONS:
        for keys in itertools.product(*(candidates[name] for name in names)):
            choice = dict(zip(names, keys, strict=True))
            trial = _layout_cost(state.spec, choice)
            if trial < cost:
                cost, best = trial, choice
    else:
        for _ in range(2):
            for name in names:
                for key in (
                    candidates[name][1:] if best[name] == defaults[name] else candidates[name]
                ):
                    choice = {**best, name: key}
                    trial = _layout_cost(state.spec, choice)
                    if trial < cost:
                        cost, best = trial, choice
    changed = {name: key for name, key in best.items() if key != defaults[name]}
    return replace(state, base_choice=MappingProxyType(changed))


def _layout_cost(spec: Spec, choice: Mapping[str, BaseKey]) -> tuple[int, int]:
    """GSIs, then GSI keys (entity copies), of the design with these base keys."""
    state = DesignState(spec=spec, base_choice=choice)
    for design_pass in (base_layout, base_table_views, base_table_patterns, gsi_placement):
        state = design_pass(state)
    assert state.placement is not None
    indexes = state.placement.indexes
    return len(indexes), sum(len(index) for index in indexes)


def base_layout(state: DesignState) -> DesignState:
    """Each entity's base partition: aggregates whole, others by the id subset they are read
    by, or the key the search chose (`base.layout_entities`)."""
    base = layout_entities(state.spec, state.base_choice)
    return replace(state, base=base, diagnostics=state.diagnostics + tuple(base.diagnostics))


def base_table_views(state: DesignState) -> DesignState:
    """Views whose entities can share a base partition are served there; two views of one
    parent in opposite orders share it (`base.place_base_views`)."""
    return replace(state, base=place_base_views(state.spec, state.base))


def base_table_patterns(state: DesignState) -> DesignState:
    """Entity patterns the base table serves: a GetItem by the id (with compared values), an
    aggregate's Query, or a page of the entity's base partition."""
    kinds: dict[str, PlanKind] = {}
    for pattern in state.spec.patterns:
        if pattern.entity is None:
            continue
        layout = state.base.layouts[pattern.entity.name]
        kind = _table_kind(state.spec, pattern, layout.partition, layout.sort)
        if kind is not None:
            kinds[pattern.name] = kind
    return replace(state, table_kinds=MappingProxyType(kinds))


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
    if by >= set(entity.key_names) and not spec.is_root(entity):
        # The id fixes one item: a GetItem, with the other `by` and `where` values compared
        # with the item read, serves it better than a GSI of one item per partition.
        return "get"
    if by == set(entity.id_names) and not pattern.where and spec.is_root(entity):
        return "aggregate"
    if not by or spec.is_root(entity):
        return None
    # `by` may fix leading sort parts too (as may `where`): begins_with on the sort key.
    fixed = fixed_parts((partition, sort, ()), pattern.by_names, pattern.where_items)
    if fixed is None or sort[fixed : fixed + len(pattern.sort_names)] != pattern.sort_names:
        return None
    # By the id without the `collection`: one item, in a partition of the table.
    return "one" if returns_one(entity, pattern) else "page"


def gsi_placement(state: DesignState) -> DesignState:
    """Every need the base table does not serve goes into GSIs, views first (they constrain
    several entities at once), then patterns in spec order: greedily, then by an exact search
    for fewer GSIs (`search.fewest_gsis`)."""
    spec = state.spec
    needs: list[tuple[str, Need]] = []
    views = [p for p in spec.patterns if p.is_view and p.name not in state.base.views]
    sided: dict[str, str] = {}
    for view, partner in pair_views(views):
        if partner is None:
            needs.append((view.name, view_need(spec, view)))
        else:
            needs.append((view.name, sided_view_need(spec, view, partner)))
            sided.update({view.name: partner.name, partner.name: view.name})
    for pattern in spec.patterns:
        if not pattern.is_view and pattern.name not in state.table_kinds:
            needs.append((pattern.name, pattern_need(pattern)))
    placement = fewest_gsis(
        needs,
        dedicated=spec.table.indexes == "dedicated",
        optional={
            e.name: frozenset(a.name for a in e.attributes if a.optional) for e in spec.entities
        },
    )
    for name, other in sided.items():  # a pair is one need, placed under its first view
        if name not in placement.served:
            placement.served[name] = placement.served[other]
    return replace(state, placement=placement, gsi_sided=MappingProxyType(sided))


def gsi_limit(state: DesignState) -> DesignState:
    """DynamoDB allows 20 GSIs: name the pattern that would open each one past it."""
    assert state.placement is not None
    found = []
    for position in range(MAX_GSIS, len(state.placement.indexes)):
        opener = state.spec.pattern(state.placement.first_pattern[position])
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
    return replace(state, diagnostics=state.diagnostics + tuple(found))


def index_naming(state: DesignState) -> DesignState:
    """`GSI1`, `GSI2`... (overloaded) or `<FirstPattern>Index` (dedicated), and which index
    serves each pattern."""
    placement = state.placement
    assert placement is not None
    indexes = name_indexes(placement.first_pattern, dedicated=placement.dedicated)
    served_on = {
        p.name: TABLE
        if p.name in state.table_kinds or p.name in state.base.views
        else indexes[placement.served[p.name]].name
        for p in state.spec.patterns
    }
    return replace(state, indexes=indexes, served_on=MappingProxyType(served_on))


def key_freezing(state: DesignState) -> DesignState:
    """Layouts become key templates: one per entity on the table and on each of its GSIs."""
    spec, placement = state.spec, state.placement
    assert placement is not None
    table_patterns: dict[str, list[str]] = {e.name: [] for e in spec.entities}
    for pattern in spec.patterns:
        if pattern.name in state.table_kinds and pattern.entity is not None:
            table_patterns[pattern.entity.name].append(pattern.name)
        elif pattern.name in state.base.views:
            for view_field in pattern.view:
                table_patterns[view_field.entity.name].append(pattern.name)
    # Per GSI: entity -> its (slot, layout) pairs, in slot order (one unless it has roles).
    slots_by_entity: list[dict[str, list[tuple[str, Layout]]]] = []
    for layouts in placement.indexes:
        grouped: dict[str, list[tuple[str, Layout]]] = {}
        for slot, layout in sorted(layouts.items()):
            grouped.setdefault(layout.entity, []).append((slot, layout))
        slots_by_entity.append(grouped)
    entities: list[EntityDesign] = []
    for entity in spec.entities:
        table_layout = replace(
            state.base.layouts[entity.name], patterns=tuple(table_patterns[entity.name])
        )
        keys = [freeze_key(entity, table_layout, index=TABLE, partition_key="PK", sort_key="SK")]
        for index, grouped_slots in zip(state.indexes, slots_by_entity, strict=True):
            # The entity's key in this GSI, or its keys there as roles of one view.
            for slot, layout in grouped_slots.get(entity.name, []):
                key = freeze_key(
                    entity,
                    layout,
                    index=index.name,
                    partition_key=index.partition_key,
                    sort_key=index.sort_key,
                )
                keys.append(replace(key, slot=slot) if slot != entity.name else key)
        entities.append(_entity_design(spec, entity, tuple(keys)))
    return replace(state, entities=tuple(entities))


def _entity_design(spec: Spec, entity: Entity, keys: tuple[EntityKey, ...]) -> EntityDesign:
    root = spec.aggregate_root(entity.name)
    return EntityDesign(
        name=entity.name,
        tag=entity.name,
        keys=keys,
        aggregate_root=root.name if root is not None and root.name != entity.name else None,
        members=tuple(e.name for e in spec.descendants(entity)),
        versioned=spec.is_versioned(entity),
        unique_guards=tuple(unique_guard(entity, tuple(r.name for r in c)) for c in entity.unique),
        ttl_attribute=_ttl_attribute(root or entity),
        ttl_from_root=root is not None
        and root.name != entity.name
        and _ttl_attribute(root) is not None,
    )


def _ttl_attribute(entity: Entity) -> str | None:
    return next((a.name for a in entity.attributes if a.ttl), None)


def pattern_plans(state: DesignState) -> DesignState:
    """The one request (or one per shard) per pattern; a `consistent: true` pattern that
    ended up on a GSI is an error saying why."""
    spec = state.spec
    by_name = {e.name: e for e in state.entities}
    diagnostics = list(state.diagnostics)
    plans: list[PatternPlan] = []
    for pattern in spec.patterns:
        index = state.served_on[pattern.name]
        if pattern.is_view:
            keys: dict[str, EntityKey] = {}
            for view_field in pattern.view:
                slot = view_field.slot(pattern)
                view_key = next(
                    k
                    for k in by_name[view_field.entity.name].keys
                    if k.index == index and (k.slot or view_field.entity.name) == slot
                )
                keys[view_field.name] = view_key
            other_side = state.base.sided.get(pattern.name) or state.gsi_sided.get(pattern.name)
            plans.append(view_plan(pattern, keys, other_side=other_side))
            continue
        assert pattern.entity is not None
        design = by_name[pattern.entity.name]
        entity = spec.entity(pattern.entity.name)
        assert entity is not None
        key = design.key_on(index)
        assert key is not None
        kind = state.table_kinds.get(pattern.name) or (
            "one" if returns_one(entity, pattern) else "page"
        )
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
    return replace(state, plans=tuple(plans), diagnostics=tuple(diagnostics))


def design_warnings(state: DesignState) -> DesignState:
    """Hot partitions, optional attributes that leave items out of a sorted pattern, and
    attribute names stored as two types (a NoSQL Workbench model holds one)."""
    spec = state.spec
    found = [w for p in spec.patterns for w in hot_partition_warnings(spec, p)]
    found += [w for p in spec.patterns for w in optional_sort_warnings(spec, p)]
    found += clash_warnings(spec)
    return replace(state, warnings=state.warnings + tuple(found))


# The design stage, in order. Capacity estimates run on the assembled `Design` afterwards.
PASSES: tuple[tuple[str, Pass], ...] = (
    ("base key search", base_key_search),
    ("base layout", base_layout),
    ("views on the base table", base_table_views),
    ("patterns on the base table", base_table_patterns),
    ("GSI placement", gsi_placement),
    ("GSI limit", gsi_limit),
    ("index naming", index_naming),
    ("key freezing", key_freezing),
    ("plans", pattern_plans),
    ("warnings", design_warnings),
)
