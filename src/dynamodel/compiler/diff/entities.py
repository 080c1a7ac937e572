"""Schema evolution, per entity: its keys, unique guards, versioning and attributes.

Split from `compiler/diff/__init__.py` (which compares the table, its indexes and the patterns and
classifies the whole change); the `Change` records are defined there.
"""

from __future__ import annotations

from dynamodel.compiler.design.ir import TABLE, Design, EntityDesign, EntityKey
from dynamodel.compiler.diff.types import Change
from dynamodel.compiler.spec.model import Attribute, Entity


def entity_changes(
    old_design: Design, new_design: Design, old: EntityDesign, new: EntityDesign
) -> list[Change]:
    subject = f"entity {new.name}"
    changes: list[Change] = []
    kept_indexes = {TABLE} | {i.name for i in new_design.indexes}
    for index, summary in _key_changes(old, new):
        if index in kept_indexes:
            changes.append(Change("migrate", subject, summary, migrates=new.name))
        else:  # the whole index goes: its key attributes left on items are read by nothing
            changes.append(Change("safe", subject, f"{summary}; unused once {index} is deleted"))
    old_guards = {g.attributes: g for g in old.unique_guards}
    new_guards = {g.attributes: g for g in new.unique_guards}
    for attributes, guard in new_guards.items():
        shown = ", ".join(attributes)
        was = old_guards.get(attributes)
        if was is None:
            changes.append(
                Change(
                    "migrate",
                    subject,
                    f"new unique value ({shown}): every stored item needs its guard item; "
                    "the migration reports values that are already duplicated",
                    migrates=new.name,
                    guards=True,
                )
            )
        elif (was.partition, was.sort) != (guard.partition, guard.sort):
            changes.append(
                Change(
                    "migrate",
                    subject,
                    f"the guard items of unique ({shown}) move to new keys",
                    migrates=new.name,
                    guards=True,
                )
            )
    for attributes in old_guards:
        if attributes not in new_guards:
            changes.append(
                Change(
                    "migrate",
                    subject,
                    f"unique ({', '.join(attributes)}) removed: its guard items are deleted",
                    migrates=new.name,
                    guards=True,
                )
            )
    if old.versioned != new.versioned:
        changes.append(
            Change(
                "migrate" if new.versioned else "safe",
                subject,
                "becomes versioned: stored items have no version attribute, so they cannot "
                "be read until one is written to each (set version = 1)"
                if new.versioned
                else "is no longer versioned (stored version attributes are ignored)",
            )
        )
    if old.aggregate_root != new.aggregate_root:
        changes.append(
            Change(
                "safe" if any(c.migrates for c in changes) else "migrate",
                subject,
                f"its aggregate root changes from {old.aggregate_root or 'none'} to "
                f"{new.aggregate_root or 'none'}",
            )
        )
    old_spec = old_design.spec.entity(old.name)
    new_spec = new_design.spec.entity(new.name)
    assert old_spec is not None and new_spec is not None
    changes += _attribute_changes(subject, old_spec, new_spec)
    return changes


def _key_changes(old: EntityDesign, new: EntityDesign) -> list[tuple[str, str]]:
    """(index, plain sentence) for every key of the entity whose template differs."""
    # An entity has one key per index, or one per role of a view (`slot`) in that view's GSI.
    before = {(k.index, k.slot): k for k in old.keys}
    after = {(k.index, k.slot): k for k in new.keys}
    found: list[tuple[str, str]] = []
    for index, slot in sorted(set(before) | set(after), key=lambda i: (i[0] != TABLE, i)):
        was, now = before.get((index, slot)), after.get((index, slot))
        where = "the table" if index == TABLE else index
        if slot:
            where += f" (role `{slot.split('@', 1)[1]}`)"
        if was is None and now is not None:
            found.append(
                (
                    index,
                    f"now also stored in {where} ({_template(now)}): stored items need the "
                    "new index key attributes",
                )
            )
        elif now is None and was is not None:
            found.append(
                (
                    index,
                    f"no longer stored in {where}: stored items keep stale index key "
                    f"attributes ({was.partition_key}, {was.sort_key}) until rewritten",
                )
            )
        elif was is not None and now is not None and _shape(was) != _shape(now):
            what = "its items move to new keys" if index == TABLE else "index keys change"
            found.append((index, f"{what} in {where}: {_template(was)} becomes {_template(now)}"))
    return found


def _shape(key: EntityKey) -> tuple[object, ...]:
    return (
        key.partition_key,
        key.sort_key,
        key.partition.rendered,
        key.sort.rendered,
        tuple(s.type for s in key.partition.segments),
        tuple(s.type for s in key.sort.segments),
        key.where,
        key.shards,
    )


def _template(key: EntityKey) -> str:
    shards = f", {key.shards} shards" if key.shards else ""
    where = "".join(f", where {n} = {v!r}" for n, v in key.where)
    return (
        f"{key.partition_key} = {key.partition.rendered}, {key.sort_key} = "
        f"{key.sort.rendered}{shards}{where}"
    )


def _attribute_changes(subject: str, old: Entity, new: Entity) -> list[Change]:
    changes: list[Change] = []
    for attribute in new.attributes:
        was = old.attribute(attribute.name)
        derivation = attribute.derived.render() if attribute.derived is not None else None
        before = was.derived.render() if was is not None and was.derived is not None else None
        if derivation is not None and derivation != before:
            # Computed by the model (never read from the item): rewriting each stored item
            # stores it, with every key and guard it feeds.
            changes.append(
                Change(
                    "migrate",
                    subject,
                    f"{'new ' if was is None else ''}derived attribute {attribute.name} "
                    f"({derivation}): the migration rewrites every stored item, "
                    "which stores its value",
                    migrates=new.name,
                )
            )
            continue
        if was is None:
            if _required(attribute):
                changes.append(
                    Change(
                        "migrate",
                        subject,
                        f"new required attribute {attribute.name} without a default: stored "
                        "items cannot be read until each has a value (or give it a default, "
                        "or make it optional)",
                    )
                )
            else:
                changes.append(Change("safe", subject, f"new attribute {attribute.name}"))
            continue
        if was.type != attribute.type:
            changes.append(
                Change(
                    "migrate",
                    subject,
                    f"attribute {attribute.name} changes type from {was.type.render()} to "
                    f"{attribute.type.render()}: stored values must be converted",
                )
            )
        elif _required(attribute) and not _required(was):
            changes.append(
                Change(
                    "migrate",
                    subject,
                    f"attribute {attribute.name} becomes required: items stored without it "
                    "cannot be read until each has a value",
                )
            )
        if was.enum and attribute.enum and not set(was.enum) <= set(attribute.enum):
            dropped = ", ".join(sorted(set(was.enum) - set(attribute.enum)))
            changes.append(
                Change(
                    "migrate",
                    subject,
                    f"attribute {attribute.name} no longer allows {dropped}: stored items "
                    "holding those values must be changed",
                )
            )
    new_names = {a.name for a in new.attributes}
    for attribute in old.attributes:
        if attribute.name not in new_names:
            changes.append(
                Change(
                    "safe",
                    subject,
                    f"attribute {attribute.name} removed: stored values are ignored (and "
                    "dropped when an item is next written)",
                )
            )
    return changes


def _required(attribute: Attribute) -> bool:
    return not (attribute.optional or attribute.has_default or attribute.auto)
