"""What the IAM policy tests share (tests/test_iam_grants.py, tests/test_iam_tenants.py,
tests/test_iam_outputs.py): the specs; every method of a spec called on moto, its requests
recorded as IAM authorises them (the `record` fixture, which the tests import by
name; tests/iam_requests.py); and the emitted policy of a selection, checked
against requests with the small IAM evaluator (tests/iam_evaluator.py)."""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.iam import arn_resource, policy_document
from dynamodel.compiler.emit.iam_access import method_names
from dynamodel.compiler.emit.iam_plan import Selection, plan_policy
from dynamodel.compiler.names import repository_class_name
from dynamodel.compiler.pipeline import compile_spec
from tests.iam_evaluator import Request, allowed
from tests.iam_requests import RequestLog, table_arn
from tests.iam_scenario import exercise
from tests.test_repository_oracle import load_package

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/spec.yaml"))
SPECS = EXAMPLES + sorted(ROOT.glob("tests/golden/*/spec.yaml"))
TRACKER = ROOT / "examples" / "tracker" / "spec.yaml"
PROJECTS = ROOT / "examples" / "projects" / "spec.yaml"
TABLE = "Iam-test"
ARN = table_arn(TABLE)
Recording = dict[str, list[Request]]


@cache
def _compiled(spec_path: Path) -> Design:
    result = compile_spec(spec_path.read_text(encoding="utf-8"), path=spec_path.name)
    assert result.design is not None, result.rendered()
    return result.design


_RECORDINGS: dict[tuple[Path, str | None], Recording] = {}


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path, str | None], Recording]:
    """The requests of every method of a spec, on data of one tenant (recorded once)."""

    def run(spec_path: Path, tenant: str | None) -> Recording:
        key = (spec_path, tenant)
        if key not in _RECORDINGS:
            directory = tmp_path_factory.mktemp("iam")
            with mock_aws():
                design, package = load_package(spec_path, directory)
                client = boto3.client("dynamodb", region_name="us-east-1")
                log = RequestLog(client, design)
                repository = getattr(package, repository_class_name(design.table_name))
                repo = repository(client=client, table_name=TABLE, cursor_key="k" * 32)
                repo.create_table()
                exercise(design, package, repo, log, random.Random(7), tenant=tenant)
            _RECORDINGS[key] = log.requests
        return _RECORDINGS[key]

    return run


def _everything(design: Design) -> Selection:
    return Selection(
        "all", tuple(p.name for p in design.patterns), tuple(method_names(design.spec))
    )


def _policy(design: Design, selection: Selection, *, tenant_scope: bool = True) -> dict[str, Any]:
    plan = plan_policy(design, selection, tenant_scope=tenant_scope)
    return policy_document(plan, arn_resource(ARN))


def _tags(design: Design, tenant: str) -> dict[str, str]:
    return {design.spec.table.tenant.name: tenant} if design.spec.table.tenant else {}


def _denied(policy: dict[str, Any], requests: list[Request], tags: dict[str, str]) -> list[Request]:
    return [r for r in requests if not allowed(policy, r, tags=tags)]
