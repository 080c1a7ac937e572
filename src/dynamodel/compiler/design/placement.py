"""GSI placement: put every need the base table cannot serve into as few GSIs as possible.

Each GSI holds at most one key per entity. A need reuses a slot where the entity's key there
is compatible (`layout.merge`), else takes a GSI where the entity has no key yet
(overloading: entity prefixes keep different entities' items apart), else opens a new GSI.
With the `dedicated` strategy a GSI holds one partition group only.

`place_needs` first places greedily (first fit, in order), then searches every placement
exactly (branch and bound, in `search.py`) for one with fewer GSIs, unless the greedy count
already equals a lower bound or the spec is past the search's size limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dynamodel.compiler.design.ir import HEAD_FIRST, HEAD_LAST
from dynamodel.compiler.design.layout import Layout, merge
from dynamodel.compiler.spec.model import AccessPattern, Spec

Need = dict[str, Layout]  # entity name -> the layout it needs, all in one index


@dataclass
class Placement:
    dedicated: bool
    optional: dict[str, frozenset[str]] = field(default_factory=dict)  # entity -> attributes
    indexes: list[dict[str, Layout]] = field(default_factory=list)
    first_pattern: list[str] = field(default_factory=list)  # names dedicated indexes
    served: dict[str, int] = field(default_factory=dict)  # pattern -> index position

    def fit(self, index: dict[str, Layout], need: Need) -> dict[str, Layout] | None:
        """The layouts `need` gives the entities of `index` if it goes there, or None."""
        merged: dict[str, Layout] = {}
        present = [name for name in need if name in index]
        groups = {layout.group for layout in need.values()}
        is_view = groups != {None}
        if is_view and present and len(present) != len(need):
            return None  # a view's partition must hold all of the view's entities or none
        if self.dedicated and len(present) != len(need):
            return None
        for name, wanted in need.items():
            if name in index:
                combined = merge(index[name], wanted, optional=self.optional.get(name, frozenset()))
                if combined is None:
                    return None
                merged[name] = combined
            else:
                merged[name] = wanted
        return merged

    def place(self, pattern: str, need: Need) -> int:
        # Prefer an index where every entity already has a compatible key: no new key at all.
        for position, index in enumerate(self.indexes):
            if all(name in index for name in need):
                merged = self.fit(index, need)
                if merged is not None:
                    index.update(merged)
                    self.served[pattern] = position
                    return position
        if not self.dedicated:
            for position, index in enumerate(self.indexes):
                merged = self.fit(index, need)
                if merged is not None:
                    index.update(merged)
                    self.served[pattern] = position
                    return position
        self.indexes.append(dict(need))
        self.first_pattern.append(pattern)
        self.served[pattern] = len(self.indexes) - 1
        return len(self.indexes) - 1


def pattern_need(pattern: AccessPattern) -> Need:
    assert pattern.entity is not None
    layout = Layout(
        entity=pattern.entity.name,
        partition=pattern.by_names,
        sort=pattern.sort_names,
        where=pattern.where_items,
        shards=pattern.shards,
        patterns=(pattern.name,),
    )
    return {pattern.entity.name: layout}


def view_need(spec: Spec, pattern: AccessPattern) -> Need:
    names = frozenset(f.entity.name for f in pattern.view)
    first_single = next((f.entity.name for f in pattern.view if not f.many), None)
    tag = first_single or pattern.view[0].entity.name
    prefix = HEAD_FIRST if pattern.order == "asc" else HEAD_LAST
    need: Need = {}
    for view_field in pattern.view:
        entity = spec.entity(view_field.entity.name)
        assert entity is not None
        single = not view_field.many
        by = pattern.by_names
        sort = () if single else tuple(s for s in pattern.sort_names if s not in by)
        need[entity.name] = Layout(
            entity=entity.name,
            partition=by,
            sort=sort,
            head_prefix=prefix if single and set(entity.id_names) <= set(by) else None,
            group=names,
            group_tag=tag,
            patterns=(pattern.name,),
        )
    return need
