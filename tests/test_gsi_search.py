"""The GSI placement has the fewest GSIs the layout rules allow: the branch-and-bound search
(`design/search.py`) against brute force over every placement of small random specs, and
never more than the greedy placement it starts from."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from dynamodel.compiler.design.layout import Layout
from dynamodel.compiler.design.passes import (
    DesignState,
    base_layout,
    base_table_patterns,
    base_table_views,
)
from dynamodel.compiler.design.placement import Need, Placement, pattern_need, view_need
from dynamodel.compiler.design.search import fewest_gsis, lower_bound
from dynamodel.compiler.pipeline import compile_spec
from tests.spec_strategies import to_yaml, valid_specs


def needs_of(text: str) -> tuple[list[tuple[str, Need]], bool, dict[str, frozenset[str]]] | None:
    result = compile_spec(text)
    if result.spec is None or any(
        d.is_error and "GSI" not in d.message for d in result.diagnostics
    ):
        return None
    spec = result.spec
    state = base_table_patterns(base_table_views(base_layout(DesignState(spec=spec))))
    needs: list[tuple[str, Need]] = [
        (p.name, view_need(spec, p))
        for p in spec.patterns
        if p.is_view and p.name not in state.base.views
    ]
    needs += [
        (p.name, pattern_need(p))
        for p in spec.patterns
        if not p.is_view and p.name not in state.table_kinds
    ]
    optional = {
        e.name: frozenset(a.name for a in e.attributes if a.optional) for e in spec.entities
    }
    return needs, spec.table.indexes == "dedicated", optional


def brute_force(
    needs: list[tuple[str, Need]], dedicated: bool, optional: dict[str, frozenset[str]]
) -> int:
    """The fewest GSIs over every assignment of the needs (in order) to GSIs."""
    rules = Placement(dedicated=dedicated, optional=optional)
    best = len(needs)

    def assign(position: int, indexes: list[dict[str, Layout]]) -> None:
        nonlocal best
        if position == len(needs):
            best = min(best, len(indexes))
            return
        need = needs[position][1]
        for target in range(len(indexes)):
            merged = rules.fit(indexes[target], need)
            if merged is not None:
                copy = [dict(index) for index in indexes]
                copy[target].update(merged)
                assign(position + 1, copy)
        assign(position + 1, [*(dict(index) for index in indexes), dict(need)])

    assign(0, [])
    return best


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_specs())
def test_the_search_finds_the_fewest_gsis(spec: dict[str, Any]) -> None:
    found = needs_of(to_yaml(spec))
    if found is None or not found[0] or len(found[0]) > 7:
        return
    needs, dedicated, optional = found
    placement = fewest_gsis(needs, dedicated=dedicated, optional=optional)
    greedy = Placement(dedicated=dedicated, optional=optional)
    for pattern, need in needs:
        greedy.place(pattern, dict(need))
    fewest = brute_force(needs, dedicated, optional)
    assert len(placement.indexes) == fewest
    assert fewest <= len(greedy.indexes)
    assert lower_bound(needs, optional) <= fewest
    assert set(placement.served) == {name for name, _ in needs}


def test_the_search_beats_first_fit_where_first_fit_is_not_the_fewest() -> None:
    # First fit puts B's pattern into A's GSI; then neither view fits anywhere (a view's
    # partition holds all of its entities or none), and each opens a GSI: 3. The fewest is 2:
    # B's pattern beside the {A, C} view, the {B, C} view beside A's pattern. The design pass
    # places views first, where first fit has been the fewest on every spec tried; the search
    # is what guarantees it whatever the order.
    def layout(entity: str, partition: str, sort: tuple[str, ...] = (), **view: Any) -> Layout:
        return Layout(entity, (partition,), sort, patterns=("p",), **view)

    ac = frozenset({"A", "C"})
    bc = frozenset({"B", "C"})
    needs: list[tuple[str, Need]] = [
        ("p0", {"A": layout("A", "a")}),
        ("p1", {"B": layout("B", "b", ("y",))}),
        ("v2", {n: layout(n, "c", group=ac, group_tag="A") for n in ac}),
        ("v3", {n: layout(n, "a", group=bc, group_tag="B") for n in bc}),
    ]
    greedy = Placement(dedicated=False, optional={})
    for pattern, need in needs:
        greedy.place(pattern, dict(need))
    assert len(greedy.indexes) == 3
    found = fewest_gsis(needs, dedicated=False, optional={})
    assert len(found.indexes) == 2 == brute_force(needs, False, {})
    assert set(found.served) == {"p0", "p1", "v2", "v3"}
    assert found.first_pattern == ["p0", "p1"]
    assert found.served == {"p0": 0, "v3": 0, "p1": 1, "v2": 1}


# The ranked default gives Issue the base key its view wants, but the view ends up on a GSI
# anyway (a second view of Repo in the same order): Issue's own pattern then needs a second
# GSI. The base key search gives Issue the key of its own pattern instead: one GSI.
VIEW_SERVED_ELSEWHERE = """\
version: 1
table: {name: Hub}
entities:
  Repo:
    id: [owner, name]
    attributes: {owner: str, name: str}
  Issue:
    id: [owner, name, number]
    attributes: {owner: str, name: str, number: int}
  Pull:
    id: [owner, name, number]
    attributes: {owner: str, name: str, number: int}
access_patterns:
  repo_with_pulls: {view: {repo: Repo, pulls: [Pull]}, by: [owner, name]}
  repo_with_issues: {view: {repo: Repo, issues: [Issue]}, by: [owner, name]}
  issues_of_owner: {entity: Issue, by: [owner]}
"""


def test_a_base_key_is_not_spent_on_a_view_served_elsewhere() -> None:
    design = compile_spec(VIEW_SERVED_ELSEWHERE).design
    assert design is not None
    assert len(design.indexes) == 1
    issue = design.entity("Issue")
    assert issue.table_key.partition.render() == "Issue#{owner}"
    plans = {p.name: p.index for p in design.patterns}
    assert plans == {"repo_with_pulls": None, "repo_with_issues": "GSI1", "issues_of_owner": None}


def test_the_defaults_stand_when_no_choice_is_better() -> None:
    # Every example: the search changes no base key (their designs are pinned by goldens).
    from dynamodel.compiler.design.passes import DesignState, base_key_search
    from tests.test_design_passes import _spec

    for example in ("tracker", "projects", "iot", "booking"):
        assert dict(base_key_search(DesignState(spec=_spec(example))).base_choice) == {}
