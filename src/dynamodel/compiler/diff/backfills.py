"""Schema evolution, backfills: attributes of stored items that must be filled from other
stored items. One function per kind: a counter (`counts:`, below) and a denormalized copy
(`copy_of:`, `copy_changes` at the end).

A counter that starts counting an entity whose items are already stored (a child gains
`counts: [Parent.counter]`, with or without a new counter attribute) is wrong for every
stored parent until each is set to its number of stored children; so is one that stops
counting an entity while others still count. `backfill_<parent>_<counter>()` does that
(`dynamodel.runtime.migrate.counted`): it counts each parent's children with strongly
consistent Queries, so the design must keep the children in a table partition that their
parent's key determines (`children_query`). When it does not, the change is still a data
migration, but one to do by hand, and the summary says which pattern would let dynamodel
generate the backfill.
"""

from __future__ import annotations

from dataclasses import dataclass

from dynamodel.compiler.design.ir import Design, KeyTemplate, Segment
from dynamodel.compiler.diff.types import Backfill, Change
from dynamodel.compiler.spec.model import Entity, Spec


@dataclass(frozen=True)
class ChildrenQuery:
    """Where a parent's items of a counted child entity are, in the table: the partition
    (every attribute of it one of the parent's key attributes) and the leading sort-key
    segments that the parent fixes (`whole`: they are the whole sort key)."""

    child: str
    partition: KeyTemplate
    sort_prefix: tuple[Segment, ...]
    whole: bool

    def describe(self) -> str:
        shown = "#".join(s.render() for s in self.sort_prefix)
        sort = f"SK = {shown}" if self.whole else f"SK beginning {shown}#"
        return f"PK = {self.partition.rendered}, {sort}"


def children_query(design: Design, child: str, parent: str) -> ChildrenQuery | None:
    """The table partition holding `parent`'s items of `child`, if the design has one."""
    child_spec, parent_spec = design.spec.entity(child), design.spec.entity(parent)
    assert child_spec is not None and parent_spec is not None
    key = design.entity(child).table_key
    if key.shards:
        return None
    fixed = set(parent_spec.key_names)

    def by_parent(segment: Segment) -> bool:
        if segment.kind == "literal":
            return True
        if segment.kind != "attribute" or segment.text not in fixed:
            return False
        mine, theirs = child_spec.attribute(segment.text), parent_spec.attribute(segment.text)
        return mine is not None and theirs is not None and mine.type == theirs.type

    if not all(by_parent(s) for s in key.partition.segments):
        return None
    prefix: list[Segment] = []
    for segment in key.sort.segments:
        if not by_parent(segment):
            break
        prefix.append(segment)
    return ChildrenQuery(
        child=child,
        partition=key.partition,
        sort_prefix=tuple(prefix),
        whole=len(prefix) == len(key.sort.segments),
    )


def counted_by(spec: Spec, parent: str, attribute: str) -> tuple[str, ...]:
    """The entities whose items the counter `parent.attribute` counts, in the spec's order."""
    return tuple(child.name for child, name in spec.counters_of(parent) if name == attribute)


def counter_changes(old: Design, new: Design) -> list[Change]:
    """A change per counter whose counted entities change (see the module docstring)."""
    changes: list[Change] = []
    for parent in new.spec.entities:
        was = old.spec.entity(parent.name)
        if was is None:  # a new entity: no stored items to fill
            continue
        names = [n for _, n in old.spec.counters_of(parent.name)]
        names += [n for _, n in new.spec.counters_of(parent.name)]
        for attribute in dict.fromkeys(names):
            before = counted_by(old.spec, parent.name, attribute)
            after = counted_by(new.spec, parent.name, attribute)
            if set(before) == set(after):
                continue
            change = _counter_change(old, new, parent, was, attribute, before, after)
            if change is not None:
                changes.append(change)
    return changes


def _counter_change(
    old: Design,
    new: Design,
    parent: Entity,
    was: Entity,
    attribute: str,
    before: tuple[str, ...],
    after: tuple[str, ...],
) -> Change | None:
    subject = f"entity {parent.name}"
    if not after:
        return Change(
            "safe",
            subject,
            f"{attribute} no longer counts {_names(before)} items: the stored values stay, "
            "and no write changes them any more",
        )
    stored = {e.name for e in old.spec.entities}
    added = [c for c in after if c not in before]
    removed = [c for c in before if c not in after]
    was_plain = not before and was.attribute(attribute) is not None
    if not (removed or was_plain or any(c in stored for c in added)):
        return Change(
            "safe",
            subject,
            f"{attribute} counts {_names(added)} items from now on (a new entity: no stored "
            "items to count)",
        )
    counts = ", ".join(f"`counts: [{parent.name}.{attribute}]` on {c}" for c in added)
    why = (
        f"new counted relationship: {attribute} counts {_names(after)} items ({counts})"
        if added
        else f"{attribute} no longer counts {_names(removed)} items"
    )
    need = (
        f"every stored {parent.name} needs {attribute} set to its number of stored "
        f"{_names(after)} items"
    )
    queries = [children_query(new, child, parent.name) for child in after]
    served = [q for q in queries if q is not None]
    if len(served) == len(queries):
        backfill = Backfill("counter", parent.name, attribute, after)
        where = "; ".join(f"{q.child}: {q.describe()}" for q in served)
        return Change(
            "migrate",
            subject,
            f"{why}: {need}; {backfill.function}() counts them with strongly consistent "
            f"Queries ({where}) and stays exact while they are created and deleted",
            backfill=backfill,
        )
    missing = [c for c, q in zip(after, queries, strict=True) if q is None]
    lists = ", ".join(
        f"`{{entity: {c}, by: [{', '.join(parent.key_names)}], consistent: true}}`" for c in missing
    )
    stores = "; ".join(
        f"{c} items under PK = {new.entity(c).table_key.partition.rendered}" for c in missing
    )
    return Change(
        "migrate",
        subject,
        f"{why}: {need}, but no Query of the table finds a {parent.name}'s {_names(missing)} "
        f"items (the design stores {stores}), so no backfill is generated: add "
        f"{lists} (a strongly consistent list keeps them in a partition per {parent.name}) "
        f"and generate again, or set each {attribute} by hand while no such item is written",
    )


def _names(entities: tuple[str, ...] | list[str]) -> str:
    return " and ".join(entities)


def copy_changes(old: Design, new: Design) -> list[Change]:
    """A change per stored holder entity that holds new copies of a source (`copy_of`):
    its stored items hold none until `backfill_<holder>_copies_of_<source>()` fills them."""
    changes: list[Change] = []
    for holder in new.spec.entities:
        was = old.spec.entity(holder.name)
        if was is None:  # a new entity: no stored items to fill
            continue
        before = {
            (a.name, a.copy_of[1].name)
            for _, copies in old.spec.copies_in(was)
            for a in copies
            if a.copy_of is not None
        }
        for source, copies in new.spec.copies_in(holder):
            added = [
                a
                for a in copies
                if a.copy_of is not None and (a.name, a.copy_of[1].name) not in before
            ]
            if not added:
                continue
            names = ", ".join(a.name for a in added)
            backfill = Backfill("copy", holder.name, names, (source,))
            shown = ", ".join(
                f"{a.name} = {source}.{a.copy_of[1].name}" for a in added if a.copy_of
            )
            changes.append(
                Change(
                    "migrate",
                    f"entity {holder.name}",
                    f"new denormalized copies ({shown}): every stored {holder.name} that names "
                    f"a {source} needs them filled from it; {backfill.function}() fills them, "
                    "safely beside the stream handler, and a second run changes nothing",
                    backfill=backfill,
                )
            )
    return changes
