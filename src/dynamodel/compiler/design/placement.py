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

from dataclasses import dataclass, field, replace

from dynamodel.compiler.design.ir import BEFORE_HEAD, HEAD_FIRST, HEAD_LAST
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
    roles: frozenset[str] = frozenset()  # entities with roles in some view (role slots)

    def fit(self, index: dict[str, Layout], need: Need) -> dict[str, Layout] | None:
        """The layouts `need` gives the entities of `index` if it goes there, or None."""
        merged: dict[str, Layout] = {}
        present = [name for name in need if name in index]
        # A GSI holds one key per entity, or one per role of an entity in one view (the
        # roles' `where` keep each item in one of them): never a role and another key.
        for slot in need:
            entity = _entity_of(slot)
            if slot not in index and entity in self.roles and _holds(index, entity):
                return None
        groups = {layout.group for layout in need.values()}
        is_view = groups != {None}
        if is_view and present and len(present) != len(need):
            return None  # a view's partition must hold all of the view's entities or none
        if self.dedicated and len(present) != len(need):
            return None
        for name, wanted in need.items():
            if name in index:
                combined = merge(
                    index[name], wanted, optional=self.optional.get(_entity_of(name), frozenset())
                )
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
    """One layout per view field, keyed by its slot: the entity's name, or a role's own name
    (an entity in two fields has a key per field, each sparse by the field's `where`)."""
    names = frozenset(f.slot(pattern) for f in pattern.view)
    tag = need_tag(pattern)
    prefix = HEAD_FIRST if pattern.order == "asc" else HEAD_LAST
    need: Need = {}
    for view_field in pattern.view:
        entity = spec.entity(view_field.entity.name)
        assert entity is not None
        single = not view_field.many
        by = view_field.by_names(pattern)
        sort = () if single else tuple(s for s in pattern.sort_names if s not in by)
        need[view_field.slot(pattern)] = Layout(
            entity=entity.name,
            partition=by,
            sort=sort,
            where=view_field.where_items(),
            head_prefix=prefix if single and set(entity.id_names) <= set(by) else None,
            group=names,
            group_tag=tag,
            patterns=(pattern.name,),
        )
    return need


def _entity_of(slot: str) -> str:
    return slot.split("@", 1)[0]


def _holds(index: dict[str, Layout], entity: str) -> bool:
    """Whether the GSI holds a key of the entity, its own or a role's."""
    return entity in index or any(_entity_of(slot) == entity for slot in index)


def role_entities(needs: list[tuple[str, Need]]) -> frozenset[str]:
    """The entities some need gives role slots (`Entity@view.field`)."""
    return frozenset(_entity_of(slot) for _, need in needs for slot in need if "@" in slot)


def _heads(pattern: AccessPattern) -> frozenset[str]:
    return frozenset(f.entity.name for f in pattern.view if not f.many)


def _lists(pattern: AccessPattern) -> frozenset[str]:
    return frozenset(f.entity.name for f in pattern.view if f.many)


def pair_views(views: list[AccessPattern]) -> list[tuple[AccessPattern, AccessPattern | None]]:
    """The views a GSI serves, each alone or paired with a view of the same single items (the
    head) read in the other order: a pair shares one partition, the head between the two
    views' lists (as on the base table, design rule 4). Pairs are taken in spec order."""
    result: list[tuple[AccessPattern, AccessPattern | None]] = []
    taken: set[str] = set()
    for position, view in enumerate(views):
        if view.name in taken:
            continue
        taken.add(view.name)
        partner = next(
            (
                other
                for other in views[position + 1 :]
                if other.name not in taken and _pairs(view, other)
            ),
            None,
        )
        if partner is not None:
            taken.add(partner.name)
        result.append((view, partner))
    return result


def _pairs(first: AccessPattern, second: AccessPattern) -> bool:
    heads = _heads(first)
    return (
        not first.has_roles
        and not second.has_roles
        and bool(heads)
        and heads == _heads(second)
        and first.order != second.order
        and set(first.by_names) == set(second.by_names)
        and bool(_lists(first))
        and bool(_lists(second))
        and not _lists(first) & _lists(second)
        and not (_lists(first) | _lists(second)) & heads
    )


def sided_view_need(spec: Spec, first: AccessPattern, second: AccessPattern) -> Need:
    """One partition for two views of one head read in opposite orders: the head's sort key
    is `#Entity`, the descending view's lists get BEFORE_HEAD tags (they sort before it) and
    the ascending view's lists plain tags (after it)."""
    union = _heads(first) | _lists(first) | _lists(second)
    backward = first if first.order == "desc" else second
    need: Need = {}
    for view in (first, second):
        for name, layout in view_need(spec, view).items():
            if name in need:  # a head: both views read it
                need[name] = replace(need[name], patterns=need[name].patterns + layout.patterns)
                continue
            need[name] = replace(
                layout,
                group=union,
                group_tag=need_tag(first),
                head_prefix=HEAD_FIRST if name in _heads(first) else None,
                tag_prefix=BEFORE_HEAD if name in _lists(backward) else "",
            )
    return need


def need_tag(pattern: AccessPattern) -> str:
    """The partition literal of a view's partition group: its first single item's entity."""
    first_single = next((f.entity.name for f in pattern.view if not f.many), None)
    return first_single or pattern.view[0].entity.name
