"""Every access-pattern method sends exactly the request its plan in the design names: the
operation, the index, the key condition's shape, the consistency, the number of requests —
and never a Scan or a FilterExpression."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from dynamodel.compiler.names import repository_class_name
from tests.test_repository_oracle import SPECS, _rows, load_package, write_everything


class Recorder:
    """A client proxy that records every read request the repository sends."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.recording = False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method) or name.startswith("_") or name == "get_waiter":
            return method

        def call(**request: Any) -> Any:
            if self.recording:
                self.calls.append((name, request))
            return method(**request)

        return call


def _condition(request: dict[str, Any]) -> str:
    """The request's key condition with its attribute-name placeholders resolved."""
    names = request.get("ExpressionAttributeNames", {})
    condition = request["KeyConditionExpression"]
    for placeholder, name in sorted(names.items(), key=lambda kv: -len(kv[0])):
        condition = condition.replace(placeholder, name)
    return condition


@pytest.mark.backends("moto")  # the requests do not depend on the backend
@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.parent.name)
def test_each_method_sends_the_planned_request(
    spec_path: Path, dynamodb_client: Any, table_name: str, tmp_path: Path, backend: str
) -> None:
    design, package = load_package(spec_path, tmp_path)
    recorder = Recorder(dynamodb_client)
    repository = getattr(package, repository_class_name(design.table_name))
    repo = repository(client=recorder, table_name=table_name, cursor_key="k" * 32)
    repo.create_table()
    rng = random.Random(1)
    written = write_everything(design, package, repo, _rows(design, rng, 6), rng)
    recorder.recording = True
    for plan in design.patterns:
        source = (
            [r for p in plan.view for r in written[p.entity]]
            if plan.kind == "view"
            else written[plan.entity or ""]
        )
        sample = next((r for r in source if all(r.get(n) is not None for n in plan.by)), None)
        if sample is None:
            continue
        recorder.calls.clear()
        getattr(repo, plan.name)(**{n: sample[n] for n in plan.by})
        operations = {name for name, _ in recorder.calls}
        assert operations == {"get_item" if plan.operation == "GetItem" else "query"}, plan.name
        expected_requests = plan.requests
        if plan.kind in ("aggregate", "view"):
            expected_requests = 1  # one Query (plus DynamoDB's own pages past 1 MB)
        assert len(recorder.calls) == expected_requests, plan.name
        for _, request in recorder.calls:
            assert "FilterExpression" not in request, plan.name
            assert request.get("IndexName") == plan.index, plan.name
            if plan.index is None:
                assert request.get("ConsistentRead", False) == plan.consistent, plan.name
            if plan.operation == "Query":
                condition = _condition(request)
                assert condition in (plan.key_condition, plan.range_condition), (
                    plan.name,
                    condition,
                )
                assert request["ScanIndexForward"] == plan.scan_forward, plan.name
