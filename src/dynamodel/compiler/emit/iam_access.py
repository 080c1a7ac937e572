"""What each repository method sends to DynamoDB, as IAM sees it: actions, resources, keys.

`dynamodel iam` grants exactly these. They are read off the design and mirror the runtime
(`dynamodel.runtime`): a pattern is one GetItem or Query (one per shard); a write is a
conditional single-item request or a TransactWriteItems, which IAM authorises per contained
action (Put as PutItem, Update as UpdateItem, Delete as DeleteItem); a save, update or delete
that checks the stored item first reads it with GetItem (or, for an aggregate, a Query of its
partition); a write that claims a unique value may read the guard holding it and that guard's
owner (GetItem) to take over a stale guard, checking the owner in the same transaction
(ConditionCheckItem); batches are BatchGetItem / BatchWriteItem. `tests/test_iam_grants.py`
records the requests of every method on moto and checks the policy against them.

The copies handler (`<package>/copies.py`, spec 1.1 `copy_of`) is not a repository method:
it queries the holder lookup patterns, and its own requests, `COPY_UPDATES`, are one
UpdateItem per holder item (`dynamodel.runtime.copies`); `tests/test_copies_stack.py` records
them.
"""

from __future__ import annotations

from dataclasses import dataclass

from dynamodel.compiler.design.ir import Design, EntityDesign, KeyTemplate, Segment
from dynamodel.compiler.names import SHARED_WRITE_METHODS, write_methods
from dynamodel.compiler.spec.model import Spec
from dynamodel.compiler.spec.updates import updatable
from dynamodel.runtime.names import MARKER_TAG

# apply_once markers: `_applied#<consumer>#<token>` (dynamodel.runtime.counters.marker_key).
MARKER_TEMPLATE = KeyTemplate(
    (
        Segment("literal", MARKER_TAG),
        Segment("attribute", "consumer", "str"),
        Segment("attribute", "token", "str"),
    )
)
BATCH_ACTIONS = frozenset({"BatchGetItem", "BatchWriteItem"})
# The UpdateItems the copies handler sends to holder items: a name no repository method has.
COPY_UPDATES = "copies.handler"


@dataclass(frozen=True)
class Target:
    """Partitions a request reaches: a partition key template, and what lives there."""

    template: KeyTemplate
    what: str  # for messages: "Ticket items", "the unique guards of User.email"


@dataclass(frozen=True)
class Access:
    """One kind of request a method sends: an action on the table or one index, to partitions
    of the given templates (one per request, except batches, whose one request holds keys of
    any of them)."""

    method: str
    action: str  # the DynamoDB action, e.g. "PutItem"
    index: str | None  # None: the table
    targets: tuple[Target, ...]


def method_names(spec: Spec) -> dict[str, tuple[str, str | None]]:
    """Every write method of the spec's repository -> (kind, entity or None)."""
    own = [e for e in spec.entities if spec.root_of(e.name) is None]
    fixed = [e.name for e in own if not updatable(spec, e)]
    return write_methods((e.name for e in own), without_update=fixed)


def accesses(design: Design, method: str) -> tuple[Access, ...]:
    """The requests of a pattern or write method (KeyError for an unknown name)."""
    if method in {p.name for p in design.patterns}:
        return _pattern(design, method)
    if method == COPY_UPDATES:
        return _copy_updates(design)
    kind, entity = method_names(design.spec)[method]
    if entity is None:
        return _shared(design, method)
    return _entity_write(design, method, kind, design.entity(entity))


def _pattern(design: Design, name: str) -> tuple[Access, ...]:
    plan = design.pattern(name)
    what = f"{plan.entity} items" if plan.entity else "the view's items"
    target = Target(plan.partition, what)
    return (Access(name, plan.operation, plan.index, (target,)),)


def _copy_updates(design: Design) -> tuple[Access, ...]:
    """UpdateItem on the items of every entity holding copies (each in its table partition)."""
    spec = design.spec
    holders = tuple(design.entity(e.name) for e in spec.entities if spec.copies_in(e))
    targets = _targets(design, holders)
    return (Access(COPY_UPDATES, "UpdateItem", None, targets),) if targets else ()


def _items(design: Design, entity: EntityDesign) -> tuple[Target, ...]:
    """The table partitions of an entity's items and of its members' (the root's partition)."""
    found: dict[str, Target] = {}
    for name in (entity.name, *entity.members):
        template = design.entity(name).table_key.partition
        found.setdefault(template.rendered, Target(template, f"{entity.name} items"))
    return tuple(found.values())


def _guards(entity: EntityDesign, *, movable_only: Design | None = None) -> tuple[Target, ...]:
    """The partitions of the entity's unique guards; with `movable_only`, only of those whose
    value an item can change (not every attribute part of its key, or derived from it)."""
    fixed: set[str] = set()
    if movable_only is not None and (model := movable_only.spec.entity(entity.name)):
        fixed = set(model.key_names) | {
            a.name
            for a in model.attributes
            if a.derived and a.derived.source.name in model.key_names
        }
    return tuple(
        Target(g.partition, f"the unique guards of {'.'.join((entity.name, *g.attributes))}")
        for g in entity.unique_guards
        if not set(g.attributes) <= fixed
    )


def _counted(design: Design, entity: EntityDesign) -> tuple[tuple[Target, ...], bool]:
    """The table partitions of the parents whose counters the entity's writes move
    (`counts:`), and whether other entities count in this one (its save keeps the counter)."""
    spec = design.spec
    model = spec.entity(entity.name)
    assert model is not None
    parents = _targets(design, tuple(design.entity(p.name) for p, _ in model.counts))
    return parents, any(p.name == entity.name for e in spec.entities for p, _ in e.counts)


def _entity_write(
    design: Design, method: str, kind: str, entity: EntityDesign
) -> tuple[Access, ...]:
    items, guards = _items(design, entity), _guards(entity)
    # Guards whose value an existing item can give up: not those of values its key fixes.
    movable = _guards(entity, movable_only=design)
    root = (Target(entity.table_key.partition, f"{entity.name} items"),)
    parents, counted = _counted(design, entity)
    checked = entity.versioned or bool(guards) or bool(entity.members) or bool(parents or counted)
    sources = _copy_sources(design, entity)
    # The consistent read of the stored state before a checked save or delete.
    read = Access(method, "Query" if entity.members else "GetItem", None, root)
    needs: list[tuple[str, tuple[Target, ...]]] = []
    if kind == "create":
        needs.append(("PutItem", items + guards))
    elif kind == "save":
        needs.append(("PutItem", items + guards))
        if entity.members or movable:  # members that left, guards whose value moved
            needs.append(("DeleteItem", (items if entity.members else ()) + movable))
    elif kind == "update":
        needs.append(("UpdateItem", root))
        # A moved value's guards; an expiry carried to the guards kept.
        needs += [("PutItem", guards if entity.ttl_attribute else movable), ("DeleteItem", movable)]
        if any(design.entity(m).ttl_from_root for m in entity.members):
            # A changed expiry is copied onto every member: a Query, then UpdateItems.
            needs += [("Query", root), ("UpdateItem", items)]
    else:
        needs.append(("DeleteItem", items + guards))
    if parents and kind != "update":
        # `counts:` (dynamodel.runtime.counted): a create (or a save that creates) adds 1 to
        # each parent's counter, a delete subtracts 1, or, with the parent gone (read), checks
        # that it stays gone.
        needs.append(("UpdateItem", parents))
        if kind == "delete":
            needs += [("GetItem", parents), ("ConditionCheckItem", parents)]
    # The guards of values the write may claim: all on a create or a save (which may create),
    # the movable ones on an update.
    claims = guards if kind in ("create", "save") else movable if kind == "update" else ()
    if claims:
        # A value held by a guard whose owner may be gone: the guard and the owner it names
        # are read (GetItem) before the guard is taken over, in a transaction that checks the
        # owner still does not hold the value (ConditionCheckItem; dynamodel.runtime.guards).
        # The owner is checked unless it is the item written: an entity whose only id is the
        # tenant has no other item a tenant's function may reach.
        needs.append(("GetItem", claims + root))
        tenant = design.spec.table.tenant
        model = design.spec.entity(entity.name)
        if model is not None and any(tenant is None or n != tenant.name for n in model.id_names):
            needs.append(("ConditionCheckItem", root))
    if sources and kind in ("create", "save"):
        # `copy_of` (dynamodel.runtime.copies.fill_copies): each source is read (consistent
        # GetItem) and checked unchanged in the transaction that writes the holder. A save
        # reads the holder's stored state only when it is checked anyway (version, guards,
        # members, counters): the copies alone need no read of the holder.
        needs += [("GetItem", sources), ("ConditionCheckItem", sources)]
    result = [Access(method, action, None, targets) for action, targets in needs]
    if kind == "update" or (kind in ("save", "delete") and checked):
        if kind == "update":
            read = Access(method, "GetItem", None, root)  # an update never reads members
        result.insert(0, read)
    return _merged(result)


def _copy_sources(design: Design, entity: EntityDesign) -> tuple[Target, ...]:
    """The table partitions of the sources the entity holds copies of (`copy_of`)."""
    spec = design.spec
    model = spec.entity(entity.name)
    assert model is not None
    return _targets(design, tuple(design.entity(name) for name, _ in spec.copies_in(model)))


def batch_writable(design: Design) -> tuple[EntityDesign, ...]:
    """The entities `batch_write` takes (dynamodel.runtime.repository): no version, unique
    values or members, no `counts:` and no counter counted by another."""
    spec = design.spec
    counted = {e.name for e in spec.entities if e.counts}
    counted |= {parent.name for e in spec.entities for parent, _ in e.counts}
    return tuple(
        e
        for e in design.entities
        if not (e.versioned or e.unique_guards or e.members or e.name in counted)
    )


def counter_entities(design: Design) -> tuple[EntityDesign, ...]:
    """Entities `increment` and `apply_once` accept (dynamodel.runtime.counters): no version,
    unique values or members, not a member, and a default for every attribute but the id."""
    spec = design.spec
    found = []
    for entity in design.entities:
        model = spec.entity(entity.name)
        assert model is not None
        defaulted = all(
            a.optional or a.has_default or a.auto is not None
            for a in model.attributes
            if a.name not in model.id_names
        )
        plain = not (entity.versioned or entity.unique_guards or entity.members or model.collection)
        if plain and entity.aggregate_root is None and defaulted:
            found.append(entity)
    return tuple(found)


def _targets(design: Design, entities: tuple[EntityDesign, ...]) -> tuple[Target, ...]:
    found: dict[str, Target] = {}
    for entity in entities:
        template = entity.table_key.partition
        found.setdefault(template.rendered, Target(template, f"{entity.name} items"))
    return tuple(found.values())


def _shared(design: Design, method: str) -> tuple[Access, ...]:
    assert method in SHARED_WRITE_METHODS
    if method == "batch_get":  # any entity, members too
        return (Access(method, "BatchGetItem", None, _targets(design, design.entities)),)
    if method == "batch_write":  # entities without version, unique values, members, counts
        plain = batch_writable(design)
        targets = _targets(design, plain)
        return (Access(method, "BatchWriteItem", None, targets),) if targets else ()
    counters = _targets(design, counter_entities(design))
    if not counters:
        return ()
    if method == "increment":
        return (Access(method, "UpdateItem", None, counters),)
    marker = Target(MARKER_TEMPLATE, "apply_once markers")
    return (
        Access(method, "PutItem", None, (marker,)),
        Access(method, "UpdateItem", None, counters),
    )


def _merged(found: list[Access]) -> tuple[Access, ...]:
    """One Access per (action, index), targets deduplicated, in first-seen order."""
    merged: dict[tuple[str, str | None], list[Target]] = {}
    method = found[0].method if found else ""
    for access in found:
        targets = merged.setdefault((access.action, access.index), [])
        targets += [t for t in access.targets if t not in targets]
    return tuple(
        Access(method, action, index, tuple(targets))
        for (action, index), targets in merged.items()
        if targets
    )
