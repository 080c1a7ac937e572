"""The design stage is an ordered list of named passes, each a pure function of the state
before it: it can be run alone, and it never changes the state it was given."""

from __future__ import annotations

from pathlib import Path

from dynamodel.compiler.design import PASSES
from dynamodel.compiler.design.passes import DesignState
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.compiler.spec.model import Spec

ROOT = Path(__file__).resolve().parents[1]


def _spec(name: str) -> Spec:
    result = compile_spec((ROOT / "examples" / name / "spec.yaml").read_text(encoding="utf-8"))
    assert result.spec is not None
    return result.spec


def test_the_passes_in_order() -> None:
    assert [name for name, _ in PASSES] == [
        "base key search",
        "base layout",
        "views on the base table",
        "patterns on the base table",
        "GSI placement",
        "GSI limit",
        "index naming",
        "key freezing",
        "plans",
        "warnings",
    ]


def test_no_pass_changes_the_state_it_is_given() -> None:
    for example in ("tracker", "projects", "iot", "booking"):
        state = DesignState(spec=_spec(example))
        for name, design_pass in PASSES:
            before = repr(state)  # every part is a dataclass, tuple, list, set or mapping
            after = design_pass(state)
            assert repr(state) == before, f"{example}: `{name}` changed its input"
            state = after


def test_a_pass_runs_alone_on_the_state_before_it() -> None:
    spec = _spec("tracker")
    state = DesignState(spec=spec)
    for _, design_pass in PASSES[:4]:
        state = design_pass(state)
    # The base table alone serves these, before any GSI is placed.
    assert state.placement is None
    assert state.table_kinds["get_user"] == "get"
    assert state.table_kinds["get_ticket"] == "aggregate"
    assert state.table_kinds["members_of_workspace"] == "page"
    assert "workspace_overview" in state.base.views
    assert "tickets_by_status" not in state.table_kinds
