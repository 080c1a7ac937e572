"""Survivors of the mutation run over the design stage's placement code (layout.py,
placement.py, search.py; see docs/development.md, Mutation testing): the GSI lower bound,
the search's step budget, the layouts merges give view heads, role slots in shared GSIs,
and the one partition two views of one head share on a GSI."""

from __future__ import annotations

from typing import Any

import pytest

from dynamodel.compiler.design import search
from dynamodel.compiler.design.keys import name_indexes
from dynamodel.compiler.design.layout import Layout, merge
from dynamodel.compiler.design.placement import Need, Placement, role_entities
from dynamodel.compiler.design.search import (
    MAX_NEEDS,
    _OutOfSteps,
    _Search,
    fewest_gsis,
    lower_bound,
)
from dynamodel.compiler.pipeline import compile_spec
from tests.test_bounded_views import TWO_VIEWS_ON_A_GSI


def layout(partition: tuple[str, ...] = ("a",), sort: tuple[str, ...] = (), **extra: Any) -> Layout:
    return Layout(entity="E", partition=partition, sort=sort, **extra)


def needs_of(*layouts: Layout) -> list[tuple[str, Need]]:
    return [(f"p{n}", {item.entity: item}) for n, item in enumerate(layouts)]


# The lower bound


def test_the_bound_counts_needs_that_can_never_share_a_key() -> None:
    # One partition, sorts neither a prefix of the other: two GSIs, and the bound says so.
    clash = needs_of(layout(sort=("b",)), layout(sort=("c",)))
    # Write-sharded and unsharded needs never share a key, whatever their partitions.
    shards = needs_of(layout(shards=4), layout(("b",)))
    for needs in (clash, shards):
        assert lower_bound(needs, {}) == 2
        assert len(fewest_gsis(needs, dedicated=False, optional={}).indexes) == 2
    # Extending a sort by an optional attribute drops items the shorter need wants.
    optional = {"E": frozenset({"c"})}
    extension = needs_of(layout(sort=("b",)), layout(sort=("b", "c")))
    assert lower_bound(extension, optional) == 2
    assert len(fewest_gsis(extension, dedicated=False, optional=optional).indexes) == 2
    assert lower_bound([], {}) == 0


def test_the_search_is_skipped_when_greedy_meets_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class NoSearch:
        def __init__(self, *args: object) -> None:
            raise AssertionError("searched although the greedy placement meets the bound")

    monkeypatch.setattr(search, "_Search", NoSearch)
    needs = needs_of(layout(sort=("b",)), layout(sort=("c",)))
    assert len(fewest_gsis(needs, dedicated=False, optional={}).indexes) == 2


def test_past_max_needs_the_greedy_placement_stands() -> None:
    def padded(total: int) -> list[tuple[str, Need]]:
        others = [(f"x{n}", {f"X{n}": Layout(f"X{n}", ("x",))}) for n in range(total - 4)]
        return first_fit_needs() + others

    assert len(fewest_gsis(padded(MAX_NEEDS), dedicated=False, optional={}).indexes) == 2
    assert len(fewest_gsis(padded(MAX_NEEDS + 1), dedicated=False, optional={}).indexes) == 3


def test_the_bound_never_counts_needs_a_coarser_key_serves_together() -> None:
    # `where: {w: x}` and `where: {w: y}` cannot merge, but a key sorted by `w` serves both.
    first, second = layout(where=(("w", "x"),)), layout(where=(("w", "y"),))
    assert merge(first, second) is None and merge(second, first) is None
    needs = needs_of(layout(sort=("w",)), first, second)
    assert len(fewest_gsis(needs, dedicated=False, optional={}).indexes) == 1
    assert lower_bound(needs, {}) == 1
    assert lower_bound(needs_of(first, second), {}) == 1


# The search's steps


def first_fit_needs() -> list[tuple[str, Need]]:
    """The example of test_gsi_search.py where first fit opens 3 GSIs and 2 suffice."""

    def key(entity: str, partition: str, sort: tuple[str, ...] = (), **view: Any) -> Layout:
        return Layout(entity, (partition,), sort, patterns=("p",), **view)

    ac = frozenset({"A", "C"})
    bc = frozenset({"B", "C"})
    return [
        ("p0", {"A": key("A", "a")}),
        ("p1", {"B": key("B", "b", ("y",))}),
        ("v2", {n: key(n, "c", group=ac, group_tag="A") for n in ac}),
        ("v3", {n: key(n, "a", group=bc, group_tag="B") for n in bc}),
    ]


def greedy_of(needs: list[tuple[str, Need]], *, dedicated: bool = False) -> Placement:
    greedy = Placement(dedicated=dedicated, optional={})
    for pattern, need in needs:
        greedy.place(pattern, dict(need))
    return greedy


def counted_search(needs: list[tuple[str, Need]], max_nodes: int) -> tuple[_Search, list[int]]:
    """A search whose every step (the recursion calls `self.step`) is recorded."""
    search = _Search(needs, greedy_of(needs), max_nodes)
    steps: list[int] = []
    step = search.step

    def counted(position: int) -> None:
        steps.append(position)
        step(position)

    search.step = counted  # type: ignore[method-assign]
    return search, steps


def test_the_search_counts_every_step_and_cuts_full_branches() -> None:
    search, steps = counted_search(first_fit_needs(), 1_000)
    search.step(0)
    assert search.best is not None and search.best_count == 2
    assert search.nodes == len(steps)
    # A branch is cut as soon as it holds as many GSIs as the best found: no branch opens a
    # GSI it would have to cut at once. The complete search of this example takes 7 steps.
    assert len(steps) <= 7


def test_a_budget_of_n_steps_allows_exactly_n() -> None:
    needs = first_fit_needs()
    search, steps = counted_search(needs, 1_000)
    search.step(0)
    total = len(steps)
    enough, _ = counted_search(needs, total)
    enough.step(0)  # completes: no _OutOfSteps
    assert enough.best_count == 2
    short, steps = counted_search(needs, total - 1)
    with pytest.raises(_OutOfSteps):
        short.step(0)
    assert len(steps) == total
    # Out of steps before any better placement: the greedy one stands.
    assert len(fewest_gsis(needs, dedicated=False, optional={}, max_nodes=1).indexes) == 3
    assert len(fewest_gsis(needs, dedicated=False, optional={}, max_nodes=total).indexes) == 2


def test_between_equal_placements_the_first_found_is_kept() -> None:
    def key(entity: str, partition: str, sort: tuple[str, ...] = (), **view: Any) -> Layout:
        return Layout(entity, tuple(partition), sort, patterns=("p",), **view)

    ab, bc = frozenset({"A", "C"}), frozenset({"B", "C"})
    needs: list[tuple[str, Need]] = [
        ("p0", {"B": key("B", "ba", ("d", "c"))}),
        ("v1", {n: key(n, "b", group=bc, group_tag="B") for n in bc}),
        ("p2", {"B": key("B", "b")}),
        ("p3", {"A": key("A", "a", ("d",))}),
        ("v4", {n: key(n, "a", group=ab, group_tag="A") for n in ab}),
    ]
    assert len(greedy_of(needs).indexes) == 3
    found = fewest_gsis(needs, dedicated=False, optional={})
    assert found.served == {"p0": 0, "p2": 0, "v4": 0, "p3": 1, "v1": 1}


def test_the_search_beats_greedy_with_dedicated_indexes_too() -> None:
    def key(entity: str, partition: str, sort: tuple[str, ...] = (), **view: Any) -> Layout:
        return Layout(entity, tuple(partition), sort, patterns=("p",), **view)

    ac, bc = frozenset({"A", "C"}), frozenset({"B", "C"})
    needs: list[tuple[str, Need]] = [
        ("v0", {n: key(n, "a", group=ac, group_tag="A") for n in ac}),
        ("v1", {n: key(n, "b", group=bc, group_tag="C") for n in bc}),
        ("p2", {"C": key("C", "ba", ("d", "c"))}),
        ("p3", {"C": key("C", "a", ("c", "d"))}),
    ]
    assert len(greedy_of(needs, dedicated=True).indexes) == 3
    found = fewest_gsis(needs, dedicated=True, optional={})
    assert found.served == {"v0": 0, "p3": 0, "v1": 1, "p2": 1}
    assert found.dedicated
    names = [i.name for i in name_indexes(found.first_pattern, dedicated=found.dedicated)]
    assert names == ["V0Index", "V1Index"]


# Layout merges


def test_merge_is_the_same_whichever_need_comes_first() -> None:
    # A view's list keeps its partition; a finer pattern's key can still move under it.
    view_list = layout(("a",), ("b",), group=frozenset({"E", "F"}), group_tag="F")
    fine = layout(("a", "b"))
    for first, second in ((view_list, fine), (fine, view_list)):
        merged = merge(first, second)
        assert merged is not None
        assert (merged.partition, merged.sort, merged.group) == (("a",), ("b",), view_list.group)


def test_an_optional_part_both_needs_already_hold_does_not_stop_sharing() -> None:
    # The coarse key already sorts by the optional `c`, and the finer need sorts by it too.
    coarse, fine = layout(("a",), ("b", "c")), layout(("a", "b"), ("c",))
    merged = merge(coarse, fine, optional=frozenset({"c"}))
    assert merged is not None and merged.sort == ("b", "c")


def test_a_view_head_keeps_its_prefix_and_takes_no_sort() -> None:
    group = frozenset({"E", "F"})
    head = layout(("a",), head_prefix="#", group=group, group_tag="E")
    # Another need of the same partition without a head prefix: the head stays a head.
    merged = merge(head, layout(("a",), group=group, group_tag="E"))
    assert merged is not None and merged.head_prefix == "#"
    merged = merge(head, layout(("a",)))
    assert merged is not None and merged.head_prefix == "#"
    # A key that is no head yet takes the head's prefix when a view's head joins it.
    merged = merge(layout(("a",), group=group, group_tag="E"), head)
    assert merged is not None and merged.head_prefix == "#"
    # A view head has no sort part to extend.
    assert merge(head, layout(("a",), ("b",), group=group, group_tag="E")) is None


# Role slots


def test_a_role_slot_goes_into_a_gsi_of_other_entities_only() -> None:
    placement = Placement(dedicated=False, roles=frozenset({"Repo"}))
    roles: Need = {
        "Repo@v.repo": Layout("Repo", ("owner",), where=(("fork", False),)),
        "Repo@v.forks": Layout("Repo", ("parent",), where=(("fork", True),)),
    }
    others = {"Issue": Layout("Issue", ("owner",))}
    assert placement.fit(others, roles) == roles
    assert placement.fit({**others, "Repo": Layout("Repo", ("name",))}, roles) is None
    assert placement.fit({"Repo@w.repo": Layout("Repo", ("name",))}, roles) is None


def test_role_entities_are_those_with_role_slots() -> None:
    needs: list[tuple[str, Need]] = [
        ("v", {"Repo@v.repo": Layout("Repo", ("o",)), "Issue": Layout("Issue", ("o",))}),
        ("p", {"Pull": Layout("Pull", ("o",))}),
    ]
    assert role_entities(needs) == frozenset({"Repo"})


# Two views of one head in one GSI partition


def compiled(text: str) -> Any:
    result = compile_spec(text)
    assert result.design is not None and not result.diagnostics, result.rendered()
    return result.design


def sort_keys(design: Any, index: str = "GSI1") -> dict[str, str]:
    return {e.name: e.key_on(index).sort.render() for e in design.entities if e.key_on(index)}


def test_the_ascending_view_first_still_puts_the_descending_lists_before_the_head() -> None:
    spec = TWO_VIEWS_ON_A_GSI.replace("    order: desc\n", "").replace(
        "by: [owner, name], sort: number}", "by: [owner, name], sort: number, order: desc}", 1
    )
    design = compiled(spec)
    assert [index.name for index in design.indexes] == ["GSI1"]
    assert sort_keys(design) == {
        "Repo": "#Repo",
        "Issue": "Issue#{number}#{item_id}",
        "Pull": "!Pull#{number}#{item_id}",
    }


def test_the_shared_head_key_serves_both_views() -> None:
    design = compiled(TWO_VIEWS_ON_A_GSI)
    repo = design.entity("Repo").key_on("GSI1")
    assert set(repo.patterns) == {"repo_with_issues", "repo_with_pulls"}


def test_a_pattern_may_extend_the_sort_of_a_list_of_two_views() -> None:
    spec = TWO_VIEWS_ON_A_GSI.replace(
        "issues_of_repo: {entity: Issue, by: [owner, name], sort: number}",
        "issues_of_repo: {entity: Issue, by: [owner, name], sort: [number, title]}",
    )
    design = compiled(spec)
    assert [index.name for index in design.indexes] == ["GSI1"]
    assert sort_keys(design)["Issue"] == "!Issue#{number}#{title}#{item_id}"


def test_the_shared_partition_is_not_moved_by_a_coarser_pattern() -> None:
    # Issues by owner, sorted by repository name and number, would serve the view's list by
    # sort-prefix sharing, but a view keeps its partition: the pattern takes a GSI of its own.
    spec = TWO_VIEWS_ON_A_GSI.replace(
        "issues_of_repo: {entity: Issue, by: [owner, name], sort: number}",
        "issues_of_owner: {entity: Issue, by: [owner], sort: [name, number]}",
    )
    design = compiled(spec)
    assert [index.name for index in design.indexes] == ["GSI1", "GSI2"]
    issue = design.entity("Issue").key_on("GSI1")
    assert issue.partition_attributes == ("owner", "name")
    assert issue.sort.render() == "!Issue#{number}#{item_id}"


def test_a_third_view_of_the_head_does_not_join_the_shared_partition() -> None:
    # Issues again, in ascending order: its list would sort after the head, where the pair's
    # descending view put the issues before it. It needs a partition of its own.
    spec = TWO_VIEWS_ON_A_GSI + (
        "  repo_with_issues_asc: {view: {repo: Repo, issues: [Issue]}, by: [owner, name],"
        " sort: number}\n"
    )
    design = compiled(spec)
    assert len(design.indexes) == 2
    plans = {p.name: p for p in design.patterns}
    assert plans["repo_with_issues_asc"].index != plans["repo_with_issues"].index
