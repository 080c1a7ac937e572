"""The yardstick of the design stage: published single-table designs (tests/designs/<name>/:
`spec.yaml`, written from the published description alone, and `expert.yaml`, the source and
what its expert design needed). For each: dynamodel uses no more GSIs than the expert, every
pattern is one request (one per shard) with no filter, and every pattern, run through the
generated repository on moto, returns what an oracle over the written items returns, before
and after random partial updates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dynamodel.compiler.pipeline import compile_spec
from tests.test_repository_oracle import run_oracle

ROOT = Path(__file__).resolve().parents[1]
DESIGNS = sorted(ROOT.glob("tests/designs/*/spec.yaml"))

# Designs where dynamodel still needs more GSIs than the expert, and why (issue 12). Each is
# an expected failure that must start passing (strict) once the rule it names is built.
MORE_GSIS: dict[str, str] = {}


def _expert(spec_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (spec_path.parent / "expert.yaml").read_text(encoding="utf-8")
    )
    return data


def _marks(spec_path: Path) -> list[pytest.MarkDecorator]:
    reason = MORE_GSIS.get(spec_path.parent.name)
    return [pytest.mark.xfail(reason=reason, strict=True)] if reason else []


def test_the_corpus_is_there() -> None:
    assert len(DESIGNS) >= 10
    for spec_path in DESIGNS:
        expert = _expert(spec_path)
        assert expert["source"]["url"].startswith("https://"), spec_path
        assert spec_path.read_text(encoding="utf-8").startswith("#"), "cite the source"
        named = {p["spec"] for p in expert["patterns"] if p.get("spec")}
        design = compile_spec(spec_path.read_text(encoding="utf-8")).design
        assert design is not None
        assert named <= {p.name for p in design.patterns}, spec_path


@pytest.mark.parametrize(
    "spec_path",
    [pytest.param(p, marks=_marks(p), id=p.parent.name) for p in DESIGNS],
)
def test_no_more_gsis_than_the_expert(spec_path: Path) -> None:
    design = compile_spec(spec_path.read_text(encoding="utf-8")).design
    assert design is not None
    assert len(design.indexes) <= _expert(spec_path)["expert"]["gsis"]


@pytest.mark.parametrize("spec_path", DESIGNS, ids=lambda p: p.parent.name)
def test_every_pattern_is_one_request_without_a_filter(spec_path: Path) -> None:
    design = compile_spec(spec_path.read_text(encoding="utf-8")).design
    assert design is not None
    for plan in design.patterns:
        assert plan.filter is None and plan.operation in ("GetItem", "Query"), plan.name
        assert plan.requests == (plan.shards or 1), plan.name


@pytest.mark.backends("moto")
@pytest.mark.parametrize("spec_path", DESIGNS, ids=lambda p: p.parent.name)
def test_every_pattern_matches_the_oracle(
    spec_path: Path, dynamodb_client: Any, table_name: str, tmp_path: Path, backend: str
) -> None:
    run_oracle(spec_path, dynamodb_client, table_name, tmp_path, per_entity=10)
