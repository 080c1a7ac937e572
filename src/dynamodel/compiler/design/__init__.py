"""The design stage: a checked spec in, a table design (keys, GSIs, one plan per pattern) out.

`passes.PASSES` is the stage, in order; `design_spec` runs it and assembles the `Design`.
"""

from __future__ import annotations

from dataclasses import replace

from dynamodel.compiler.design.capacity import estimate_capacity
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.design.passes import PASSES, DesignState
from dynamodel.compiler.diagnostics import Diagnostic, sort_diagnostics
from dynamodel.compiler.spec.copies import with_copy_lookups
from dynamodel.compiler.spec.model import Spec

__all__ = ["PASSES", "Design", "design_spec", "run_passes"]


def run_passes(spec: Spec) -> DesignState:
    """Every pass of the design stage, in order, over one state."""
    state = DesignState(spec=spec)
    for _name, design_pass in PASSES:
        state = design_pass(state)
    return state


def design_spec(spec: Spec) -> tuple[Design | None, tuple[Diagnostic, ...]]:
    """Design the table. Pure and deterministic: the same spec always gives the same design."""
    spec = with_copy_lookups(spec)  # the holder lookups `copy_of` needs are patterns too
    state = run_passes(spec)
    warnings = list(state.warnings)
    if any(d.is_error for d in state.diagnostics):
        return None, sort_diagnostics([*state.diagnostics, *warnings])
    design = Design(
        spec=spec,
        table_name=spec.table.name,
        partition_key="PK",
        sort_key="SK",
        indexes=state.indexes,
        entities=state.entities,
        patterns=state.plans,
        warnings=sort_diagnostics(warnings),
        ttl_attribute=next((a.name for e in spec.entities for a in e.attributes if a.ttl), None),
    )
    capacity, capacity_warnings = estimate_capacity(design)
    warnings += capacity_warnings
    design = replace(design, capacity=capacity, warnings=sort_diagnostics(warnings))
    return design, sort_diagnostics(warnings)
