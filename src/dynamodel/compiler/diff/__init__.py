"""Schema evolution: what changing a spec does to a deployed table and the items in it.

`diff_designs(old, new)` compares two designs and classifies every change by what it takes to
ship it: nothing (safe), a deployment step (a GSI added or removed: CloudFormation creates or
deletes one GSI per stack update), a data migration (stored items must be rewritten because
their keys, index keys, unique guards or attribute types change), or the loss of the table
(its key schema or name changes: CloudFormation replaces it). Attributes filled from other
items (a new counter's count of stored children) are data migrations too, each with its
generated backfill (`compiler/diff/backfills.py`). The design stage already made
every key template explicit, so the comparison is of templates, not of the patterns that led
to them: a new pattern that the existing keys serve changes no template and is safe.
"""

from __future__ import annotations

from dataclasses import replace

from dynamodel.compiler.design.ir import Design, PatternPlan
from dynamodel.compiler.diff.backfills import copy_changes, counter_changes
from dynamodel.compiler.diff.entities import entity_changes
from dynamodel.compiler.diff.types import (
    SEVERITIES,
    SEVERITY_TITLES,
    Backfill,
    Change,
    SchemaDiff,
    Severity,
)

__all__ = [
    "SEVERITIES",
    "SEVERITY_TITLES",
    "Backfill",
    "Change",
    "SchemaDiff",
    "Severity",
    "diff_designs",
]


def diff_designs(old: Design, new: Design) -> SchemaDiff:
    changes = [*_table_changes(old, new)]
    added, removed, index_changes = _index_changes(old, new)
    changes += index_changes
    migrated: list[str] = []
    old_names = {e.name for e in old.entities}
    for entity in new.entities:
        if entity.name not in old_names:
            changes.append(Change("safe", f"entity {entity.name}", "new entity"))
            continue
        found = entity_changes(old, new, old.entity(entity.name), entity)
        changes += found
        if any(c.migrates for c in found):
            migrated.append(entity.name)
    new_names = {e.name for e in new.entities}
    for entity in old.entities:
        if entity.name not in new_names:
            changes.append(
                Change(
                    "migrate",
                    f"entity {entity.name}",
                    f"removed: its items (_type = {entity.name!r}) and unique guards stay in "
                    "the table, read by nothing; delete them, or keep them",
                )
            )
    backfills = counter_changes(old, new) + copy_changes(old, new)
    changes += backfills
    changes += _pattern_changes(old, new)
    return SchemaDiff(
        changes=tuple(changes),
        indexes_added=added,
        indexes_removed=removed,
        migrated_entities=tuple(migrated),
        backfills=tuple(c.backfill for c in backfills if c.backfill is not None),
    )


def _table_changes(old: Design, new: Design) -> list[Change]:
    changes: list[Change] = []
    before, after = old.spec.table, new.spec.table
    if old.table_name != new.table_name:
        changes.append(
            Change(
                "destroy",
                "table",
                f"the table name changes from {old.table_name!r} to {new.table_name!r}: "
                "CloudFormation replaces the table with a new, empty one",
            )
        )
    if (old.partition_key, old.sort_key) != (new.partition_key, new.sort_key):
        changes.append(
            Change(
                "destroy",
                "table",
                f"the table's key schema changes from ({old.partition_key}, {old.sort_key}) to "
                f"({new.partition_key}, {new.sort_key}): CloudFormation replaces the table",
            )
        )
    if (before.billing, before.read_capacity, before.write_capacity) != (
        after.billing,
        after.read_capacity,
        after.write_capacity,
    ):
        changes.append(
            Change(
                "safe",
                "table",
                f"billing changes from {_billing(before)} to {_billing(after)} (in place; "
                "DynamoDB allows one switch of billing mode per 24 hours)",
            )
        )
    if before.stream != after.stream:
        changes.append(
            Change(
                "deploy",
                "table",
                f"the stream changes from {before.stream or 'none'} to {after.stream or 'none'}:"
                " the stream is replaced, so consumers get a new stream ARN and records "
                "written before the switch are not carried over",
            )
        )
    for setting in ("point_in_time_recovery", "deletion_protection"):
        if getattr(before, setting) != getattr(after, setting):
            changes.append(
                Change(
                    "safe",
                    "table",
                    f"{setting.replace('_', ' ')} turns "
                    f"{'on' if getattr(after, setting) else 'off'} (in place)",
                )
            )
    if old.ttl_attribute != new.ttl_attribute:
        changes.append(
            Change(
                "deploy",
                "table",
                f"the TTL attribute changes from {old.ttl_attribute or 'none'} to "
                f"{new.ttl_attribute or 'none'}: DynamoDB allows one TTL change per hour, and "
                "items carrying only the old attribute no longer expire",
            )
        )
    return changes


def _billing(table: object) -> str:
    billing = getattr(table, "billing", "on_demand")
    if billing == "provisioned":
        return (
            f"provisioned ({getattr(table, 'read_capacity', None)} RCU, "
            f"{getattr(table, 'write_capacity', None)} WCU)"
        )
    return "on demand"


def _index_changes(
    old: Design, new: Design
) -> tuple[tuple[str, ...], tuple[str, ...], list[Change]]:
    before = {i.name: i for i in old.indexes}
    after = {i.name: i for i in new.indexes}
    added: list[str] = []
    removed: list[str] = []
    changes: list[Change] = []
    for name, index in after.items():
        was = before.get(name)
        if was is None:
            added.append(name)
            changes.append(
                Change(
                    "deploy",
                    f"index {name}",
                    f"new GSI ({index.partition_key}, {index.sort_key}): one stack update, "
                    "then DynamoDB backfills it from the items that carry its key attributes",
                )
            )
        elif was != index:
            removed.append(name)
            added.append(name)
            changes.append(
                Change(
                    "deploy",
                    f"index {name}",
                    f"the GSI's keys change from ({was.partition_key}, {was.sort_key}) to "
                    f"({index.partition_key}, {index.sort_key}): a GSI cannot be modified, so "
                    "it is deleted in one stack update and created in the next",
                )
            )
    for name in before:
        if name not in after:
            removed.append(name)
            changes.append(
                Change(
                    "deploy",
                    f"index {name}",
                    "GSI removed: delete it in its own stack update, after the code that "
                    "reads it is gone",
                )
            )
    return tuple(added), tuple(removed), changes


def _pattern_changes(old: Design, new: Design) -> list[Change]:
    before = {p.name: p for p in old.patterns}
    changes: list[Change] = []
    for plan in new.patterns:
        where = plan.index or "the table"
        if plan.name not in before:
            changes.append(Change("safe", f"pattern {plan.name}", f"new, served by {where}"))
        elif _comparable(before[plan.name]) != _comparable(plan):
            changes.append(
                Change(
                    "safe", f"pattern {plan.name}", f"its request changes (now served by {where})"
                )
            )
    after = {p.name for p in new.patterns}
    for name in before:
        if name not in after:
            changes.append(Change("safe", f"pattern {name}", "removed"))
    return changes


def _comparable(plan: PatternPlan) -> PatternPlan:
    return replace(plan, spec_line=0, notes=())
