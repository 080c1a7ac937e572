"""The arguments `dynamodel try` calls each access pattern with: the `by` values of a sample
record the pattern can return (one that matches its `where` constants, presence filters
included, and has every `by` attribute set), so that every pattern shows items. A view takes
the values that reach the most sample records across its fields (a role's record by its own
`by` attributes). A pattern no sample record fits is reported as skipped, with the reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dynamodel.compiler.design.ir import Design, PatternPlan
from dynamodel.compiler.samples import SampleData
from dynamodel.compiler.samples.items import constants_hold
from dynamodel.compiler.spec.model import AccessPattern, ViewField


@dataclass(frozen=True)
class Arguments:
    values: Mapping[str, Any]  # keyword -> value
    source: str  # which record they come from, e.g. "Ticket #2", "Repo #3 (forks)"


def arguments_for(design: Design, plan: PatternPlan, samples: SampleData) -> Arguments | str:
    """The arguments, or why there are none."""
    pattern = design.spec.pattern(plan.name)
    if plan.kind == "view" and pattern is not None:
        found = _view_arguments(design, pattern, samples)
        if found is not None:
            return found
    elif plan.entity is not None:
        entity = design.spec.entity(plan.entity)
        assert entity is not None
        for position, record in enumerate(samples.records(plan.entity)):
            if not constants_hold(entity, plan.where, record):
                continue
            if all(record.get(name) is not None for name in plan.by):
                values = {name: record[name] for name in plan.by}
                return Arguments(values, f"{plan.entity} #{position + 1}")
    candidates = [plan.entity] if plan.entity is not None else [p.entity for p in plan.view]
    wanted = ", ".join(plan.by) or "nothing"
    constants = " and ".join(f"{a} = {v!r}" for a, v in plan.where)
    return (
        f"no sample record of {' or '.join(dict.fromkeys(candidates))} has {wanted} set"
        + (f" with {constants}" if constants else "")
        + " (try more --items)"
    )


def _view_arguments(
    design: Design, pattern: AccessPattern, samples: SampleData
) -> Arguments | None:
    """The view's `by` values that reach the most sample records (the first such record's, in
    field and record order), or None when no record is in any field."""
    reached: list[tuple[ViewField, int, tuple[Any, ...]]] = []
    for field in pattern.view:
        entity = design.spec.entity(field.entity.name)
        assert entity is not None
        for position, record in enumerate(samples.records(entity.name)):
            values = tuple(record.get(n) for n in field.by_names(pattern))
            if None not in values and constants_hold(entity, field.where_items(), record):
                reached.append((field, position, values))
    if not reached:
        return None
    counts: dict[tuple[Any, ...], int] = {}
    for _, _, values in reached:
        counts[values] = counts.get(values, 0) + 1
    field, position, values = max(reached, key=lambda r: counts[r[2]])  # the first of the most
    role = f" ({field.name})" if field.by else ""
    return Arguments(
        dict(zip(pattern.by_names, values, strict=True)),
        f"{field.entity.name} #{position + 1}{role}",
    )


def call_text(name: str, arguments: Mapping[str, Any]) -> str:
    shown = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
    return f"{name}({shown})"
