"""The arguments `dynamodel try` calls each access pattern with: the `by` values of a sample
record the pattern can return (one that matches its `where` constants and has every `by`
attribute set), so that every pattern shows items. A pattern no sample record fits is
reported as skipped, with the reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dynamodel.compiler.design.ir import Design, PatternPlan
from dynamodel.compiler.samples import SampleData
from dynamodel.compiler.samples.items import typed_constant


@dataclass(frozen=True)
class Arguments:
    values: Mapping[str, Any]  # keyword -> value
    source: str  # which record they come from, e.g. "Ticket #2"


def arguments_for(design: Design, plan: PatternPlan, samples: SampleData) -> Arguments | str:
    """The arguments, or why there are none."""
    candidates = [plan.entity] if plan.entity is not None else [p.entity for p in plan.view]
    for entity in candidates:
        spec_entity = design.spec.entity(entity)
        assert spec_entity is not None
        where = [(n, typed_constant(spec_entity.attribute(n), v)) for n, v in plan.where]
        for position, record in enumerate(samples.records(entity)):
            if plan.entity is not None and not _matches(record, where):
                continue
            if all(record.get(name) is not None for name in plan.by):
                values = {name: record[name] for name in plan.by}
                return Arguments(values, f"{entity} #{position + 1}")
    wanted = ", ".join(plan.by) or "nothing"
    constants = " and ".join(f"{a} = {v!r}" for a, v in plan.where)
    return (
        f"no sample record of {' or '.join(candidates)} has {wanted} set"
        + (f" with {constants}" if constants else "")
        + " (try more --items)"
    )


def _matches(record: Mapping[str, Any], where: list[tuple[str, object]]) -> bool:
    return all(record.get(name) == value for name, value in where)


def call_text(name: str, arguments: Mapping[str, Any]) -> str:
    shown = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
    return f"{name}({shown})"
