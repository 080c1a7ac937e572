"""The fewest GSIs: an exact search over every placement of the needs, in branch and bound.

The needs (one per pattern or view the base table does not serve) are placed in their order;
each may go into any GSI it fits (`Placement.fit`, the same rules as the greedy placement) or
open the next one. The greedy placement gives the first bound; a branch is cut as soon as it
holds as many GSIs as the best placement found, so only a placement with strictly fewer GSIs
replaces the greedy one and, between equals, the greedy one is kept. Branches are tried in the
greedy order, so the search is deterministic.

Past `MAX_NEEDS` needs, or `MAX_NODES` steps, the greedy placement stands: both limits are
far above the specs people write (the published designs have at most a dozen needs), and the
search is skipped outright when the greedy count equals a lower bound (the most needs of one
entity that pairwise cannot share a key), which is the common case.
"""

from __future__ import annotations

import contextlib

from dynamodel.compiler.design.layout import Layout, merge
from dynamodel.compiler.design.placement import Need, Placement, role_entities

MAX_NEEDS = 48  # more needs than this: the greedy placement stands
MAX_NODES = 200_000  # steps of the search before it gives up on improving the greedy one


class _OutOfSteps(Exception):
    pass


def lower_bound(needs: list[tuple[str, Need]], optional: dict[str, frozenset[str]]) -> int:
    """At least this many GSIs: for each entity, a set of its needs no two of which can share
    one key (`_never_share`; built greedily, so a valid bound though not always the largest)."""
    by_entity: dict[str, list[Layout]] = {}
    for _, need in needs:
        for name, layout in need.items():
            by_entity.setdefault(name, []).append(layout)
    bound = 0
    for layouts in by_entity.values():
        apart: list[Layout] = []
        for layout in layouts:
            extra = optional.get(layout.entity, frozenset())
            if all(_never_share(other, layout, extra) for other in apart):
                apart.append(layout)
        bound = max(bound, len(apart))
    return bound


def _never_share(first: Layout, second: Layout, optional: frozenset[str]) -> bool:
    """No key can serve both: their shards differ, or, with the same partition and `where`,
    their sorts cannot merge. Needs with different partitions or `where` may still share a
    coarser key that a third need brings (sort-prefix sharing), so they never count."""
    if first.shards != second.shards:
        return True
    same = set(first.partition) == set(second.partition) and set(first.where) == set(second.where)
    return (
        same
        and merge(first, second, optional=optional) is None
        and merge(second, first, optional=optional) is None
    )


def fewest_gsis(
    needs: list[tuple[str, Need]],
    *,
    dedicated: bool,
    optional: dict[str, frozenset[str]],
    max_nodes: int = MAX_NODES,
) -> Placement:
    """The greedy placement, or one with fewer GSIs if the search finds it."""
    greedy = Placement(dedicated=dedicated, optional=optional, roles=role_entities(needs))
    for pattern, need in needs:
        greedy.place(pattern, dict(need))
    if len(needs) > MAX_NEEDS or len(greedy.indexes) <= lower_bound(needs, optional):
        return greedy
    search = _Search(needs, greedy, max_nodes)
    with contextlib.suppress(_OutOfSteps):  # then the best found so far (or greedy) stands
        search.step(0)
    return greedy if search.best is None else search.placement()


class _Search:
    def __init__(self, needs: list[tuple[str, Need]], greedy: Placement, max_nodes: int) -> None:
        self.needs = needs
        self.rules = Placement(
            dedicated=greedy.dedicated, optional=greedy.optional, roles=greedy.roles
        )
        self.best_count = len(greedy.indexes)
        self.best: tuple[list[dict[str, Layout]], list[int]] | None = None
        self.indexes: list[dict[str, Layout]] = []
        self.assignment: list[int] = []
        self.nodes = 0
        self.max_nodes = max_nodes

    def step(self, position: int) -> None:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise _OutOfSteps
        if len(self.indexes) >= self.best_count:
            return  # cannot end with fewer GSIs than the best found
        if position == len(self.needs):
            self.best_count = len(self.indexes)
            self.best = ([dict(index) for index in self.indexes], list(self.assignment))
            return
        _, need = self.needs[position]
        for target in self._targets(need):
            merged = self.rules.fit(self.indexes[target], need)
            if merged is None:
                continue
            index = self.indexes[target]
            saved = {name: index.get(name) for name in merged}
            index.update(merged)
            self.assignment.append(target)
            self.step(position + 1)
            self.assignment.pop()
            for name, layout in saved.items():
                if layout is None:
                    del index[name]
                else:
                    index[name] = layout
        if len(self.indexes) + 1 < self.best_count:
            self.indexes.append(dict(need))
            self.assignment.append(len(self.indexes) - 1)
            self.step(position + 1)
            self.assignment.pop()
            self.indexes.pop()

    def _targets(self, need: Need) -> list[int]:
        """Existing GSIs in the greedy placement's order of preference: first those where
        every entity of the need already has a key, then the rest."""
        full = [i for i, index in enumerate(self.indexes) if all(n in index for n in need)]
        if self.rules.dedicated:
            return full
        return full + [i for i in range(len(self.indexes)) if i not in full]

    def placement(self) -> Placement:
        assert self.best is not None
        indexes, assignment = self.best
        result = Placement(
            dedicated=self.rules.dedicated, optional=self.rules.optional, roles=self.rules.roles
        )
        result.indexes = indexes
        for (pattern, _), target in zip(self.needs, assignment, strict=True):
            result.served[pattern] = target
            if target == len(result.first_pattern):
                result.first_pattern.append(pattern)
        return result
