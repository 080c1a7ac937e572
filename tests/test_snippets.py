"""Snippets (`--snippet`): the resources of dynamodel's stacks, merged into a template of your
own. The table's, the managed policies' and the copies handler's snippets of the tracker are
pasted, unchanged, under the `Resources:` of a hand-written SAM template; cfn-lint passes on
it, aws-sam-translator transforms it, and moto's CloudFormation deploys it: the table has the
design's keys and indexes, the function the policies. The snippets hold the same resources as
the stacks, linked to the table by its logical id instead of the table stack's exports."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from cfnlint.api import lint_file  # type: ignore[import-untyped]  # cfn-lint ships no py.typed
from cfnlint.decode import cfn_yaml
from moto import mock_aws
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from typer.testing import CliRunner

from dynamodel.cli import app
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.cloudformation import cloudformation_template
from dynamodel.compiler.emit.copies_stack import copies_template
from dynamodel.compiler.emit.iam import policy_template
from dynamodel.compiler.emit.iam_plan import plan_policy, selections
from dynamodel.compiler.emit.snippets import (
    copies_snippet,
    policy_snippet,
    references,
    table_name_value,
    table_snippet,
)
from dynamodel.compiler.pipeline import compile_spec

ROOT = Path(__file__).resolve().parent.parent
TRACKER = ROOT / "examples" / "tracker" / "spec.yaml"
REGION = "us-east-1"
CODE_BUCKET = "snippet-code"

# A team's own SAM template, written by hand with YAML tags as such templates are. The three
# snippets are pasted under its `Resources:` line as they are printed.
HOST = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: A team's own SAM application, with dynamodel's snippets pasted under Resources.
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedPattern: ^[a-z0-9-]+$
Globals:
  Function:
    Runtime: python3.13
    MemorySize: 256
Resources:
  TicketsFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      InlineCode: |
        import os
        def handler(event, context):
            return os.environ["TRACKER_TABLE_NAME"]
      Environment:
        Variables:
          TRACKER_TABLE_NAME: !Ref TrackerTable
      Policies:
        - !Ref GetTicketPolicy
        - !Ref CreateTicketPolicy
Outputs:
  TableName:
    Value: !Ref TrackerTable
"""
SNIPPETS = (
    ["cloudformation", str(TRACKER), "--snippet", "--table-id", "TrackerTable"],
    [
        "iam",
        str(TRACKER),
        "-f",
        "cloudformation",
        "--snippet",
        "--table-id",
        "TrackerTable",
        "--no-tenant-scope",
    ],
    ["cloudformation", str(TRACKER), "--copies", "--snippet", "--table-id", "TrackerTable"],
)


def _design(path: Path = TRACKER) -> Design:
    design = compile_spec(path.read_text(encoding="utf-8"), path=str(path)).design
    assert design is not None
    return design


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _as_json(args: list[str]) -> list[str]:
    """The same command printing JSON (`iam`'s template format is `cloudformation-json`)."""
    if args[0] == "iam":
        return [("cloudformation-json" if a == "cloudformation" else a) for a in args]
    return [*args, "--format", "json"]


def _lint(path: Path) -> list[str]:
    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in lint_file(path)]


def _pasted(host: str, snippets: list[str]) -> str:
    """The host template with each snippet's resources pasted under its `Resources:` line,
    the snippet's lines as they are (already indented for that place)."""
    body = "".join(text.split("Resources:\n", 1)[1] for text in snippets)
    return host.replace("Resources:\n", "Resources:\n" + body, 1)


def _translated(template: dict[str, Any]) -> dict[str, Any]:
    sam = json.loads(json.dumps(template))
    for resource in sam["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function" and "CodeUri" in resource["Properties"]:
            resource["Properties"]["CodeUri"] = f"s3://{CODE_BUCKET}/copies.zip"  # as sam deploy
    result: dict[str, Any] = Translator(managed_policy_map={}, sam_parser=Parser()).translate(
        sam_template=sam, parameter_values={}
    )
    return result


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snippets") / "template.yaml"
    path.write_text(_pasted(HOST, [_run(*args) for args in SNIPPETS]), encoding="utf-8")
    return path


def test_the_merged_template_passes_cfn_lint(merged: Path) -> None:
    assert _lint(merged) == []


def test_the_json_snippets_merge_into_the_same_template(merged: Path) -> None:
    template = cfn_yaml.loads(HOST)
    for args in SNIPPETS:
        template["Resources"].update(json.loads(_run(*_as_json(args)))["Resources"])
    assert json.loads(json.dumps(template)) == json.loads(
        json.dumps(cfn_yaml.loads(merged.read_text()))
    )


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tracker/__init__.py", "")
    return buffer.getvalue()


def test_the_merged_sam_template_deploys_with_the_designed_table(merged: Path) -> None:
    design = _design()
    template = _translated(cfn_yaml.loads(merged.read_text()))
    types = {name: r["Type"] for name, r in template["Resources"].items()}
    assert types["TrackerTable"] == "AWS::DynamoDB::Table"
    assert types["CopiesFunctionTableStream"] == "AWS::Lambda::EventSourceMapping"
    # SAM attaches the policies to the role it makes (moto's IAM leaves ManagedPolicyArns out).
    role = template["Resources"]["TicketsFunctionRole"]["Properties"]
    assert {"Ref": "GetTicketPolicy"} in role["ManagedPolicyArns"]
    assert {"Ref": "CreateTicketPolicy"} in role["ManagedPolicyArns"]
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=CODE_BUCKET)
        s3.put_object(Bucket=CODE_BUCKET, Key="copies.zip", Body=_zip())
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(
            StackName="tracker-app-dev",
            TemplateBody=json.dumps(template),
            Capabilities=["CAPABILITY_IAM"],
        )
        stack = cloudformation.describe_stacks(StackName="tracker-app-dev")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        assert outputs["TableName"] == "Tracker-dev"

        dynamodb = boto3.client("dynamodb", region_name=REGION)
        table = dynamodb.describe_table(TableName="Tracker-dev")["Table"]
        assert table["KeySchema"] == [
            {"AttributeName": design.partition_key, "KeyType": "HASH"},
            {"AttributeName": design.sort_key, "KeyType": "RANGE"},
        ]
        indexes = {g["IndexName"]: g for g in table["GlobalSecondaryIndexes"]}
        assert sorted(indexes) == sorted(index.name for index in design.indexes)
        for index in design.indexes:
            assert indexes[index.name]["KeySchema"] == [
                {"AttributeName": index.partition_key, "KeyType": "HASH"},
                {"AttributeName": index.sort_key, "KeyType": "RANGE"},
            ]
            assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}
        assert table["StreamSpecification"] == {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["DeletionProtectionEnabled"] is True
        tags = dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
        assert {"Key": "dynamodel:table", "Value": "Tracker"} in tags
        # moto's CloudFormation leaves TimeToLiveSpecification, PITR and SSE out of the table it
        # creates; the snippet's are the stack's (test_the_table_snippet_is_the_stacks_table).

        resources = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cloudformation.list_stack_resources(StackName="tracker-app-dev")[
                "StackResourceSummaries"
            ]
        }
        iam = boto3.client("iam", region_name=REGION)
        policy = iam.get_policy(PolicyArn=resources["GetTicketPolicy"])["Policy"]
        version = iam.get_policy_version(
            PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"]
        )["PolicyVersion"]["Document"]
        table_arn = table["TableArn"]
        assert {s["Resource"] for s in version["Statement"]} <= {
            table_arn,
            *(f"{table_arn}/index/{index.name}" for index in design.indexes),
        }
        mapping = boto3.client("lambda", region_name=REGION).get_event_source_mapping(
            UUID=resources["CopiesFunctionTableStream"]
        )
        assert mapping["EventSourceArn"] == table["LatestStreamArn"]


def _strip_links(node: Any, table_id: str) -> Any:
    """The template with every reference to the table (exports or a logical id) made one
    placeholder, and the stage tags left out: what must agree between stack and snippet."""
    if isinstance(node, list):
        kept = [
            item
            for item in node
            if not (isinstance(item, dict) and item.get("Key") == "dynamodel:stage")
        ]
        return [_strip_links(item, table_id) for item in kept]
    if not isinstance(node, dict):
        return node
    if node in (
        {"Fn::ImportValue": {"Fn::Sub": "${TableStack}-TableArn"}},
        {"Fn::GetAtt": [table_id, "Arn"]},
    ):
        return "<table arn>"
    if node in (
        {"Fn::ImportValue": {"Fn::Sub": "${TableStack}-StreamArn"}},
        {"Fn::GetAtt": [table_id, "StreamArn"]},
    ):
        return "<stream arn>"
    if node in ({"Fn::ImportValue": {"Fn::Sub": "${TableStack}-TableName"}}, {"Ref": table_id}):
        return "<table name>"
    return {k: _strip_links(v, table_id) for k, v in node.items() if k != "dynamodel:stage"}


EXAMPLES = sorted(ROOT.glob("examples/*/spec.yaml"))


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.parent.name)
def test_the_table_snippet_is_the_stacks_table(spec: Path) -> None:
    design = _design(spec)
    stack = cloudformation_template(design)["Resources"]["Table"]
    snippet = table_snippet(design, table_id="MyTable")
    assert list(snippet) == ["Resources"]
    assert list(snippet["Resources"]) == ["MyTable"]
    assert _strip_links(snippet["Resources"]["MyTable"], "MyTable") == _strip_links(stack, "")
    assert snippet["Resources"]["MyTable"]["Properties"]["Tags"] == [
        {"Key": "dynamodel:table", "Value": design.table_name}
    ]
    assert references(snippet) == ["Stage"]  # the default name is the stack's: <Name>-${Stage}


@pytest.mark.parametrize("tenant_scope", [True, False])
def test_the_policy_snippet_is_the_policy_stacks_resources(tenant_scope: bool) -> None:
    design = _design()
    plans = [plan_policy(design, s, tenant_scope=tenant_scope) for s in selections(design)]
    stack = policy_template(design, plans)["Resources"]
    snippet = policy_snippet(design, plans, table_id="Data")["Resources"]
    assert list(snippet) == list(stack)
    for name, resource in snippet.items():
        document = resource["Properties"]["PolicyDocument"]
        assert _strip_links(document, "Data") == _strip_links(
            stack[name]["Properties"]["PolicyDocument"], ""
        )
        # The description names the deployed table: the table resource's name.
        parts = resource["Properties"]["Description"]["Fn::Join"][1]
        assert {"Ref": "Data"} in parts
    assert references({"Resources": snippet}) == ["Data"]


def test_the_copies_snippet_is_the_copies_stacks_resources() -> None:
    design = _design()
    stack = copies_template(design, package="tracker")["Resources"]
    snippet = copies_snippet(design, package="tracker", table_id="Data")
    assert _strip_links(snippet["Resources"], "Data") == _strip_links(stack, "")
    assert references(snippet) == ["Data"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Tracker-prod", "Tracker-prod"),
        ("${TableName}", {"Ref": "TableName"}),
        ("Tracker-${Stage}", {"Fn::Sub": "Tracker-${Stage}"}),
        ("${AWS::StackName}-tracker", {"Fn::Sub": "${AWS::StackName}-tracker"}),
        ("${Names.TableName}", {"Fn::Sub": "${Names.TableName}"}),
    ],
)
def test_table_names(text: str, value: Any) -> None:
    assert table_name_value(text) == value
    snippet = table_snippet(_design(), table_name=text)
    assert snippet["Resources"]["Table"]["Properties"]["TableName"] == value


@pytest.mark.parametrize(
    "args",
    [
        ["cloudformation", str(TRACKER), "--snippet", "--table-name", "a b"],
        ["cloudformation", str(TRACKER), "--snippet", "--table-name", "ab"],
        ["cloudformation", str(TRACKER), "--snippet", "--table-name", "T-${!Stage}"],
        ["cloudformation", str(TRACKER), "--snippet", "--table-id", "My-Table"],
        ["cloudformation", str(TRACKER), "--table-id", "Data"],  # without --snippet
        ["cloudformation", str(TRACKER), "--copies", "--snippet", "--table-name", "T-1"],
        ["cloudformation", str(TRACKER), "--snippet", "--package", "tracker"],
        ["cloudformation", str(ROOT / "examples/booking/spec.yaml"), "--copies", "--snippet"],
        ["iam", str(TRACKER), "--snippet"],  # a policy document has no resources
        ["iam", str(TRACKER), "-f", "cloudformation", "--table-id", "Data"],
        ["iam", str(TRACKER), "-f", "cloudformation", "--snippet", "--table-id", "a.b"],
    ],
)
def test_bad_snippet_options_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""


@pytest.mark.parametrize("args", SNIPPETS, ids=["table", "policies", "copies"])
def test_yaml_and_json_are_one_deterministic_document(args: list[str]) -> None:
    text = _run(*args)
    assert text == _run(*args)
    assert "!" not in "".join(line.split("#")[0] for line in text.splitlines())
    assert yaml.safe_load(text) == json.loads(_run(*_as_json(args)))
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[0].startswith("# Generated by dynamodel from the spec; do not edit.")
    assert "TrackerTable" in header[0]  # the regenerate command keeps the options


def test_the_policy_stack_in_json_is_the_yaml_one() -> None:
    yaml_text = _run("iam", str(TRACKER), "-f", "cloudformation")
    json_text = _run("iam", str(TRACKER), "-f", "cloudformation-json")
    assert yaml.safe_load(yaml_text) == json.loads(json_text)


# A plain CloudFormation template (no SAM) that names the table with a parameter of its own.
PLAIN_HOST = """\
AWSTemplateFormatVersion: '2010-09-09'
Description: A plain template holding dynamodel's table and policy snippets.
Parameters:
  TableName:
    Type: String
    Default: tracker-main
Resources:
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
        - Effect: Allow
          Principal: {Service: ecs-tasks.amazonaws.com}
          Action: sts:AssumeRole
      ManagedPolicyArns:
      - !Ref ListTicketsPolicy
Outputs:
  TableArn:
    Value: !GetAtt Data.Arn
"""


def test_the_snippets_fit_a_plain_template(tmp_path: Path) -> None:
    snippets = [
        _run(
            "cloudformation",
            str(TRACKER),
            "--snippet",
            "--table-id",
            "Data",
            "--table-name",
            "${TableName}",
        ),
        _run("iam", str(TRACKER), "-f", "cloudformation", "--snippet", "--table-id", "Data"),
    ]
    assert "It refers to `TableName`, which your template must define." in snippets[0]
    path = tmp_path / "plain.yaml"
    path.write_text(_pasted(PLAIN_HOST, snippets), encoding="utf-8")
    assert _lint(path) == []
    table = cfn_yaml.loads(path.read_text())["Resources"]["Data"]
    assert table["Properties"]["TableName"] == {"Ref": "TableName"}
