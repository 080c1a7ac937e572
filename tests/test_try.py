"""`dynamodel try`: the table is created, seeded with the sample records through the generated
repository, every access pattern runs and returns what an oracle over the sample records
says it must; on the embedded backend, on every test backend by endpoint, and from the
command line (text, JSON, `--keep`, `--aws` without `--yes`, a bad spec, a table that exists).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from dynamodel.compiler.design.ir import DEFAULT_LIMIT, Design
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.compiler.samples import SampleData, sample_data
from dynamodel.compiler.samples.items import typed_constant
from dynamodel.tryout.arguments import arguments_for, call_text
from dynamodel.tryout.backend import Backend, open_backend
from dynamodel.tryout.runner import PatternRun, TryRun, jsonable, run_try
from tests.spec_semantics import comparable, holds, reached_by, view_field
from tests.test_cli import run

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(ROOT.glob("examples/*/spec.yaml")) + sorted(ROOT.glob("tests/golden/*/spec.yaml"))
TRACKER = ROOT / "examples/tracker/spec.yaml"


def design_of(path: Path) -> Design:
    result = compile_spec(path.read_text(encoding="utf-8"), path=path.name)
    assert result.design is not None, result.rendered()
    return result.design


# -- the oracle ------------------------------------------------------------------------------


def identity(design: Design, entity: str, record: dict[str, Any]) -> tuple[Any, ...]:
    spec_entity = design.spec.entity(entity)
    assert spec_entity is not None
    return tuple(jsonable(record[name]) for name in spec_entity.id_names)


def matching(
    samples: SampleData, entity: str, arguments: dict[str, Any], where: Any = ()
) -> list[dict[str, Any]]:
    """The sample records a read with these arguments must find (`where` met, presence
    filters included)."""
    return [
        record
        for record in samples.records(entity)
        if all(jsonable(record.get(k)) == jsonable(v) for k, v in arguments.items())
        and holds(record, where)
    ]


def arguments_of(run: PatternRun, design: Design, samples: SampleData) -> dict[str, Any]:
    """The call's keyword arguments: chosen again from the same samples, the same way (the
    choice is not under test here; what the call returns for them is)."""
    chosen = arguments_for(design, design.pattern(run.name), samples)
    assert not isinstance(chosen, str), chosen
    assert (run.source, run.call) == (chosen.source, call_text(run.name, chosen.values))
    return dict(chosen.values)


def check_against_oracle(design: Design, samples: SampleData, result: TryRun) -> int:
    """Every pattern returned exactly what the sample records say; returns the items checked."""
    checked = 0
    for pattern in result.patterns:
        plan = design.pattern(pattern.name)
        assert pattern.skipped is None, (pattern.name, pattern.skipped)
        assert pattern.error is None, (pattern.name, pattern.error)
        assert len(pattern.requests) == plan.requests
        arguments = arguments_of(pattern, design, samples)
        if plan.kind == "view":
            (view,) = pattern.returned
            spec_pattern = design.spec.pattern(plan.name)
            assert spec_pattern is not None
            wanted = tuple(comparable(arguments[n]) for n in spec_pattern.by_names)
            for part in plan.view:
                # A field's records: reached by the arguments through its own `by` (a role's
                # attributes) and meeting its `where` (presence filters included).
                field = view_field(spec_pattern, part.field)
                expected = [
                    r
                    for r in samples.records(part.entity)
                    if reached_by(spec_pattern, field, r) == wanted
                ]
                if part.many:
                    got = {identity(design, part.entity, r) for r in view[part.field]}
                    assert got == {identity(design, part.entity, r) for r in expected}
                    checked += len(got)
                elif not expected:
                    assert view[part.field] is None, (pattern.name, part.field)
                else:
                    assert len(expected) == 1
                    assert identity(design, part.entity, view[part.field]) == identity(
                        design, part.entity, expected[0]
                    )
                    checked += 1
            continue
        assert plan.entity is not None
        # A sparse index holds only the items with every attribute its key needs.
        key = next(k for k in design.entity(plan.entity).keys if plan.name in k.patterns)
        entity = design.spec.entity(plan.entity)
        assert entity is not None
        where = [(n, typed_constant(entity.attribute(n), v)) for n, v in plan.where]
        expected = [
            record
            for record in matching(samples, plan.entity, arguments, where)
            if all(record.get(name) is not None for name in key.sparse_attributes)
        ]
        got = [identity(design, plan.entity, item) for item in pattern.returned]
        assert len(set(got)) == len(got)
        if plan.kind == "page":
            limit = plan.limit or DEFAULT_LIMIT
            assert len(got) == min(limit, len(expected)), pattern.name
            assert set(got) <= {identity(design, plan.entity, r) for r in expected}
            assert pattern.has_more == (len(expected) > limit)
        else:
            assert len(got) == 1 and got[0] in {identity(design, plan.entity, r) for r in expected}
        if plan.kind == "aggregate":
            index = next(
                i
                for i, r in enumerate(samples.records(plan.entity))
                if identity(design, plan.entity, r) == got[0]
            )
            nested = samples.nested(plan.entity, index)
            for field, member in samples.member_fields.get(plan.entity, ()):
                members = {identity(design, member, m) for m in pattern.returned[0][field]}
                assert members == {identity(design, member, m) for m in nested[field]}
        checked += len(got)
    return checked


# -- in process ------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.parent.name)
def test_every_pattern_returns_what_the_samples_say(spec: Path) -> None:
    design = design_of(spec)
    with open_backend(endpoint_url=None, aws=False, keep=False, region=None) as backend:
        result = run_try(design, backend, table_name="Try", per_entity=4, keep=False)
        tables = backend.client.list_tables()["TableNames"]
    samples = sample_data(design, per_entity=4)
    assert not result.seed_failures
    assert result.items == len(samples.items)  # every record, member and guard was written
    assert result.records == len(samples.creates())
    assert check_against_oracle(design, samples, result) >= len(design.patterns)
    assert "Try" not in tables  # deleted afterwards


def test_runs_on_every_backend_and_keeps_the_table_when_asked(
    dynamodb_client: Any, dynamodb_endpoint_url: str | None, table_name: str, backend: str
) -> None:
    design = design_of(TRACKER)
    samples = sample_data(design, per_entity=3)
    # A plain boto3 client, as `try` builds: the runtime's default client serializes request
    # bodies itself, past the parameters the recorder completes.
    client = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint_url)
    runner = Backend(client, backend, dynamodb_endpoint_url)
    result = run_try(design, runner, table_name=table_name, per_entity=3, keep=True)
    check_against_oracle(design, samples, result)
    count = dynamodb_client.scan(TableName=table_name, Select="COUNT")["Count"]
    assert count == result.items == len(samples.items)
    # Every read asked for its consumed capacity, and the backend answered with a figure.
    requests = [r for p in result.patterns for r in p.requests]
    assert requests and all(r.reported_units is not None for r in requests)


def test_the_report_shows_requests_items_and_capacity() -> None:
    design = design_of(TRACKER)
    with open_backend(endpoint_url=None, aws=False, keep=False, region=None) as backend:
        result = run_try(design, backend, table_name="Try", per_entity=3, keep=False)
    get_ticket = next(p for p in result.patterns if p.name == "get_ticket")
    (request,) = get_ticket.requests
    assert request.operation == "Query" and request.consistent and request.index is None
    assert request.values[":pk"]["S"].startswith("Ticket#")
    # The aggregate: the root and its checklist, read in one request.
    assert len(request.items) == 1 + len(get_ticket.returned[0]["checklist"])
    assert get_ticket.units_by_rules == get_ticket.estimate == 1.0
    by_status = next(p for p in result.patterns if p.name == "tickets_by_status")
    assert by_status.requests[0].index == "GSI1"


# -- the command line ------------------------------------------------------------------------


def test_cli_prints_every_pattern() -> None:
    result = run("try", TRACKER)
    assert result.returncode == 0, result.stderr
    design = design_of(TRACKER)
    for plan in design.patterns:
        assert f"\n{plan.name}(" in result.stdout
    assert "Query on GSI1: GSI1PK = :pk AND begins_with(GSI1SK, :sk)" in result.stdout
    assert "read units: reported" in result.stdout
    assert result.stdout.rstrip().endswith(
        f"{len(design.patterns)} of {len(design.patterns)} access patterns ran; "
        "the table was deleted"
    )
    assert "Traceback" not in result.stderr


def test_cli_json() -> None:
    result = run("try", ROOT / "examples/iot/spec.yaml", "--format", "json", "--items", "5")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    sharded = next(p for p in document["patterns"] if p["name"] == "all_open_alerts")
    assert len(sharded["requests"]) == 8  # one Query per shard
    assert all(p["error"] is None and p["skipped"] is None for p in document["patterns"])


def test_cli_aws_needs_yes_and_bad_specs_get_diagnostics(tmp_path: Path) -> None:
    refused = run("try", TRACKER, "--aws")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntable: T\nentities: {}\n")
    result = run("try", bad)
    assert result.returncode == 1 and "bad.yaml:3:11: error" in result.stderr


def local_client(url: str) -> Any:
    """A client of a local server (any credentials do)."""
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def test_cli_on_an_endpoint_refuses_a_table_that_exists(moto_server_url: str) -> None:
    kept = run("try", TRACKER, "--endpoint-url", moto_server_url, "--table", "Kept", "--keep")
    assert kept.returncode == 0, kept.stderr
    assert "the table is kept at" in kept.stdout
    again = run("try", TRACKER, "--endpoint-url", moto_server_url, "--table", "Kept")
    assert again.returncode == 2 and "already exists" in again.stderr
    client = local_client(moto_server_url)
    assert client.scan(TableName="Kept", Select="COUNT")["Count"] > 0


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
def test_cli_keep_serves_the_embedded_data_until_stopped(verbose: bool) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "dynamodel", "try", str(TRACKER), "--keep"]
        + (["--verbose"] if verbose else []),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
    )
    before = []
    try:
        assert process.stderr is not None
        line = ""
        for line in process.stderr:  # the progress bar is transient; this line stays
            if line.startswith("serving"):
                break
            before.append(line)
        assert line.startswith("serving Tracker-try at http://127.0.0.1:"), line
        url = line.split(" at ", 1)[1].split(" ")[0]
        client = local_client(url)
        items = client.scan(TableName="Tracker-try")["Items"]
        assert {i["_type"]["S"] for i in items} >= {"Workspace", "Ticket", "ChecklistItem"}
    finally:
        process.send_signal(signal.SIGTERM)
        _, after = process.communicate(timeout=30)
    assert process.returncode == 0
    # The embedded server's request log (werkzeug: `"POST / HTTP/1.1" 200 -`, a line for
    # every request of the seeding and of the scan above) only with --verbose.
    logged = [text for text in [*before, *after.splitlines()] if "HTTP/1.1" in text]
    if verbose:
        assert len(logged) > 10, "".join(before) + after
    else:
        assert logged == [], logged


def test_cli_bad_backends_and_table_names_get_a_message_not_a_traceback() -> None:
    for arguments, message in (
        (("--endpoint-url", "http://127.0.0.1:9"), "failed: Could not connect"),
        (("--endpoint-url", "notaurl"), "is not a URL"),
        (("--table", "x"), "is not a table name"),
    ):
        result = run("try", TRACKER, *arguments)
        assert result.returncode == 2, (arguments, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
