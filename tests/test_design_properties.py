"""Properties of the design over random specs: deterministic, one request per pattern, keys
that keep entities and partitions apart, and a compiler that never crashes on mangled input."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, given, settings

from dynamodel.compiler.design.ir import TABLE, Design
from dynamodel.compiler.emit.design_json import emit_design_json
from dynamodel.compiler.pipeline import compile_spec
from tests.spec_strategies import mangled_yaml, to_yaml, valid_specs

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_invariants(design: Design) -> None:
    spec = design.spec
    for plan in design.patterns:
        assert plan.filter is None
        assert plan.operation in ("GetItem", "Query")
        assert plan.requests == (plan.shards or 1)
        if plan.kind == "view":
            continue
        pattern = next(p for p in spec.patterns if p.name == plan.name)
        assert plan.entity is not None
        if plan.kind == "get":
            assert plan.sort is not None
            keyed = set(plan.partition.attributes) | set(plan.sort.attributes)
            # The key is the id; any other `by` value is compared with the item read.
            assert keyed | set(plan.checked) == set(pattern.by_names), plan
            assert not keyed & set(plan.checked), plan
        else:
            # `by` is the partition plus the leading sort parts it fixes (begins_with); the
            # other fixed parts are `where` constants.
            assert plan.sort is not None
            fixed = set(plan.fixed_sort)
            assert plan.sort.attributes[: len(fixed)] == plan.fixed_sort, plan
            assert not set(plan.partition.attributes) & fixed, plan
            assert set(plan.partition.attributes) | (fixed & set(pattern.by_names)) == set(
                pattern.by_names
            ), plan
            assert fixed - set(pattern.by_names) <= {a for a, _ in plan.where}, plan
        if plan.consistent:
            assert plan.index is None
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    tags: dict[tuple[str, str], list[str]] = defaultdict(list)
    for entity in design.entities:
        declared = spec.entity(entity.name)
        assert declared is not None
        base = entity.table_key
        covered = set(base.partition_attributes) | set(base.sort_attributes)
        covered |= set(base.tiebreak_attributes)
        assert covered >= set(declared.id_names), entity.name
        indexes = [k.index for k in entity.keys]
        assert len(indexes) == len(set(indexes)), "one key per entity per index"
        for key in entity.keys:
            groups[(key.index, key.group)].add(entity.name)
            tags[(key.index, key.group)].append(key.sort.segments[0].text.lstrip("#~!"))
    for group, names in tags.items():
        assert len(names) == len(set(names)), f"two entities share a sort prefix in {group}"
    views = {p.name: p for p in design.patterns if p.kind == "view"}
    for plan in views.values():
        index = plan.index or TABLE
        literal = plan.partition.segments[0].text
        entities = {p.entity for p in plan.view}
        if plan.head_bound is not None:
            # Two views of the same single items share the partition, reading either side.
            others = [
                o
                for o in views.values()
                if o is not plan
                and o.head_bound == plan.head_bound
                and (o.index or TABLE) == index
                and o.partition == plan.partition
            ]
            assert len(others) == 1 and others[0].scan_forward != plan.scan_forward
            entities |= {p.entity for p in others[0].view}
        assert groups[(index, literal)] == entities, (
            "a view's partition must hold exactly the view's entities"
        )
    for entity in design.entities:
        if entity.aggregate_root:
            root = design.entity(entity.aggregate_root)
            assert entity.table_key.partition == root.table_key.partition


@SETTINGS
@given(valid_specs())
def test_random_specs_design_deterministically(spec: dict[str, object]) -> None:
    text = to_yaml(spec)
    first = compile_spec(text)
    errors = [d for d in first.diagnostics if d.is_error]
    assert all("GSI" in d.message for d in errors), first.rendered()
    if not first.ok:
        return
    assert first.design is not None
    second = compile_spec(text)
    assert second.design is not None
    assert emit_design_json(first.design) == emit_design_json(second.design)
    _check_invariants(first.design)


# A generous deadline: it catches a hang, not a slow shared machine.
@settings(max_examples=300, deadline=10_000, suppress_health_check=[HealthCheck.too_slow])
@given(mangled_yaml())
def test_mangled_specs_never_crash(text: str) -> None:
    result = compile_spec(text)
    if not result.ok:
        assert any(d.is_error for d in result.diagnostics)
        for line in result.rendered():
            assert line.startswith("spec.yaml:")
