"""Per access pattern: the exact request that serves it, with notes and warnings."""

from __future__ import annotations

from dynamodel.compiler.design.ir import (
    TABLE,
    EntityDesign,
    EntityKey,
    PatternPlan,
    PlanKind,
    ViewPart,
)
from dynamodel.compiler.design.layout import fixed_parts
from dynamodel.compiler.diagnostics import Diagnostic, warning
from dynamodel.compiler.spec.cardinality import returns_one
from dynamodel.compiler.spec.model import AccessPattern, Entity, Presence, Spec


def _conditions(key: EntityKey, pattern: AccessPattern, *, exact: bool) -> tuple[str, str | None]:
    pk, sk = key.partition_key, key.sort_key
    if exact:
        return f"{pk} = :pk AND {sk} = :sk", None
    condition = f"{pk} = :pk AND begins_with({sk}, :sk)"
    range_condition = f"{pk} = :pk AND {sk} BETWEEN :sk_from AND :sk_to" if pattern.sort else None
    return condition, range_condition


def entity_plan(
    spec: Spec,
    pattern: AccessPattern,
    design: EntityDesign,
    key: EntityKey,
    *,
    kind: PlanKind,
) -> PatternPlan:
    on_table = key.index == TABLE
    fixed: tuple[str, ...] = ()
    if kind in ("one", "page"):
        count = fixed_parts(
            (key.partition_attributes, key.sort_attributes, key.where),
            pattern.by_names,
            pattern.where_items,
        )
        assert count is not None, f"{pattern.name} is not served by {key.index}"
        fixed = key.sort_attributes[:count]
    # Fixed parts that are the whole sort key (no id part after them) name it exactly.
    whole = bool(fixed) and fixed == key.sort.attributes
    if kind == "aggregate":
        condition, range_condition = f"{key.partition_key} = :pk", None
    else:
        exact = key.head or kind == "get" or whole
        condition, range_condition = _conditions(key, pattern, exact=exact)
    sort = pattern.sort_names
    entity = spec.entity(design.name)
    identity = set(entity.key_names) if entity is not None else set()
    checked = tuple(a for a in pattern.by_names if a not in identity) if kind == "get" else ()
    return PatternPlan(
        name=pattern.name,
        kind=kind,
        entity=design.name,
        operation="GetItem" if kind == "get" else "Query",
        index=None if on_table else key.index,
        requests=key.shards or 1,
        consistent=kind == "aggregate" or (on_table and pattern.consistent),
        consistent_allowed=on_table,
        key_condition=condition,
        range_condition=range_condition,
        scan_forward=pattern.order == "asc",
        partition=key.partition,
        sort=key.sort,
        by=_ordered_by(key, pattern),
        equality_sort=sort[:-1],
        range_attribute=sort[-1] if sort else None,
        limit=pattern.limit,
        shards=key.shards,
        where=pattern.where_items,
        checked=checked,
        fixed_sort=fixed,
        notes=_notes(spec, pattern, design, key, kind, checked, fixed),
        spec_line=pattern.pos.line,
    )


def _ordered_by(key: EntityKey, pattern: AccessPattern) -> tuple[str, ...]:
    """The `by` attributes in key order: partition first, then the sort key's."""
    order = [*key.partition_attributes, *key.sort_attributes, *key.tiebreak_attributes]
    ranked = sorted(pattern.by_names, key=lambda a: order.index(a) if a in order else len(order))
    return tuple(ranked)


def view_plan(
    pattern: AccessPattern, keys: dict[str, EntityKey], *, other_side: str | None = None
) -> PatternPlan:
    # The partition template (and the method's arguments) of a field read by the view's own
    # `by` attributes; a role's key reads the same partition through its own attributes.
    first = keys[next((f for f in pattern.view if not f.by), pattern.view[0]).name]
    on_table = first.index == TABLE
    parts = tuple(
        ViewPart(
            field=f.name,
            entity=f.entity.name,
            many=f.many,
            sort_prefix=keys[f.name].sort.segments[0].text,
            where=f.where_items(),
        )
        for f in pattern.view
    )
    where = "the base table" if on_table else first.index
    forward = pattern.order == "asc"
    condition = f"{first.partition_key} = :pk"
    head_bound = None
    if other_side is None:
        notes = [f"one partition of {where} holds exactly the view's items, single items first"]
    else:
        heads = sorted(p.sort_prefix for p in parts if not p.many)
        head_bound = heads[0] if forward else heads[-1]
        condition += f" AND {first.sort_key} {'>=' if forward else '<='} :sk"
        lists = ", ".join(f"`{p.sort_prefix}`" for p in parts if p.many)
        side = "after" if forward else "before"
        notes = [
            f"shares its partition of {where} with `{other_side}`: the single items "
            f"({', '.join(f'`{h}`' for h in heads)}) sort between the two views' lists, this "
            f"view's ({lists}) {side} them; it reads from `{head_bound}` "
            f"{'forward' if forward else 'backward'}, single items first"
        ]
    roles = [f for f in pattern.view if f.is_role]
    if roles:
        shown = []
        for f in roles:
            text = f"`{f.name}` holds {f.entity.name} items"
            if f.where:
                text += " with " + ", ".join(f"{a} = {_shown(v)}" for a, v in f.where_items())
            if f.by:
                text += " read by " + ", ".join(f.by_names(pattern))
            shown.append(text)
        notes.append(
            "roles, each a key of its own in "
            + where
            + " (sparse by its `where`, so an item is in one field): "
            + "; ".join(shown)
        )
    singles = sum(not f.many for f in pattern.view)
    lists_count = len(pattern.view) - singles
    if lists_count == 1 and pattern.limit is not None:
        notes.append(
            f"bounded: Limit {singles + pattern.limit + 1} reads the single items, the first "
            f"{pattern.limit} list items and one more, which tells whether `cursor` continues"
        )
    elif lists_count == 1:
        notes.append(
            "unbounded: reads all the view's items (a request per 1 MB) unless the call "
            "passes `limit`"
        )
    elif lists_count:
        notes.append("unbounded: reads all the view's items (a request per 1 MB)")
    return PatternPlan(
        name=pattern.name,
        kind="view",
        entity=None,
        operation="Query",
        index=None if on_table else first.index,
        requests=1,
        consistent=False,
        consistent_allowed=False,  # views are denormalized reads: eventually consistent
        key_condition=condition,
        range_condition=None,
        scan_forward=forward,
        partition=first.partition,
        sort=None,
        by=first.partition_attributes,
        equality_sort=(),
        range_attribute=None,
        limit=pattern.limit,
        shards=None,
        view=parts,
        head_bound=head_bound,
        notes=tuple(notes),
        spec_line=pattern.pos.line,
    )


def _notes(
    spec: Spec,
    pattern: AccessPattern,
    design: EntityDesign,
    key: EntityKey,
    kind: PlanKind,
    checked: tuple[str, ...],
    fixed: tuple[str, ...],
) -> tuple[str, ...]:
    notes: list[str] = []
    where = "the base table" if key.index == TABLE else key.index
    if kind == "aggregate":
        notes.append(
            f"returns the aggregate: the root and its members ({', '.join(design.members)})"
        )
    if kind == "one" and key.index != TABLE:
        notes.append("returns at most one item")
    compared = [*checked, *(f"{ref.name} = {_shown(value)}" for ref, value in pattern.where)]
    if kind == "get" and compared:
        notes.append(
            f"the id fixes one item: GetItem by it, then {', '.join(compared)} compared with "
            "the item read (None when they differ); no GSI"
        )
    if fixed:
        values = dict(pattern.where_items)
        shown = [f"{a} = {_shown(values[a])}" if a in values else a for a in fixed]
        notes.append(
            f"{', '.join(shown)} fixed as the leading sort part{'s' if len(fixed) > 1 else ''} "
            f"of {where} (begins_with): shares the key partitioned by "
            f"{', '.join(key.partition_attributes)}"
        )
    for attribute, value in key.where:
        notes.append(
            f"sparse: only {design.name} items with {attribute} = {_shown(value)} are in {where}"
        )
    for attribute in key.sparse_attributes:
        notes.append(f"sparse: {design.name} items without {attribute} are not in {where}")
    if key.shards:
        notes.append(
            f"write-sharded over {key.shards} partitions: {key.shards} parallel Queries, "
            "merged in sort order"
        )
    entity = spec.entity(design.name)
    base = design.table_key
    identity = set(entity.id_names) if entity is not None else set()
    gsi_side, table_side = set(key.partition_attributes), set(base.partition_attributes)
    if (
        key.index != TABLE
        and gsi_side
        and gsi_side < identity
        and table_side < identity
        and not gsi_side & table_side
    ):
        notes.append("inverted index: reads the many-to-many relation from its other side")
    return tuple(notes)


def _shown(value: object) -> object:
    return str(value).lower() if isinstance(value, bool | Presence) else value


def hot_partition_warnings(spec: Spec, pattern: AccessPattern) -> list[Diagnostic]:
    if pattern.shards or pattern.is_view or pattern.entity is None:
        return []
    entity = spec.entity(pattern.entity.name)
    if entity is None:
        return []
    if not pattern.by:
        # A sparse pattern's partition takes only the writes of the items it selects.
        selected = [f"{ref.name} = {_shown(v)}" for ref, v in pattern.where]
        selected += [
            ref.name
            for ref in pattern.sort
            if (attribute := entity.attribute(ref.name)) is not None and attribute.optional
        ]
        which = f"every {entity.name}" + (f" with {' and '.join(selected)}" if selected else "")
        return [
            warning(
                pattern.pos,
                f"`{pattern.name}` lists {which} from one partition: all writes of "
                f"{'those items' if selected else entity.name} land there (a hot "
                "partition above ~1,000 writes/s)",
                "add `shards: N`, or add a high-cardinality attribute to `by`",
            )
        ]
    if returns_one(entity, pattern):
        return []  # a partition per item: as many partitions as items, whatever the types
    attributes = [entity.attribute(ref.name) for ref in pattern.by]
    if all(a is not None and a.low_cardinality for a in attributes):
        names = ", ".join(pattern.by_names)
        return [
            warning(
                pattern.pos,
                f"`{pattern.name}` partitions by {names}, which has few distinct values: "
                "a few partitions take every write (hot partitions)",
                "add a high-cardinality attribute (such as a tenant id) to `by`, or `shards: N`",
            )
        ]
    return []


def optional_sort_warnings(spec: Spec, pattern: AccessPattern) -> list[Diagnostic]:
    """An optional attribute in `sort` leaves the items without it out of the pattern: the
    index key it orders needs a value (the key is sparse), as an optional `by` attribute does.
    Warned, since unlike `by` the reader may not expect it."""
    if pattern.is_view:
        entities = [(f.entity.name, f.name) for f in pattern.view if f.many]
    elif pattern.entity is not None:
        entities = [(pattern.entity.name, "")]
    else:
        return []
    found = []
    for ref in pattern.sort:
        for name, field_name in entities:
            entity = spec.entity(name)
            attribute = entity.attribute(ref.name) if entity is not None else None
            if attribute is None or not attribute.optional:
                continue
            where = f" (field `{field_name}`)" if field_name else ""
            found.append(
                warning(
                    ref.pos,
                    f"`{pattern.name}` sorts by `{ref.name}`, which is optional: {name} items "
                    f"without it are left out of `{pattern.name}`{where}",
                    f"make `{ref.name}` required or give it a `default` if every {name} "
                    "should be listed",
                )
            )
    return found


def not_on_table_reason(
    spec: Spec, pattern: AccessPattern, entity: Entity, base_key: EntityKey
) -> str:
    identity = set(entity.id_names)
    if pattern.where:
        return "it uses `where`, which a sparse GSI serves"
    if pattern.shards:
        return "it is write-sharded, which a GSI serves"
    if not pattern.by:
        return f"it lists every {entity.name}, which only a GSI can do"
    outside = [a for a in pattern.by_names if a not in identity]
    if outside:
        unique = any({r.name for r in c} == set(pattern.by_names) for c in entity.unique)
        what = "a unique attribute, looked up in a GSI" if unique else "not part of its id"
        return f"it reads {entity.name} by {', '.join(outside)}, {what}"
    unsorted = [a for a in pattern.sort_names if a not in identity]
    if unsorted:
        return f"it sorts by {', '.join(unsorted)}, which is not part of the id of {entity.name}"
    if spec.is_root(entity):
        return (
            f"the base table gives each {entity.name} aggregate a partition of its own, so "
            f"lists of {entity.name} come from a GSI"
        )
    partition = ", ".join(base_key.partition_attributes)
    return f"the base table partitions {entity.name} by [{partition}] for other patterns"


def consistent_hint(pattern: AccessPattern) -> str:
    if pattern.where:
        return "drop `consistent: true`, or drop `where` and read by the id (or part of it)"
    if pattern.shards:
        return "drop `consistent: true`, or drop `shards`"
    return "drop `consistent: true`, or read by the id (or a part of it) instead"
