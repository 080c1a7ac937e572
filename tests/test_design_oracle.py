"""Every plan of random specs, asked of a simulated table, returns exactly what an oracle
(the same question asked in Python of the written items) returns, in the same order.

This pins the design and the key encoding together: no key mixes entities or partitions, no
prefix or range reaches items it should not, sparse keys drop exactly the right items, shards
cover everything once, and sort-key order equals value order.
"""

from __future__ import annotations

import heapq
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamodel.compiler.design.ir import TABLE, Design, PatternPlan
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.runtime import keys
from tests.design_simulator import (
    Item,
    SimulatedTable,
    _comparable,
    _sortable,
    build,
    oracle_order,
    random_items,
    random_value,
    spec_pattern,
)
from tests.spec_semantics import holds, reached_by
from tests.spec_strategies import parent_child_specs, to_yaml, valid_specs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/spec.yaml")) + sorted(ROOT.glob("tests/golden/*/spec.yaml"))


def _same(a: Any, b: Any) -> bool:
    return bool(_comparable(a) == _comparable(b))


def _identity(design: Design, entity: str, row: Item) -> tuple[Any, ...]:
    declared = design.spec.entity(entity)
    assert declared is not None
    return (entity, *(_comparable(row[a]) for a in declared.id_names))


def _check_entity_plan(
    design: Design,
    table: SimulatedTable,
    items: dict[str, list[Item]],
    plan: PatternPlan,
    rng: random.Random,
) -> None:
    assert plan.entity is not None and plan.sort is not None
    entity = design.spec.entity(plan.entity)
    assert entity is not None
    pattern = spec_pattern(design.spec, plan.name)
    rows = items[plan.entity]
    sample = rng.choice(rows) if rows and rng.random() < 0.85 else {}
    args: Item = {}
    for attribute in entity.attributes:
        if attribute.type.is_scalar:
            args[attribute.name] = (
                sample.get(attribute.name)
                if sample
                else random_value(rng, attribute.type.base, attribute.enum)
            )
    if any(args.get(a) is None for a in plan.partition.attributes):
        return  # a sparse attribute as the partition: nothing to ask for None
    if plan.kind == "aggregate":
        got = table.query(plan, build(plan.partition, args) or "", ("all",))
        root = design.entity(plan.entity)
        allowed = {plan.entity, *root.members}
        expected = {
            _identity(design, name, row)
            for name in allowed
            for row in items[name]
            if all(_same(row[a], args[a]) for a in entity.id_names)
        }
        assert {_identity(design, n, r) for n, r in got} == expected
        return
    if plan.kind == "get":
        for name in plan.checked:  # sometimes a value the item read does not hold
            if rng.random() < 0.3:
                attribute = entity.attribute(name)
                assert attribute is not None
                args[name] = random_value(rng, attribute.type.base, attribute.enum)
        pk, sk = build(plan.partition, args), build(plan.sort, args)
        assert pk is not None and sk is not None
        # The GetItem, then the comparison the generated method makes with the item read.
        got = [
            (n, r)
            for n, r in table.query(plan, pk, ("eq", sk))
            if all(r.get(a) is not None and _same(r[a], args[a]) for a in plan.checked)
            and holds(r, plan.where)
        ]
        expected_rows = [
            r
            for r in rows
            if all(r.get(a) is not None and _same(r[a], args[a]) for a in pattern.by_names)
            and holds(r, pattern.where_items)
        ]
        assert [_identity(design, n, r) for n, r in got] == [
            _identity(design, plan.entity, r) for r in expected_rows
        ]
        return
    # A list (or one-item) pattern: choose how much of the sort key the caller gives.
    sort_attrs = [s.text for s in plan.sort.segments if s.kind == "attribute"]
    given_eq = list(plan.equality_sort[: rng.randint(0, len(plan.equality_sort))])
    use_range = plan.range_attribute is not None and len(given_eq) == len(plan.equality_sort)
    use_range = use_range and rng.random() < 0.6
    # `<attr>_prefix=`: a str range part read by begins_with on its encoded prefix.
    prefix = None
    if plan.takes_prefix and not use_range and len(given_eq) == len(plan.equality_sort):
        assert plan.range_attribute is not None
        values = [r[plan.range_attribute] for r in rows if r[plan.range_attribute] is not None]
        if values and rng.random() < 0.5:
            whole = rng.choice(values)
            prefix = whole[: rng.randint(0, len(whole))]
    if any(args.get(a) is None for a in given_eq):
        return
    tag = plan.sort.segments[0].text
    # Leading sort parts `by` (or a `where` constant) fixes: always given.
    constants = dict(plan.where)
    fixed = [constants[a] if a in constants else args.get(a) for a in plan.fixed_sort]
    if any(value is None for value in fixed):
        return
    eq_parts = [
        keys.encode(_type_of(entity, a), v) for a, v in zip(plan.fixed_sort, fixed, strict=True)
    ]
    eq_parts += [keys.encode(_type_of(entity, a), args[a]) for a in given_eq]
    if "= :sk" in plan.key_condition:
        condition: tuple[str, ...] = ("eq", keys.join(tag, *eq_parts))
    elif use_range:
        assert plan.range_attribute is not None
        pool = [r[plan.range_attribute] for r in rows if r[plan.range_attribute] is not None]
        if not pool:
            return
        low, high = sorted((rng.choice(pool), rng.choice(pool)), key=_comparable)
        range_type = _type_of(entity, plan.range_attribute)
        condition = (
            "between",
            keys.join(tag, *eq_parts, keys.encode(range_type, low)),
            keys.upper_bound(keys.join(tag, *eq_parts, keys.encode(range_type, high))),
        )
    elif prefix is not None:
        condition = ("prefix", keys.join(tag, *eq_parts, keys.encode_str_prefix(prefix)))
    else:
        condition = ("prefix", keys.join(tag, *eq_parts) + keys.DELIMITER)
    shards = range(plan.shards) if plan.shards else [None]
    answers = []
    for shard in shards:
        pk = build(plan.partition, args, shard=shard)
        assert pk is not None
        answers.append(table.query(plan, pk, condition))
    got = answers[0] if len(answers) == 1 else _merge(design, plan, answers)

    def matches(row: Item) -> bool:
        if any(row.get(a) is None for a in (*plan.partition.attributes, *sort_attrs)):
            return False  # sparse: no key in this index
        if not all(_same(row[a], args[a]) for a in (*plan.by, *given_eq)):
            return False
        if not holds(row, pattern.where_items):
            return False
        if use_range:
            value = _comparable(row[plan.range_attribute])
            return bool(_comparable(low) <= value <= _comparable(high))
        if prefix is not None:
            return bool(row[plan.range_attribute].startswith(prefix))
        return True

    expected = oracle_order(entity, plan, [r for r in rows if matches(r)])
    assert [n for n, _ in got] == [plan.entity] * len(got), "another entity's items leaked in"
    assert [_identity(design, plan.entity, r) for _, r in got] == [
        _identity(design, plan.entity, r) for r in expected
    ], plan.name


def _type_of(entity: Any, name: str) -> str:
    attribute = entity.attribute(name)
    assert attribute is not None
    return str(attribute.type.base)


def _merge(
    design: Design, plan: PatternPlan, answers: list[list[tuple[str, Item]]]
) -> list[tuple[str, Item]]:
    assert plan.sort is not None

    def sort_key(pair: tuple[str, Item]) -> bytes:
        return (build(plan.sort, pair[1]) or "").encode()  # type: ignore[arg-type]

    merged = list(heapq.merge(*answers, key=sort_key, reverse=not plan.scan_forward))
    return merged


def _check_view(
    design: Design,
    table: SimulatedTable,
    items: dict[str, list[Item]],
    plan: PatternPlan,
    rng: random.Random,
) -> None:
    pattern = spec_pattern(design.spec, plan.name)
    fields = {f.name: f for f in pattern.view}
    # Mostly arguments that reach an item (a role's by its own `by`), sometimes any item's.
    carriers = [
        (fields[p.field], r)
        for p in plan.view
        for r in items[p.entity]
        if rng.random() < 0.15 or reached_by(pattern, fields[p.field], r) is not None
    ]
    if not carriers:
        return
    field, row = rng.choice(carriers)
    if reached_by(pattern, field, row) is None:
        field = next(f for f in pattern.view if not f.by)
    args = {n: row.get(own) for n, own in zip(plan.by, field.by_names(pattern), strict=True)}
    if any(args.get(a) is None for a in plan.partition.attributes):
        return
    pk = build(plan.partition, args)
    assert pk is not None
    if plan.head_bound is None:
        condition: tuple[str, ...] = ("all",)
    else:  # another view shares the partition: this one reads from the head items onward
        condition = ("from" if plan.scan_forward else "upto", plan.head_bound)
    got = table.query(plan, pk, condition)
    # The oracle: each item the arguments reach in a field (its `by` and `where`), and which.
    wanted = tuple(_comparable(args[n]) for n in plan.by)
    field_of = {
        _identity(design, p.entity, r): p.field
        for p in plan.view
        for r in items[p.entity]
        if reached_by(pattern, fields[p.field], r) == wanted
    }
    got_ids = [_identity(design, n, r) for n, r in got]
    assert sorted(got_ids) == sorted(field_of), plan.name
    singles = {p.field for p in plan.view if not p.many}
    seen_list = False
    for identity in got_ids:
        if field_of[identity] in singles:
            assert not seen_list, "a view's single item must come before its lists"
        else:
            seen_list = True
    for part in plan.view:
        if part.many:  # each list in the order the view promises (sort, then the id)
            rows = [r for n, r in got if field_of[_identity(design, n, r)] == part.field]
            view_field = fields[part.field]
            slot = view_field.slot(pattern) if view_field.is_role else ""
            key = next(
                k
                for k in design.entity(part.entity).keys
                if k.index == (plan.index or TABLE) and k.slot == slot
            )
            order = [*key.sort_attributes, *key.tiebreak_attributes]
            expected_rows = sorted(rows, key=lambda r: tuple(_sortable(r[a]) for a in order))
            if not plan.scan_forward:
                expected_rows.reverse()
            assert rows == expected_rows, f"{plan.name}: {part.field} out of order"


def check_design(design: Design, seed: int, per_entity: int = 25) -> None:
    rng = random.Random(seed)
    items = random_items(design.spec, rng, per_entity)
    table = SimulatedTable(design, items)
    for plan in design.patterns:
        for _ in range(6):
            if plan.kind == "view":
                _check_view(design, table, items, plan, rng)
            else:
                _check_entity_plan(design, table, items, plan, rng)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_specs(), st.integers(0, 2**32))
def test_random_designs_answer_like_the_oracle(spec: dict[str, Any], seed: int) -> None:
    result = compile_spec(to_yaml(spec))
    if result.design is None:
        return
    check_design(result.design, seed)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parent_child_specs(), st.integers(0, 2**32))
def test_views_of_one_parent_answer_like_the_oracle(spec: dict[str, Any], seed: int) -> None:
    # Two views of one parent in opposite orders share its base partition (each reads one
    # side of the parent); other views go to GSIs. Every one must read exactly its items.
    result = compile_spec(to_yaml(spec))
    assert result.design is not None, result.rendered()
    check_design(result.design, seed)
    patterns = spec["access_patterns"]
    # A view fits the base table when its list sorts by the child's own id (or not at all).
    fitting = {
        patterns[name]["order"]
        for name in patterns
        if "view" in patterns[name] and patterns[name].get("sort", "c")[0] == "c"
    }
    plans = [p for p in result.design.patterns if p.kind == "view"]
    if fitting == {"asc", "desc"}:  # one pair of opposite views shares the parent's partition
        assert sum(p.head_bound is not None and p.index is None for p in plans) == 2
    # Views on GSIs pair up the same way: two of opposite orders share one GSI partition.
    on_gsis = {p.scan_forward for p in plans if p.index is not None}
    if on_gsis == {True, False}:
        assert any(p.head_bound is not None and p.index is not None for p in plans)
    sided = [p for p in plans if p.head_bound is not None]
    assert len(sided) % 2 == 0
    for index in {p.index for p in sided}:
        pair = [p for p in sided if p.index == index]
        assert sorted(p.scan_forward for p in pair) == [False] * (len(pair) // 2) + [True] * (
            len(pair) // 2
        )


@pytest.mark.parametrize("spec_path", EXAMPLES, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("seed", range(4))
def test_example_designs_answer_like_the_oracle(spec_path: Path, seed: int) -> None:
    result = compile_spec(spec_path.read_text(encoding="utf-8"))
    assert result.design is not None
    check_design(result.design, seed, per_entity=60)
