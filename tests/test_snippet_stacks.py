"""Snippets (`--snippet`) hold the same resources as dynamodel's stacks (the table's, the
managed policies', the copies handler's), linked to the table by its logical id instead of
the table stack's exports; their options, table names and formats; and they fit a plain
CloudFormation template too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.decode import cfn_yaml
from typer.testing import CliRunner

from dynamodel.cli import app
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
from tests.snippet_support import (
    ROOT,
    SNIPPETS,
    TRACKER,
    as_json,
    lint,
    pasted,
    run,
    tracker_design,
)


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
    design = tracker_design(spec)
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
    design = tracker_design()
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
    design = tracker_design()
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
    snippet = table_snippet(tracker_design(), table_name=text)
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
    text = run(*args)
    assert text == run(*args)
    assert "!" not in "".join(line.split("#")[0] for line in text.splitlines())
    assert yaml.safe_load(text) == json.loads(run(*as_json(args)))
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[0].startswith("# Generated by dynamodel from the spec; do not edit.")
    assert "TrackerTable" in header[0]  # the regenerate command keeps the options


def test_the_policy_stack_in_json_is_the_yaml_one() -> None:
    yaml_text = run("iam", str(TRACKER), "-f", "cloudformation")
    json_text = run("iam", str(TRACKER), "-f", "cloudformation-json")
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
        run(
            "cloudformation",
            str(TRACKER),
            "--snippet",
            "--table-id",
            "Data",
            "--table-name",
            "${TableName}",
        ),
        run("iam", str(TRACKER), "-f", "cloudformation", "--snippet", "--table-id", "Data"),
    ]
    assert "It refers to `TableName`, which your template must define." in snippets[0]
    path = tmp_path / "plain.yaml"
    path.write_text(pasted(PLAIN_HOST, snippets), encoding="utf-8")
    assert lint(path) == []
    table = cfn_yaml.loads(path.read_text())["Resources"]["Data"]
    assert table["Properties"]["TableName"] == {"Ref": "TableName"}
