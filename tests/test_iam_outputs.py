"""`dynamodel iam`'s outputs and command line: the tracker's checked-in policies (JSON, the
tenant-scoped template, the SAM example's shared one) are current and pass cfn-lint, the CLI
prints them, warns about methods it cannot scope, and refuses bad usage with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dynamodel.compiler.emit.iam import (
    default_table_arn,
    emit_policy_cloudformation,
    emit_policy_json,
)
from dynamodel.compiler.emit.iam_plan import plan_policy, selections
from tests.goldens import compare_files
from tests.iam_support import ARN, PROJECTS, TRACKER, _compiled, _everything
from tests.test_cli import run


# -- outputs -----------------------------------------------------------------------------------
def _tracker_outputs() -> dict[str, str]:
    design = _compiled(TRACKER)
    everything = plan_policy(design, _everything(design))
    groups = [plan_policy(design, s) for s in selections(design)]
    shared = [plan_policy(design, s, tenant_scope=False) for s in selections(design)]
    return {
        "iam.json": emit_policy_json(everything, table_arn=default_table_arn(design)),
        "iam.yaml": emit_policy_cloudformation(design, groups),
        "lambda/policies.yaml": emit_policy_cloudformation(design, shared, tenant_scope=False),
    }


def test_the_tracker_policies_are_current(update_goldens: bool) -> None:
    problems = compare_files(TRACKER.parent, _tracker_outputs(), update=update_goldens)
    assert not problems, "\n".join(problems)


def test_the_cli_prints_the_checked_in_policies() -> None:
    for relative, arguments in (
        ("iam.json", []),
        ("iam.yaml", ["--format", "cloudformation"]),
        ("lambda/policies.yaml", ["--format", "cloudformation", "--no-tenant-scope"]),
    ):
        result = run("iam", TRACKER, *arguments)
        assert result.returncode == 0, result.stderr
        assert result.stdout == (TRACKER.parent / relative).read_text(), relative


@pytest.mark.parametrize("name", ["iam.yaml", "lambda/policies.yaml"])
def test_the_policy_templates_pass_cfn_lint(name: str) -> None:
    from cfnlint.api import lint_file  # type: ignore[import-untyped]

    path = TRACKER.parent / name
    assert [str(m) for m in lint_file(path)] == []
    template = yaml.safe_load(path.read_text())
    design = _compiled(TRACKER)
    assert set(template["Parameters"]) == {"Stage", "TableStack"}
    policies = {
        k for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::ManagedPolicy"
    }
    assert policies == {
        "CreateTicketPolicy",
        "GetTicketPolicy",
        "ListTicketsPolicy",
        "CloseTicketPolicy",
    }
    assert len(policies) == len(design.spec.functions)
    for name_ in policies:
        output = template["Outputs"][f"{name_}Arn"]
        assert output["Value"] == {"Ref": name_}
        assert output["Export"]["Name"] == {"Fn::Sub": f"${{AWS::StackName}}-{name_}Arn"}


def test_a_template_of_projects_passes_cfn_lint(tmp_path: Path) -> None:
    from cfnlint.api import lint_file

    design = _compiled(PROJECTS)
    plans = [plan_policy(design, s) for s in selections(design)]
    path = tmp_path / "policies.yaml"
    path.write_text(emit_policy_cloudformation(design, plans))
    assert [str(m) for m in lint_file(path)] == []
    template = yaml.safe_load(path.read_text())
    # An index ARN is the table's imported ARN with /index/<name>.
    resources = [
        s["Resource"]
        for r in template["Resources"].values()
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    imported = {"Fn::ImportValue": {"Fn::Sub": "${TableStack}-TableArn"}}
    assert imported in resources
    assert {"Fn::Join": ["", [imported, "/index/GSI1"]]} in resources


# -- the command line --------------------------------------------------------------------------
def test_iam_warns_on_stderr_about_methods_that_are_not_tenant_scoped() -> None:
    result = run("iam", TRACKER, "--patterns", "get_ticket,get_user", "--writes", "create_ticket")
    assert result.returncode == 0, result.stderr
    policy = json.loads(result.stdout)
    assert {s["Sid"] for s in policy["Statement"]} == {"TenantTable", "NamespacesTable"}
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{TRACKER}:") and "`get_user` is not tenant-scoped" in line


def test_iam_with_a_function_and_a_table_arn() -> None:
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/Tracker-prod"
    result = run("iam", TRACKER, "--function", "list_tickets", "--table-arn", arn)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (statement,) = json.loads(result.stdout)["Statement"]
    assert statement["Resource"] == f"{arn}/index/GSI1"
    assert statement["Action"] == ["dynamodb:Query"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--patterns", "get_tiket"],
            "unknown access pattern `get_tiket` (did you mean `get_ticket`?)",
        ),
        (["--writes", "create_tickets"], "unknown write method `create_tickets`"),
        (["--function", "reader"], "unknown function `reader`"),
        (["--function", "get_ticket", "--patterns", "get_ticket"], "not both"),
        (["--table-arn", "arn:aws:dynamodb:*:*:table/Tracker-*"], "not the ARN of one table"),
        (["--format", "cloudformation", "--table-arn", ARN], "applies to --format json"),
    ],
)
def test_iam_usage_errors_exit_2(arguments: list[str], message: str) -> None:
    result = run("iam", TRACKER, *arguments)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
