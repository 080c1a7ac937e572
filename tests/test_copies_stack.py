"""The copies handler's SAM stack (`dynamodel cloudformation SPEC --copies`): cfn-lint passes,
aws-sam-translator transforms it into an event source mapping with bisection, bounded retries,
ReportBatchItemFailures, the SQS on-failure destination and the table stack's stream, and the
role allows exactly what the generated handler sends (recorded on moto, checked with the IAM
evaluator), nothing else. A spec without copies is refused."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from cfnlint.api import lint_file  # type: ignore[import-untyped]  # cfn-lint ships no py.typed
from moto import mock_aws
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from typer.testing import CliRunner

from dynamodel.cli import app
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.copies_stack import (
    NoCopiesError,
    copies_template,
    emit_copies_stack,
    source_filter,
)
from dynamodel.compiler.pipeline import compile_spec
from tests.iam_evaluator import Request, allowed
from tests.iam_requests import ACCOUNT, REGION, RequestLog, table_arn
from tests.stream_records import lambda_event, read_stream, stream_arn
from tests.test_copies import SPEC as HUB
from tests.test_repository_oracle import spec_package

ROOT = Path(__file__).resolve().parent.parent
TRACKER = ROOT / "examples" / "tracker"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:copies-failures"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:copies:*"
# The holders of a Folder are a Query of the table: no GSI, no batching window.
BASE_ONLY = """\
version: 1
table: Docs
entities:
  Folder:
    id: [folder_id]
    attributes: {folder_id: str, title: str}
  Note:
    id: [folder_id, note_no]
    attributes:
      folder_id: str
      note_no: int
      folder_title: {type: "str?", copy_of: Folder.title}
access_patterns:
  get_note: {entity: Note, by: [folder_id, note_no]}
"""


def design_of(text: str) -> Design:
    design = compile_spec(text).design
    assert design is not None
    return design


def lint(path: Path) -> list[str]:
    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in lint_file(path)]


def transformed(template: dict[str, Any]) -> dict[str, Any]:
    """The template as CloudFormation receives it: aws-sam-translator's transform (with the
    local CodeUri replaced by an S3 location, as `sam deploy` does)."""
    sam = json.loads(json.dumps(template))
    for resource in sam["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/copies.zip"
    result = Translator(managed_policy_map={}, sam_parser=Parser()).translate(
        sam_template=sam, parameter_values={}
    )
    return dict(result)


def by_type(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == kind}


@pytest.mark.parametrize(
    "text",
    [HUB, BASE_ONLY, (TRACKER / "spec.yaml").read_text()],
    ids=["hub", "base_only", "tracker"],
)
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_the_stack_passes_cfn_lint(text: str, fmt: Any, tmp_path: Path) -> None:
    design = design_of(text)
    path = tmp_path / f"copies.{fmt}"
    path.write_text(emit_copies_stack(design, package="pkg", default_package="pkg", fmt=fmt))
    assert lint(path) == []
    if fmt == "json":
        assert json.loads(path.read_text()) == copies_template(design, package="pkg")


def test_cfn_lint_really_checks_the_stack(tmp_path: Path) -> None:
    template = copies_template(design_of(HUB), package="hub")
    del template["Resources"]["CopiesFailureQueue"]  # a GetAtt of a missing resource
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(template))
    assert any(line.startswith("E") for line in lint(path))


@pytest.mark.parametrize(("text", "window"), [(HUB, 5), (BASE_ONLY, None)], ids=["gsi", "table"])
def test_sam_translator_makes_the_event_source_mapping(text: str, window: int | None) -> None:
    design = design_of(text)
    template = transformed(copies_template(design, package="hub"))
    (mapping,) = by_type(template, "AWS::Lambda::EventSourceMapping").values()
    properties = mapping["Properties"]
    assert properties["EventSourceArn"] == {
        "Fn::ImportValue": {"Fn::Sub": "${TableStack}-StreamArn"}
    }
    assert properties["FunctionName"] == {"Ref": "CopiesFunction"}
    assert properties["BisectBatchOnFunctionError"] is True
    assert 0 < properties["MaximumRetryAttempts"] <= 10
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": ["CopiesFailureQueue", "Arn"]}}
    }
    assert template["Resources"]["CopiesFailureQueue"]["Type"] == "AWS::SQS::Queue"
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert properties["BatchSize"] == 100
    assert properties.get("MaximumBatchingWindowInSeconds") == window
    (only,) = properties["FilterCriteria"]["Filters"]
    assert json.loads(only["Pattern"]) == source_filter(design)
    # The function runs under the stack's own role: SAM made none and attached nothing.
    (function,) = by_type(template, "AWS::Lambda::Function").values()
    assert function["Properties"]["Handler"] == "hub.copies.handler"
    assert function["Properties"]["Role"] == {"Fn::GetAtt": ["CopiesRole", "Arn"]}
    (role,) = by_type(template, "AWS::IAM::Role").values()
    assert "ManagedPolicyArns" not in role["Properties"]
    assert len(role["Properties"]["Policies"]) == 1
    assert set(template["Outputs"]) == {
        "CopiesFunctionArn",
        "CopiesFailureQueueUrl",
        "CopiesFailureQueueArn",
    }


def test_the_table_template_exports_the_stream_the_stack_imports() -> None:
    from dynamodel.compiler.emit.cloudformation import cloudformation_template

    table = cloudformation_template(design_of(TRACKER.joinpath("spec.yaml").read_text()))
    assert table["Outputs"]["StreamArn"] == {
        "Description": "ARN of the Tracker table's stream, for event source mappings",
        "Value": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-StreamArn"}},
    }
    # A copy turns the stream on (NEW_AND_OLD_IMAGES) even when the spec has no `stream:`.
    docs = cloudformation_template(design_of(BASE_ONLY))
    assert docs["Resources"]["Table"]["Properties"]["StreamSpecification"] == {
        "StreamViewType": "NEW_AND_OLD_IMAGES"
    }
    assert "StreamArn" in docs["Outputs"]


def test_a_spec_without_copies_is_refused(tmp_path: Path) -> None:
    booking = ROOT / "examples" / "booking" / "spec.yaml"
    with pytest.raises(NoCopiesError):
        copies_template(design_of(booking.read_text()), package="booking")
    result = CliRunner().invoke(app, ["cloudformation", str(booking), "--copies"])
    assert result.exit_code == 2
    assert "declares no `copy_of` attribute" in result.output
    assert "Bookings has no copies handler" in result.output
    spec = tmp_path / "spec.yaml"
    spec.write_text(HUB, encoding="utf-8")
    assert CliRunner().invoke(app, ["cloudformation", str(spec), "--package", "x"]).exit_code == 2
    bad = CliRunner().invoke(app, ["cloudformation", str(spec), "--copies", "-p", "class"])
    assert bad.exit_code == 2 and "not an importable name" in bad.output
    named = CliRunner().invoke(app, ["cloudformation", str(spec), "--copies", "-p", "hub_pkg"])
    assert named.exit_code == 0
    assert "Handler: hub_pkg.copies.handler" in named.output
    assert "--copies --package hub_pkg" in named.output.splitlines()[0]


# -- the role against what the handler sends ----------------------------------------------


def _resolve(node: Any, table: str, stream: str) -> Any:
    """A policy of the stack with the imports and the stack's own ARNs resolved."""
    if isinstance(node, list):
        return [_resolve(item, table, stream) for item in node]
    if not isinstance(node, dict):
        return node
    if node == {"Fn::ImportValue": {"Fn::Sub": "${TableStack}-TableArn"}}:
        return table
    if node == {"Fn::ImportValue": {"Fn::Sub": "${TableStack}-StreamArn"}}:
        return stream
    if node == {"Fn::GetAtt": ["CopiesFailureQueue", "Arn"]}:
        return QUEUE_ARN
    if node == {"Fn::GetAtt": ["CopiesLogGroup", "Arn"]}:
        return LOG_GROUP_ARN
    if set(node) == {"Fn::Join"}:
        separator, parts = node["Fn::Join"]
        return separator.join(_resolve(part, table, stream) for part in parts)
    return {key: _resolve(value, table, stream) for key, value in node.items()}


def role_policy(template: dict[str, Any], table: str, stream: str) -> dict[str, Any]:
    role = template["Resources"]["CopiesRole"]
    (policy,) = role["Properties"]["Policies"]
    return dict(_resolve(policy["PolicyDocument"], table_arn(table), stream))


def _matches(pattern: Any, value: Any) -> bool:
    """Lambda's event filter on one record (the pattern's forms `copies_stack` uses)."""
    if isinstance(pattern, list):
        return value in pattern
    return isinstance(value, dict) and all(_matches(p, value.get(k)) for k, p in pattern.items())


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def run_handler(
    design: Design, copies: ModuleType, dynamodb: Any, table: str
) -> tuple[list[Request], str]:
    """Every stream record so far through the deployed handler (its own repository and
    client, as in Lambda), as the mapping's filter delivers them; the requests it sent, and
    the stream's ARN. Records the filter drops are checked to be ones the handler ignores."""
    arn = stream_arn(dynamodb, table)
    event = lambda_event(read_stream(dynamodb, table), arn)
    copies.repository.cache_clear()
    log = RequestLog(copies.repository(table).table.client, design)
    pattern = source_filter(design)
    delivered = [r for r in event["Records"] if _matches(pattern, r)]
    dropped = [r for r in event["Records"] if not _matches(pattern, r)]
    assert delivered and dropped
    with log.calling("dropped"):
        assert copies.handler({"Records": dropped}, None) == {"batchItemFailures": []}
    assert log.requests["dropped"] == []
    with log.calling("copies"):
        assert copies.handler({"Records": delivered}, None) == {"batchItemFailures": []}
    return log.requests["copies"], arn


def granted(policy: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (action, resource)
        for statement in policy["Statement"]
        for action in statement["Action"]
        for resource in (
            [statement["Resource"]]
            if isinstance(statement["Resource"], str)
            else statement["Resource"]
        )
    }


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "hub_copies_stack", HUB)


def test_the_role_allows_base_table_and_gsi_lookups(aws: Any, hub: ModuleType) -> None:
    design = design_of(HUB)
    table = "Hub-copies"
    repo = hub.HubRepository(client=aws, table_name=table, cursor_key="k" * 32)
    repo.create_table()
    repo.create_repo(hub.Repo(owner="o", name="cli", description="one"))
    repo.create_issue(hub.Issue(owner="o", name="cli", number=1, title="#1"))
    repo.create_user(hub.User(username="ann", display_name="Ann"))
    repo.create_comment(hub.Comment(comment_id="c1", username="ann", body="."))
    repo.update_repo(owner="o", name="cli", description="two")
    repo.update_user(username="ann", display_name="Ann B.")
    copies = importlib.import_module(f"{hub.__name__}.copies")
    requests, stream = run_handler(design, copies, aws, table)
    assert repo.get_issue(owner="o", name="cli", number=1).repo_description == "two"
    assert repo.get_comment(comment_id="c1").author_name == "Ann B."
    policy = role_policy(copies_template(design, package="hub"), table, stream)
    assert [r for r in requests if not allowed(policy, r, tags={})] == []
    arn = table_arn(table)
    sent = {(r.action, r.resource) for r in requests}
    assert sent == {
        ("dynamodb:Query", arn),
        ("dynamodb:Query", f"{arn}/index/GSI1"),
        ("dynamodb:UpdateItem", arn),
    }
    dynamo = {
        (a, r) for a, r in granted(policy) if a.startswith("dynamodb:") and "/stream/" not in r
    }
    assert dynamo == sent
    denied = [
        Request("dynamodb:Query", arn, ("Repo#o#cli",)),
        Request("dynamodb:UpdateItem", arn, ("Repo#o#cli",)),
        Request("dynamodb:Query", f"{arn}/index/GSI1", ("Issue#o#cli",)),
    ]
    assert [r for r in denied if allowed(policy, r, tags={})] == []
