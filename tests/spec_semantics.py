"""What spec 1.1 constructs mean, in plain Python, for the oracles of the tests that sweep
every example and golden spec (the design simulator, the repository oracle, `dynamodel try`,
the IAM scenario): derived values, `where` constants and presence filters, the items a view
field holds (a role's own `by` and `where`), counted relationships and denormalized copies.

Written from the spec reference (docs/spec-reference.md), not from the runtime or the
compiler's sample data, so that an oracle built on it checks them rather than repeating them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from dynamodel.compiler.spec.model import AccessPattern, Entity, Presence, Spec, ViewField

Row = dict[str, Any]


def comparable(value: Any) -> Any:
    """A value as DynamoDB compares it: instants in UTC, floats as the decimals stored."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _utc(value: dt.datetime | dt.date) -> dt.datetime | dt.date:
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value


# `derived:` functions, as the spec reference defines them (timestamps in UTC).
DERIVED: dict[str, Callable[..., Any]] = {
    "lower": str.lower,
    "upper": str.upper,
    "prefix": lambda value, length: value[:length],
    "date": lambda value: value.astimezone(dt.UTC).date(),
    "month": lambda value: f"{_utc(value).year:04d}-{_utc(value).month:02d}",
    "year": lambda value: _utc(value).year,
    "hour": lambda value: value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H"),
}


def fill_derived(entity: Entity, row: Row) -> Row:
    """Set every derived attribute of `row` from its source (None when the source is unset);
    returns `row`."""
    for attribute in entity.attributes:
        derivation = attribute.derived
        if derivation is None:
            continue
        source = row.get(derivation.source.name)
        extra = () if derivation.length is None else (derivation.length,)
        row[attribute.name] = (
            None if source is None else DERIVED[derivation.function](source, *extra)
        )
    return row


def holds(row: Mapping[str, Any], where: Iterable[tuple[str, object]]) -> bool:
    """Whether `row` meets `where`: each constant equal, `null` absent, `not null` present."""
    for name, constant in where:
        value = row.get(name)
        if isinstance(constant, Presence):
            if (value is not None) != constant.present:
                return False
        elif value is None or comparable(value) != comparable(constant):
            return False
    return True


def view_field(pattern: AccessPattern, name: str) -> ViewField:
    return next(f for f in pattern.view if f.name == name)


def reached_by(pattern: AccessPattern, field: ViewField, row: Mapping[str, Any]) -> Any:
    """The view arguments (comparable, in the view's `by` order) that read `row` into
    `field`: its own `by` attributes for a role; None when the row is in no partition of the
    field (a `by` attribute unset, or its `where` not met)."""
    values = tuple(row.get(n) for n in field.by_names(pattern))
    if any(v is None for v in values) or not holds(row, field.where_items()):
        return None
    return tuple(comparable(v) for v in values)


def arguments_reaching(pattern: AccessPattern, field: ViewField, row: Row) -> Row:
    """The view's keyword arguments that read `row` into `field`."""
    return dict(zip(pattern.by_names, (row[n] for n in field.by_names(pattern)), strict=True))


def counter_names(spec: Spec, entity: Entity) -> set[str]:
    """The entity's attributes other entities count in (`counts:`)."""
    return {counter for _, counter in spec.counters_of(entity.name)}


def settable(spec: Spec, entity: Entity) -> list[str]:
    """The attributes an `update_<entity>` takes: not the table key, not a derived value, a
    counter or a copy (each belongs to the model, the children's writes or its source), and
    not an attribute naming a source of copies (a save changes it, filling the copies)."""
    counters = counter_names(spec, entity)
    references = {
        name
        for source, _ in spec.copies_in(entity)
        for name in (spec.entity(source).key_names if spec.entity(source) else ())
    }
    return [
        a.name
        for a in entity.attributes
        if a.name not in entity.key_names
        and a.derived is None
        and a.name not in counters
        and a.name not in references
        and a.copy_of is None
    ]


def counted_parents(spec: Spec, entity: Entity, row: Mapping[str, Any], written: Any) -> Any:
    """For each `counts:` of `entity`: (the parent's written row or None, the counter). The
    parent is the row of the parent entity whose table key attributes equal the child's."""
    found = []
    for parent_ref, counter_ref in entity.counts:
        parent = spec.entity(parent_ref.name)
        assert parent is not None
        key = [comparable(row[n]) for n in parent.key_names]
        match = next(
            (
                r
                for r in written[parent.name]
                if [comparable(r[n]) for n in parent.key_names] == key
            ),
            None,
        )
        found.append((match, counter_ref.name))
    return found


def write_order(spec: Spec, entities: Iterable[Entity]) -> list[Entity]:
    """`entities` in the spec's order, except that each comes after the parents it counts in
    and the sources it copies from: a child or a holder is refused without them."""
    wanted = {e.name: e for e in entities}
    ordered: dict[str, Entity] = {}

    def place(entity: Entity, path: frozenset[str]) -> None:
        if entity.name in ordered or entity.name in path:
            return
        needed = [p.name for p, _ in entity.counts] + [s for s, _ in spec.copies_in(entity)]
        for name in needed:
            if name in wanted:
                place(wanted[name], path | {entity.name})
        ordered[entity.name] = entity

    for entity in wanted.values():
        place(entity, frozenset())
    return list(ordered.values())


def copy_sources(spec: Spec, entity: Entity, row: Mapping[str, Any], written: Any) -> Any:
    """For each source `entity` copies from (`copy_of`) and that `row` names (no reference
    None): (the source's written row or None, [(holder attribute, source attribute)]). A
    reference names the source row whose table key attributes equal the holder's."""
    found = []
    for source_name, copies in spec.copies_in(entity):
        source = spec.entity(source_name)
        assert source is not None
        if any(row.get(n) is None for n in source.key_names):
            continue  # no source named: no copy
        key = [comparable(row[n]) for n in source.key_names]
        match = next(
            (
                r
                for r in written[source.name]
                if [comparable(r[n]) for n in source.key_names] == key
            ),
            None,
        )
        pairs = [(a.name, a.copy_of[1].name) for a in copies if a.copy_of is not None]
        found.append((match, pairs))
    return found


def fill_copies(spec: Spec, entity: Entity, row: Row, sources: Any) -> Row:
    """Set `row`'s copies as a write of the holder fills them: the named source's values,
    None for a source it does not name (a value the caller gave is replaced); returns `row`."""
    for _, copies in spec.copies_in(entity):
        for attribute in copies:
            row[attribute.name] = None
    for match, pairs in sources:
        for holder_attribute, source_attribute in pairs:
            row[holder_attribute] = match.get(source_attribute)
    return row
