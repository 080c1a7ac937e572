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
from cfnlint.decode import cfn_yaml
from moto import mock_aws
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from tests.snippet_support import SNIPPETS, as_json, lint, pasted, run, tracker_design

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
    path.write_text(pasted(HOST, [run(*args) for args in SNIPPETS]), encoding="utf-8")
    return path


def test_the_merged_template_passes_cfn_lint(merged: Path) -> None:
    assert lint(merged) == []


def test_the_json_snippets_merge_into_the_same_template(merged: Path) -> None:
    template = cfn_yaml.loads(HOST)
    for args in SNIPPETS:
        template["Resources"].update(json.loads(run(*as_json(args)))["Resources"])
    assert json.loads(json.dumps(template)) == json.loads(
        json.dumps(cfn_yaml.loads(merged.read_text()))
    )


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tracker/__init__.py", "")
    return buffer.getvalue()


def test_the_merged_sam_template_deploys_with_the_designed_table(merged: Path) -> None:
    design = tracker_design()
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
