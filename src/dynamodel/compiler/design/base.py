"""Base-table layout: where each entity's items live in the table itself.

Rules, in order:
- An aggregate (a root and all its members, at any depth) owns one partition, keyed by the
  root's id; the root is the partition's head item, members follow under their own tags.
  One strongly consistent Query on the partition returns exactly the aggregate.
- Any other entity is partitioned by a subset of its id: by default the whole id (one item
  per partition), or the subset that `by` of its access patterns names, so that those
  patterns (and `consistent: true`) are served from the base table without a GSI.
- A view whose entities can all sit in one base-table partition is served there too.
- A second view of the same head items, read in the other order, shares that partition: the
  head sorts between the two views' lists (the descending view's list tags get the
  BEFORE_HEAD prefix), and each view reads from the head onward in its own direction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from dynamodel.compiler.design.ir import BEFORE_HEAD, HEAD_FIRST, HEAD_LAST
from dynamodel.compiler.design.layout import Layout, fixed_parts
from dynamodel.compiler.diagnostics import Diagnostic, error
from dynamodel.compiler.spec.model import AccessPattern, Entity, Spec


@dataclass
class BaseLayout:
    """The base-table layouts, built by the `base layout` pass and extended (on a copy) by
    the `views on the base table` pass."""

    layouts: dict[str, Layout] = field(default_factory=dict)
    views: set[str] = field(default_factory=set)  # views served from the base table
    head_locked: set[str] = field(default_factory=set)  # heads whose prefix a view fixed
    # A base-table partition group -> the views it serves (two when they read either side of
    # the head); views in `sided` read from the head onward instead of the whole partition.
    group_views: dict[frozenset[str], list[AccessPattern]] = field(default_factory=dict)
    sided: dict[str, str] = field(default_factory=dict)  # view -> the view on the other side
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def copy(self) -> BaseLayout:
        return BaseLayout(
            layouts=dict(self.layouts),
            views=set(self.views),
            head_locked=set(self.head_locked),
            diagnostics=list(self.diagnostics),
            group_views={group: list(views) for group, views in self.group_views.items()},
            sided=dict(self.sided),
        )


@dataclass(frozen=True)
class _Wish:
    partition: frozenset[str]
    sort: tuple[str, ...]
    pattern: AccessPattern


def is_plain(spec: Spec, entity: Entity) -> bool:
    """Neither an aggregate root nor a member: free to choose its own partition."""
    return not entity.members and spec.root_of(entity.name) is None


def base_wish(entity: Entity, by: tuple[str, ...], sort: tuple[str, ...]) -> _Wish | None:
    """The base partition a read by `by`, ordered by `sort`, would like, if one can serve it."""
    identity = set(entity.key_names)
    wanted = frozenset(by)
    if not wanted or not wanted < identity:
        return None
    if any(s not in identity or s in wanted for s in sort):
        return None
    return _Wish(wanted, sort, AccessPattern(name="", pos=entity.pos))


# A plain entity's base key: its partition attributes and the sort that leads its sort key.
BaseKey = tuple[frozenset[str], tuple[str, ...]]


def _readers(spec: Spec) -> dict[str, list[AccessPattern]]:
    readers: dict[str, list[AccessPattern]] = defaultdict(list)
    for pattern in spec.patterns:
        if pattern.is_view:
            for view_field in pattern.view:
                readers[view_field.entity.name].append(pattern)
        elif pattern.entity is not None:
            readers[pattern.entity.name].append(pattern)
    return readers


def layout_entities(spec: Spec, choice: Mapping[str, BaseKey] | None = None) -> BaseLayout:
    """Each entity's base-table partition and sort: aggregates whole, others by the subset of
    their id their patterns (and views) read by: the best-ranked wish, or the one `choice`
    names (the base key search's)."""
    result = BaseLayout()
    readers = _readers(spec)
    for entity in spec.entities:
        if is_plain(spec, entity):
            wishes = _wishes(spec, entity, readers[entity.name])
            chosen = (choice or {}).get(entity.name)
            result.layouts[entity.name] = _plain_layout(
                entity, wishes, result.diagnostics, chosen=chosen
            )
        else:
            result.layouts[entity.name] = _aggregate_layout(spec, entity)
    return result


def base_key_candidates(spec: Spec) -> dict[str, list[BaseKey]]:
    """For each plain entity whose patterns and views wish for different base keys (and none
    of them is `consistent`, which fixes the key), those keys, the default (best-ranked) one
    first."""
    readers = _readers(spec)
    candidates: dict[str, list[BaseKey]] = {}
    for entity in spec.entities:
        if not is_plain(spec, entity):
            continue
        wishes = _wishes(spec, entity, readers[entity.name])
        if any(w.pattern.consistent for w in wishes):
            continue
        keys = list(dict.fromkeys((w.partition, w.sort) for w in wishes))
        if len(keys) < 2:
            continue
        default = _default_key(entity, wishes)
        candidates[entity.name] = [default, *(k for k in keys if k != default)]
    return candidates


def _default_key(entity: Entity, wishes: list[_Wish], keys: list[BaseKey] | None = None) -> BaseKey:
    """The key the rank picks among `keys` (default: every wish's): the one serving the most
    patterns (ties: a partition that is a prefix of the id, then the larger one, then the
    first wanted)."""
    identity = entity.key_names
    candidates = (
        keys if keys is not None else list(dict.fromkeys((w.partition, w.sort) for w in wishes))
    )

    def rank(key: BaseKey) -> tuple[int, int, int, tuple[str, ...]]:
        served = sum(_serves(entity, key, wish) for wish in wishes)
        ordered = tuple(a for a in identity if a in key[0])
        is_prefix = identity[: len(ordered)] == ordered
        return (-served, -int(is_prefix), -len(key[0]), ordered)

    return min(candidates, key=rank)


def _full_sort(entity: Entity, key: BaseKey) -> tuple[str, ...]:
    """The sort attributes of a base key: its sort, then the rest of the id in id order."""
    return key[1] + tuple(a for a in entity.key_names if a not in key[0] and a not in key[1])


def _serves(entity: Entity, key: BaseKey, wish: _Wish) -> bool:
    """Whether the base key serves the wish: the same partition, or a coarser one whose
    leading sort parts the wish's `by` fixes (sort-prefix sharing), with its sort next."""
    sort = _full_sort(entity, key)
    fixed = fixed_parts((tuple(key[0]), sort, ()), tuple(wish.partition), ())
    return fixed is not None and sort[fixed : fixed + len(wish.sort)] == wish.sort


def place_base_views(spec: Spec, base: BaseLayout) -> BaseLayout:
    """Serve from the base table each view whose entities can share one partition there."""
    result = base.copy()
    for pattern in spec.patterns:
        if pattern.is_view:
            _place_view(spec, pattern, result)
    return result


def _aggregate_layout(spec: Spec, entity: Entity) -> Layout:
    root = spec.aggregate_root(entity.name) or entity
    group = frozenset([root.name, *(e.name for e in spec.descendants(root))])
    if root.name == entity.name:
        return Layout(
            entity.name,
            entity.id_names,
            (),
            head_prefix=HEAD_FIRST,
            group=group,
            group_tag=root.name,
        )
    rest = entity.id_names[len(root.id_names) :]
    return Layout(entity.name, root.id_names, rest, group=group, group_tag=root.name)


def _wishes(spec: Spec, entity: Entity, patterns: list[AccessPattern]) -> list[_Wish]:
    wishes: list[_Wish] = []
    for pattern in patterns:
        if pattern.is_view:
            if pattern.has_roles:
                continue  # roles have keys of their own, in a GSI
            if not all(_view_entity_plain(spec, f.entity.name) for f in pattern.view):
                continue
            if not any(f.entity.name == entity.name and f.many for f in pattern.view):
                continue
        elif pattern.entity is None or pattern.entity.name != entity.name:
            continue
        if pattern.where or pattern.shards:
            continue
        wish = base_wish(entity, pattern.by_names, pattern.sort_names)
        if wish is not None:
            wishes.append(replace(wish, pattern=pattern))
    return wishes


def _view_entity_plain(spec: Spec, name: str) -> bool:
    entity = spec.entity(name)
    return entity is not None and is_plain(spec, entity)


def _plain_layout(
    entity: Entity,
    wishes: list[_Wish],
    diagnostics: list[Diagnostic],
    *,
    chosen: BaseKey | None = None,
) -> Layout:
    identity = entity.key_names
    required = [w for w in wishes if w.pattern.consistent]
    key: BaseKey | None = None
    if required:
        keys = list(dict.fromkeys((w.partition, w.sort) for w in wishes))
        fitting = [k for k in keys if all(_serves(entity, k, w) for w in required)]
        if fitting:
            key = _default_key(entity, wishes, fitting)
        else:
            key = (required[0].partition, required[0].sort)
            for wish in required[1:]:
                if not _serves(entity, key, wish):
                    first = required[0].pattern
                    assert wish.pattern.consistent_pos is not None
                    diagnostics.append(
                        error(
                            wish.pattern.consistent_pos,
                            f"`{wish.pattern.name}` cannot be strongly consistent: the base "
                            f"table partitions `{entity.name}` by {_names(key[0])} for "
                            f"`{first.name}`, and reading by {_names(wish.partition)} needs a "
                            "GSI, which is eventually consistent",
                            "drop `consistent: true` from one of the two patterns",
                        )
                    )
    elif chosen is not None:
        key = chosen
    elif wishes:
        key = _default_key(entity, wishes)
    if key is None:
        return Layout(entity.name, identity, (), head_prefix=HEAD_FIRST)
    partition = tuple(a for a in identity if a in key[0])
    rest = tuple(a for a in identity if a not in key[0] and a not in key[1])
    return Layout(entity.name, partition, key[1] + rest)


def _names(attributes: frozenset[str]) -> str:
    return "[" + ", ".join(sorted(attributes)) + "]"


def _place_view(spec: Spec, pattern: AccessPattern, result: BaseLayout) -> None:
    """Serve the view from the base table when its entities can share one partition there."""
    by = frozenset(pattern.by_names)
    names = frozenset(f.entity.name for f in pattern.view)
    entities = [spec.entity(f.entity.name) for f in pattern.view]
    if not by or any(e is None for e in entities) or pattern.has_roles:
        return  # a role is a key of its own: an entity has one key in the base table
    layouts = {name: result.layouts[name] for name in names}
    if any(frozenset(layout.partition) != by for layout in layouts.values()):
        return
    prefix = HEAD_FIRST if pattern.order == "asc" else HEAD_LAST
    if not all(e is not None and is_plain(spec, e) for e in entities):
        # An aggregate's partition holds the whole aggregate and nothing else: the view
        # must name exactly the aggregate to be served by it.
        groups = {layout.group for layout in layouts.values()}
        if groups != {names} or pattern.sort:
            return
        root = next(lay for lay in layouts.values() if lay.head_prefix is not None)
        if root.entity in result.head_locked and root.head_prefix != prefix:
            return
        result.layouts[root.entity] = replace(root, head_prefix=prefix)
        result.head_locked.add(root.entity)
        result.views.add(pattern.name)
        return
    if _share_with_other_side(pattern, layouts, result):
        return
    changes: dict[str, Layout] = {}
    for view_field in pattern.view:
        layout = layouts[view_field.entity.name]
        if layout.group is not None and layout.group != names:
            return
        if view_field.many:
            if not layout.sort or layout.sort[: len(pattern.sort)] != pattern.sort_names:
                return
            changes[layout.entity] = replace(layout, group=names)
        else:
            if layout.sort:
                return
            if layout.entity in result.head_locked and layout.head_prefix != prefix:
                return
            changes[layout.entity] = replace(layout, group=names, head_prefix=prefix)
    existing = next(
        (lay.group_tag for lay in layouts.values() if lay.group == names and lay.group_tag), None
    )
    first_single = next((f.entity.name for f in pattern.view if not f.many), None)
    tag = existing or first_single or pattern.view[0].entity.name
    for name, layout in changes.items():
        result.layouts[name] = replace(layout, group_tag=tag)
        if layout.head_prefix is not None and not layout.sort:
            result.head_locked.add(name)
    result.views.add(pattern.name)
    result.group_views.setdefault(names, []).append(pattern)


def _share_with_other_side(
    pattern: AccessPattern, layouts: dict[str, Layout], result: BaseLayout
) -> bool:
    """Put a view into the partition of another view of the same head items, when the two
    read in opposite orders: the heads move to the middle (`#`), the descending view's lists
    before them (BEFORE_HEAD tags), the ascending view's lists after them. Each view then
    reads from the heads onward, one Query, with a `limit` if it has one."""
    heads = frozenset(f.entity.name for f in pattern.view if not f.many)
    lists = [f for f in pattern.view if f.many]
    if not heads or not lists:
        return False
    group = next(iter({layouts[name].group for name in heads}))
    if group is None or len({layouts[name].group for name in heads}) != 1:
        return False
    others = result.group_views.get(group, [])
    if len(others) != 1:
        return False
    other = others[0]
    if (
        other.order == pattern.order
        or frozenset(f.entity.name for f in other.view if not f.many) != heads
        or not any(f.many for f in other.view)
    ):
        return False
    for view_field in lists:
        layout = layouts[view_field.entity.name]
        if layout.group is not None or view_field.entity.name in heads:
            return False
        if not layout.sort or layout.sort[: len(pattern.sort)] != pattern.sort_names:
            return False
    union = group | frozenset(f.entity.name for f in lists)
    tag = result.layouts[next(iter(heads))].group_tag
    backward = pattern if pattern.order == "desc" else other
    before = {f.entity.name for f in backward.view if f.many}
    for name in union:
        result.layouts[name] = replace(
            result.layouts[name],
            group=union,
            group_tag=tag,
            head_prefix=HEAD_FIRST if name in heads else result.layouts[name].head_prefix,
            tag_prefix=BEFORE_HEAD if name in before else "",
        )
    result.head_locked.update(heads)
    del result.group_views[group]
    result.group_views[union] = [other, pattern]
    result.views.add(pattern.name)
    result.sided.update({other.name: pattern.name, pattern.name: other.name})
    return True
