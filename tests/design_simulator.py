"""An in-memory model of a designed table, to check plans against an oracle.

Items are written with the design's key templates (encoded by `dynamodel.runtime.keys`), and
a plan's request is answered the way DynamoDB would: partition key equality, then the sort
key condition, in UTF-8 byte order of the sort key. The oracle is the same question asked of
the plain items in Python. If the design or the encoding were wrong — keys mixing entities,
prefixes reaching other partitions, order not matching values — the two would differ.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from dynamodel.compiler.design.ir import TABLE, Design, KeyTemplate, PatternPlan
from dynamodel.compiler.spec.model import Entity, Spec
from dynamodel.runtime import keys
from tests.spec_semantics import comparable as _comparable
from tests.spec_semantics import fill_derived, holds

Item = dict[str, Any]

TRICKY_STRINGS = ["a", "a#", "a#b", "ab", "a%", "a$", "a b", "é", "日本", "A", "", "~", "a%23"]


def random_value(rng: random.Random, type_name: str, enum: tuple[str, ...]) -> Any:
    if enum:
        return rng.choice(enum)
    if type_name == "str":
        base = rng.choice(TRICKY_STRINGS)
        return base or "z"
    if type_name == "int":
        return rng.choice([-1000, -12, -1, 0, 1, 2, 12, 1000, rng.randint(-50, 50)])
    if type_name in ("decimal", "float"):
        value = rng.choice(["-1.5", "-1.25", "-0.001", "0", "0.5", "1", "1.25", "10", "99.99"])
        return Decimal(value) if type_name == "decimal" else float(value)
    if type_name == "bool":
        return rng.choice([True, False])
    if type_name == "datetime":
        zone = dt.timezone(dt.timedelta(hours=rng.choice([-5, 0, 3])))
        return dt.datetime(2026, 1, rng.randint(1, 3), rng.randint(0, 23), tzinfo=zone)
    if type_name == "date":
        return dt.date(2026, 1, rng.randint(1, 4))
    if type_name == "bytes":
        return bytes([rng.randint(0, 3)]) + b"x"
    return None


def random_items(spec: Spec, rng: random.Random, per_entity: int) -> dict[str, list[Item]]:
    """Items per entity; values drawn from small pools so that equal values collide often,
    derived attributes computed from their sources."""
    items: dict[str, list[Item]] = {}
    for entity in spec.entities:
        seen: set[tuple[Any, ...]] = set()
        rows: list[Item] = []
        for _ in range(per_entity):
            row: Item = {}
            for attribute in entity.attributes:
                if not attribute.type.is_scalar:
                    continue
                if attribute.optional and rng.random() < 0.3:
                    row[attribute.name] = None
                else:
                    row[attribute.name] = random_value(rng, attribute.type.base, attribute.enum)
            fill_derived(entity, row)  # computed by the model, never drawn
            identity = tuple(_comparable(row[a]) for a in entity.id_names)
            if identity in seen:
                continue
            seen.add(identity)
            rows.append(row)
        items[entity.name] = rows
    return items


def build(template: KeyTemplate, values: Item, *, shard: int | None = None) -> str | None:
    parts = []
    for segment in template.segments:
        if segment.kind == "literal":
            parts.append(segment.text)
        elif segment.kind == "shard":
            assert shard is not None
            parts.append(str(shard))
        else:
            value = values.get(segment.text)
            if value is None:
                return None
            assert segment.type is not None
            parts.append(keys.encode(segment.type, value, attribute=segment.text))
    return keys.join(*parts)


def identity_key(entity: Entity, row: Item) -> str:
    return keys.join(
        entity.name,
        *(keys.encode(_type(entity, a), row[a], attribute=a) for a in entity.id_names),
    )


def _type(entity: Entity, name: str) -> str:
    attribute = entity.attribute(name)
    assert attribute is not None
    return attribute.type.base


class SimulatedTable:
    def __init__(self, design: Design, items: dict[str, list[Item]]) -> None:
        self.design = design
        self.indexes: dict[str, list[tuple[str, str, str, Item]]] = {TABLE: []}
        for index in design.indexes:
            self.indexes[index.name] = []
        for entity_design in design.entities:
            entity = design.spec.entity(entity_design.name)
            assert entity is not None
            for row in items[entity.name]:
                for key in entity_design.keys:
                    if not holds(row, key.where):
                        continue
                    shard = None
                    if key.shards:
                        shard = keys.shard_of(identity_key(entity, row), shards=key.shards)
                    pk = build(key.partition, row, shard=shard)
                    sk = build(key.sort, row)
                    if pk is None or sk is None:
                        continue
                    self.indexes[key.index].append((pk, sk, entity.name, row))
        base = [(pk, sk) for pk, sk, _, _ in self.indexes[TABLE]]
        assert len(base) == len(set(base)), "two items share a base-table key"

    def query(
        self, plan: PatternPlan, pk: str, condition: tuple[str, ...]
    ) -> list[tuple[str, Item]]:
        """`condition`: ("all",), ("eq", sk), ("prefix", p), ("between", lo, hi), ("from", lo)
        or ("upto", hi)."""
        rows = [r for r in self.indexes[plan.index or TABLE] if r[0] == pk]
        if condition[0] == "from":
            rows = [r for r in rows if r[1].encode() >= condition[1].encode()]
        elif condition[0] == "upto":
            rows = [r for r in rows if r[1].encode() <= condition[1].encode()]
        if condition[0] == "eq":
            rows = [r for r in rows if r[1] == condition[1]]
        elif condition[0] == "prefix":
            rows = [r for r in rows if r[1].startswith(condition[1])]
        elif condition[0] == "between":
            low, high = condition[1].encode(), condition[2].encode()
            rows = [r for r in rows if low <= r[1].encode() <= high]
        rows.sort(key=lambda r: r[1].encode(), reverse=not plan.scan_forward)
        return [(entity, row) for _, _, entity, row in rows]


def oracle_order(entity: Entity, plan: PatternPlan, rows: list[Item]) -> list[Item]:
    """Sort the way the plan promises: by the key's sort attributes, then the rest of the id."""
    assert plan.sort is not None
    order = [s.text for s in plan.sort.segments if s.kind == "attribute"]
    rows = sorted(rows, key=lambda r: tuple(_sortable(r[a]) for a in order))
    return rows if plan.scan_forward else list(reversed(rows))


def _sortable(value: Any) -> Any:
    value = _comparable(value)
    if isinstance(value, bool):
        return int(value)
    return value


def spec_pattern(spec: Spec, name: str) -> Any:
    return next(p for p in spec.patterns if p.name == name)
