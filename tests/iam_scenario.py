"""Call every repository method of a spec once or more, recording each one's requests.

The data is random (seeded, as in the oracle tests), with the spec's tenant attribute set to
one tenant id, so that the requests of one tenant can be checked against a policy for it (and
for another tenant). Every kind of write runs its checked paths: saves that move unique values
and drop members, updates that move unique values and a root's expiry, deletes of aggregates.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from decimal import Decimal
from types import ModuleType
from typing import Any

from dynamodel import DynamodelError
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.iam_access import batch_writable, counter_entities
from dynamodel.compiler.names import write_method
from dynamodel.compiler.spec.model import Entity
from dynamodel.runtime.counters import Increment
from dynamodel.runtime.guards import GUARD_TYPE, guard_item
from dynamodel.runtime.names import VERSION_ATTRIBUTE
from tests.design_simulator import _comparable
from tests.iam_requests import RequestLog
from tests.spec_semantics import settable
from tests.test_repository_oracle import _arguments, _attach_members, _rows

Row = dict[str, Any]
_FUTURE = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


def tenant_rows(design: Design, rng: random.Random, tenant: str | None) -> dict[str, list[Row]]:
    rows = _rows(design, rng, 8)
    name = design.spec.table.tenant.name if design.spec.table.tenant else None
    for entity in design.spec.entities:
        kept: dict[tuple[Any, ...], Row] = {}
        for row in rows[entity.name]:
            if name is not None and tenant is not None and name in row:
                row[name] = tenant
            kept.setdefault(tuple(_comparable(row[a]) for a in entity.id_names), row)
        rows[entity.name] = list(kept.values())
    return rows


def _collect(design: Design, entity: str, obj: Any, written: dict[str, list[Row]]) -> None:
    """The rows of a created item and its members, as stored (auto values included)."""
    model = design.spec.entity(entity)
    assert model is not None
    written[entity].append({a.name: getattr(obj, a.name) for a in model.attributes})
    for member in model.members:
        for child in getattr(obj, member.field):
            _collect(design, member.entity.name, child, written)


def _ids(design: Design, entity: str, row: Row) -> Row:
    """The item's key arguments: its id and its `collection` attributes."""
    model = design.spec.entity(entity)
    assert model is not None
    return {name: row[name] for name in model.key_names}


def exercise(
    design: Design,
    package: ModuleType,
    repo: Any,
    log: RequestLog,
    rng: random.Random,
    *,
    tenant: str | None,
) -> None:
    """Every write and pattern method, the shared ones included, with requests in `log`."""
    spec = design.spec
    rows = tenant_rows(design, rng, tenant)
    written: dict[str, list[Row]] = {e.name: [] for e in spec.entities}
    created: dict[str, list[Any]] = {e.name: [] for e in spec.entities}
    for entity in spec.entities:
        if spec.root_of(entity.name) is not None:
            continue
        model = getattr(package, entity.name)
        for row in rows[entity.name]:
            members = _attach_members(spec, package, entity, dict(row), rows, rng)
            try:
                with log.calling(write_method("create", entity.name)):
                    obj = getattr(repo, write_method("create", entity.name))(
                        model(**row, **members["fields"])
                    )
            except DynamodelError:
                continue
            created[entity.name].append(obj)
            _collect(design, entity.name, obj, written)
    for entity in spec.entities:
        if spec.root_of(entity.name) is not None or not created[entity.name]:
            continue
        _create_over_stale_guards(design, repo, log, entity.name, created[entity.name][0])
        created[entity.name][0] = _save_over_stale_guards(
            design, repo, log, entity.name, created[entity.name][0]
        )
        _save_update(design, repo, log, entity.name, created, written)
    for plan in design.patterns:
        source = plan.entity or plan.view[0].entity
        pool = [r for r in written[source] if all(r.get(n) is not None for n in plan.by)]
        if not pool:
            continue
        for _ in range(3):
            if plan.kind == "page":
                entity = spec.entity(source)
                assert entity is not None
                kwargs, _, _ = _arguments(entity, plan, pool, rng)
                kwargs["limit"] = 2
            else:
                sample = rng.choice(pool)
                kwargs = {name: sample[name] for name in plan.by}
            with log.calling(plan.name):
                getattr(repo, plan.name)(**kwargs)
    _shared(design, package, repo, log, written)
    _delete_one(design, repo, log, written)
    _count_down(design, package, repo, log, written)


def _create_over_stale_guards(
    design: Design, repo: Any, log: RequestLog, entity: str, obj: Any
) -> None:
    """Create `obj` again after its items vanished as DynamoDB's TTL deletes them, leaving its
    unique guards behind: the create reads each guard and the owner it names, then takes the
    guard over, checking that owner."""
    if not design.entity(entity).unique_guards:
        return
    _leave_guards_behind(design, repo, entity, obj)
    with log.calling(write_method("create", entity)):
        getattr(repo, write_method("create", entity))(obj)


def _save_over_stale_guards(
    design: Design, repo: Any, log: RequestLog, entity: str, obj: Any
) -> Any:
    """The same for a save that creates `obj` (a new object, no version read): it takes the
    guards over as a create does, and counts the item in its parents (`counts:`)."""
    model = design.spec.entity(entity)
    assert model is not None
    if not (design.entity(entity).unique_guards or model.counts):
        return obj
    _leave_guards_behind(design, repo, entity, obj)
    with log.calling(write_method("save", entity)):
        fresh = type(obj)(**obj.model_dump(exclude={VERSION_ATTRIBUTE}))  # version 0: new
        return getattr(repo, write_method("save", entity))(fresh)


def _leave_guards_behind(design: Design, repo: Any, entity: str, obj: Any) -> None:
    """Delete `obj`'s items (not its guards), as a TTL deletion would; the guards left behind
    name another (gone) item where the ids allow, so that a takeover checks that owner."""
    client = repo.table.client
    schema = repo.SCHEMAS[type(obj)]
    partition = schema.table_key(obj)["PK"]
    stored = client.query(
        TableName=repo.table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": partition},
        ConsistentRead=True,
    )["Items"]
    for item in stored:
        if item["_type"]["S"] != GUARD_TYPE:
            client.delete_item(TableName=repo.table_name, Key={"PK": item["PK"], "SK": item["SK"]})
    model = design.spec.entity(entity)
    assert model is not None
    tenant = design.spec.table.tenant.name if design.spec.table.tenant else None
    _plant_stale_guards(repo, obj, model, tenant)


def _plant_stale_guards(repo: Any, obj: Any, model: Entity, tenant: str | None) -> None:
    """Guards of `obj`'s new unique values naming another item of its entity that does not
    exist (same tenant; `obj`'s own item when every id attribute is the tenant): stale guards,
    as a crash between two writes or a TTL deletion could leave them, so that the write moving
    to those values reads each guard and its owner, then takes the guard over, checking the
    owner in the same transaction."""
    schema = repo.SCHEMAS[type(obj)]
    owner = schema.table_key(obj)
    ids = {name: getattr(obj, name) for name in schema.id_attributes}
    movable = [name for name in schema.id_attributes if name != tenant]
    if movable:
        ids[movable[-1]] = _changed(model, movable[-1], ids[movable[-1]])
        owner = schema.key(**ids)
    for guard in schema.unique:
        key = guard.key(obj)
        if key is not None:
            item = guard_item(key, schema, owner)
            repo.table.client.put_item(TableName=repo.table_name, Item=item)


def _save_update(
    design: Design,
    repo: Any,
    log: RequestLog,
    entity: str,
    created: dict[str, list[Any]],
    written: dict[str, list[Row]],
) -> None:
    spec = design.spec
    model = spec.entity(entity)
    assert model is not None
    ed = design.entity(entity)
    unique = {a for g in ed.unique_guards for a in g.attributes}
    first = created[entity][0]
    tenant = spec.table.tenant.name if spec.table.tenant else None
    keep = {*model.id_names, tenant}
    # save: unique values move (a derived one with its source), the last member leaves
    sources = {
        a.derived.source.name if (a := model.attribute(n)) and a.derived else n for n in unique
    }
    changes = {a: _changed(model, a, getattr(first, a)) for a in sources - keep}
    for member in model.members:
        children = getattr(first, member.field)
        if children:
            changes[member.field] = children[:-1]
    moved = first.model_copy(update=changes)
    _plant_stale_guards(repo, moved, model, tenant)
    with log.calling(write_method("save", entity)), contextlib.suppress(DynamodelError):
        first = getattr(repo, write_method("save", entity))(moved)
    # update: every other attribute it takes changes (unique values move again), the expiry
    # too; not a derived value or a counter, which it takes no argument for
    scalar = {a.name for a in model.attributes if a.type.is_scalar}
    update = {
        name: _changed(model, name, getattr(first, name))
        for name in settable(spec, model)
        if name not in keep and name in scalar
    }
    if not settable(spec, model):  # nothing an update could change: no update_* method
        assert not hasattr(repo, write_method("update", entity))
        return
    _plant_stale_guards(repo, first.model_copy(update=update), model, tenant)
    with log.calling(write_method("update", entity)), contextlib.suppress(DynamodelError):
        getattr(repo, write_method("update", entity))(
            **_ids(design, entity, written[entity][0]), **update
        )


def _changed(model: Entity, name: str, value: Any) -> Any:
    """A value of the attribute that differs from `value`."""
    attribute = model.attribute(name)
    assert attribute is not None
    if attribute.ttl:
        return _FUTURE if value != _FUTURE else _FUTURE + dt.timedelta(days=1)
    if attribute.enum:
        return (
            attribute.enum[(attribute.enum.index(value) + 1) % len(attribute.enum)]
            if value in attribute.enum
            else attribute.enum[0]
        )
    base = attribute.type.base
    if value is None:
        return {
            "str": "v",
            "int": 1,
            "decimal": Decimal(1),
            "float": 1.0,
            "bool": True,
            "datetime": _FUTURE,
            "date": dt.date(2030, 1, 1),
            "bytes": b"v",
        }[base]
    if base == "bool":
        return not value
    if base in ("datetime", "date"):
        return value + dt.timedelta(days=1)
    if base == "str":
        return value + "-2"
    if base == "bytes":
        return value + b"2"
    return value + 1


def _delete_one(design: Design, repo: Any, log: RequestLog, written: dict[str, list[Row]]) -> None:
    for entity in design.spec.entities:
        if design.spec.root_of(entity.name) is None and written[entity.name]:
            victim = written[entity.name][0]
            with (
                log.calling(write_method("delete", entity.name)),
                contextlib.suppress(DynamodelError),
            ):
                getattr(repo, write_method("delete", entity.name))(
                    **_ids(design, entity.name, victim)
                )


def _count_down(
    design: Design, package: ModuleType, repo: Any, log: RequestLog, written: dict[str, list[Row]]
) -> None:
    """`counts:`: delete an item whose parents are there (each counter goes down), then one
    whose parent was deleted meanwhile (the parent is read, and checked to stay gone). Each
    gets new parents of its own, created with it unrecorded."""
    spec = design.spec
    tenant = spec.table.tenant.name if spec.table.tenant else None
    for entity in spec.entities:
        if not entity.counts or not written[entity.name]:
            continue
        row = dict(written[entity.name][0])
        for vanishing in (False, True):
            keys: list[Any] = []
            for parent_ref, _ in entity.counts:
                parent = spec.entity(parent_ref.name)
                assert parent is not None
                if not written[parent.name]:
                    return
                values = _given(parent, written[parent.name][0])
                name = [n for n in parent.key_names if n != tenant][-1]
                values[name] = _changed(parent, name, row[name])  # a parent of its own
                created = getattr(repo, write_method("create", parent.name))(
                    getattr(package, parent.name)(**values)
                )
                keys.append(repo.SCHEMAS[type(created)].table_key(created))
                row.update({n: values[n] for n in parent.key_names})
            getattr(repo, write_method("create", entity.name))(
                getattr(package, entity.name)(**_given(entity, row))
            )
            for key in keys if vanishing else ():  # deleted by another writer meanwhile
                repo.table.client.delete_item(TableName=repo.table_name, Key=key)
            with log.calling(write_method("delete", entity.name)):
                getattr(repo, write_method("delete", entity.name))(**_ids(design, entity.name, row))


def _given(entity: Entity, row: Row) -> Row:
    """The model arguments of a row: every attribute but the derived ones."""
    return {a.name: row[a.name] for a in entity.attributes if a.derived is None}


def _shared(
    design: Design, package: ModuleType, repo: Any, log: RequestLog, written: dict[str, list[Row]]
) -> None:
    spec = design.spec
    with log.calling("batch_get"):
        for entity in spec.entities:
            if written[entity.name]:
                ids = [_ids(design, entity.name, r) for r in written[entity.name][:3]]
                repo.batch_get(getattr(package, entity.name), ids)
    plain = [e for e in batch_writable(design) if written[e.name]]
    if plain:
        puts, deletes = [], []
        for entity in plain:
            found = repo.batch_get(
                getattr(package, entity.name),
                [_ids(design, entity.name, r) for r in written[entity.name][:2]],
            )
            objects = [o for o in found if o is not None]
            puts += objects[:1]
            deletes += objects[1:]
        with log.calling("batch_write"):
            repo.batch_write(put=puts, delete=deletes)
    for counter in counter_entities(design):
        model = spec.entity(counter.name)
        assert model is not None
        feeding = {
            a for key in counter.keys for a in (*key.partition.attributes, *key.sort.attributes)
        }
        numbers = [
            a.name
            for a in model.attributes
            if a.type.base in ("int", "decimal") and a.name not in feeding
        ]
        rows = written[counter.name] or []
        if not numbers or not rows:
            continue
        cls = getattr(package, counter.name)
        ids = _ids(design, counter.name, rows[0])
        with log.calling("increment"):
            repo.increment(cls, ids, **{numbers[0]: 1})
        with log.calling("apply_once"):
            repo.apply_once(
                "token-1",
                consumer="iam-test",
                increments=[Increment(cls, ids, {numbers[0]: 2})],
                expires_in=None if design.ttl_attribute is None else dt.timedelta(days=2),
            )
