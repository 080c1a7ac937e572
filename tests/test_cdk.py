"""`dynamodel cdk`: the Python CDK construct. Its goldens (examples/*/cdk/) are current and
pass ruff; synthesized with aws-cdk-lib (when installed: the `cdk` extra), its table has the
properties of `dynamodel cloudformation`'s table, and each grant method attaches exactly the
statements `dynamodel iam` plans for its function group."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from dynamodel.cli import app
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.cdk import cdk_files, class_name, emit_cdk, statement_id
from dynamodel.compiler.emit.cloudformation import cloudformation_template
from dynamodel.compiler.emit.iam import policy_document
from dynamodel.compiler.emit.iam_plan import plan_policy, selections
from dynamodel.compiler.pipeline import compile_spec
from tests.goldens import compare_files

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/spec.yaml"))
# Beyond the examples: provisioned capacity (on the table and every GSI), dedicated indexes.
VARIANTS = [ROOT / "tests/golden/provisioned_stream_ttl/spec.yaml"]
VARIANTS += [ROOT / "tests/golden/dedicated_indexes/spec.yaml"]
SPECS = EXAMPLES + VARIANTS
STAGE = "dev"
RUFF_RULES = "E,F,W,I,B,UP,SIM,RUF"
NO_CDK = "aws-cdk-lib is not installed (pip install -e '.[cdk]'): the construct is not synthesized"


def _name(spec: Path) -> str:
    return spec.parent.name


def _design(spec: Path) -> Design:
    design = compile_spec(spec.read_text(encoding="utf-8"), path=spec.name).design
    assert design is not None
    return design


@pytest.mark.parametrize("spec", EXAMPLES, ids=_name)
def test_example_constructs_are_current(spec: Path, update_goldens: bool) -> None:
    files = cdk_files(_design(spec))
    problems = compare_files(spec.parent / "cdk", files, update=update_goldens)
    assert not problems, "\n".join(problems)


def _ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--isolated", "."],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def constructs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every spec's construct, written as `dynamodel cdk --out` writes it."""
    directory = tmp_path_factory.mktemp("cdk")
    for spec in SPECS:
        for relative, text in cdk_files(_design(spec)).items():
            (directory / relative).write_text(text, encoding="utf-8")
    return directory


def test_the_constructs_pass_ruff_with_its_defaults(constructs: Path) -> None:
    # A project's own settings are unknown: ruff's defaults (88 columns), the project's rules.
    check = _ruff("check", "--select", RUFF_RULES, cwd=constructs)
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = _ruff("format", "--check", cwd=constructs)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


# mypy --strict over aws-cdk-lib's type information takes about a minute, more than the
# suite's budget allows: collected only with DYNAMODEL_CDK_MYPY=1 (.ci/run sets it for a
# second run of this test alone).
if os.environ.get("DYNAMODEL_CDK_MYPY") == "1":

    @pytest.mark.skipif(importlib.util.find_spec("aws_cdk") is None, reason=NO_CDK)
    def test_the_constructs_pass_mypy_strict(constructs: Path) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "."],
            cwd=constructs,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_cli_prints_and_writes_the_construct(tmp_path: Path) -> None:
    spec = ROOT / "examples/tracker/spec.yaml"
    printed = CliRunner().invoke(app, ["cdk", str(spec), "--no-tenant-scope"])
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == emit_cdk(_design(spec), tenant_scope=False)
    assert "Regenerate with: dynamodel cdk SPEC --no-tenant-scope" in printed.stdout
    written = CliRunner().invoke(app, ["cdk", str(spec), "--out", str(tmp_path)])
    assert written.exit_code == 0, written.output
    assert written.stdout == ""
    assert (tmp_path / "tracker_table.py").read_text() == emit_cdk(_design(spec))


def test_the_construct_is_deterministic() -> None:
    design = _design(EXAMPLES[0])
    assert emit_cdk(design) == emit_cdk(_design(EXAMPLES[0]))


# --- synthesized with aws-cdk-lib --------------------------------------------------------


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"cdk_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it runs
    spec.loader.exec_module(module)
    return module


def _stack_id(spec: Path) -> str:
    return "".join(part.capitalize() for part in _name(spec).split("_"))


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """One app, synthesized once: a stack per spec holding the construct, and a role per
    function group given that group's grant. The template of each stack, by spec."""
    if importlib.util.find_spec("aws_cdk") is None:
        pytest.skip(NO_CDK)
    if shutil.which("node") is None:
        pytest.skip("aws-cdk-lib runs the CDK on Node.js, and `node` is not on the PATH")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    from aws_cdk import App, Stack
    from aws_cdk import aws_iam as iam

    directory = tmp_path_factory.mktemp("cdk_app")
    app_ = App()
    for spec in SPECS:
        design = _design(spec)
        ((relative, text),) = cdk_files(design).items()
        (directory / relative).write_text(text, encoding="utf-8")
        module = _load(directory / relative)
        stack = Stack(app_, _stack_id(spec))
        construct = getattr(module, class_name(design))(stack, "Data", stage=STAGE)
        for selection in selections(design):
            role = iam.Role(
                stack,
                f"{selection.name}_role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            )
            getattr(construct, f"grant_{selection.name}")(role)
    assembly = app_.synth()
    return {_name(spec): assembly.get_stack_by_name(_stack_id(spec)).template for spec in SPECS}


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _resolved(node: Any) -> Any:
    """The table template's intrinsics for Stage=dev, as the CDK writes literal values."""
    if isinstance(node, list):
        return [_resolved(item) for item in node]
    if isinstance(node, dict):
        if node == {"Ref": "Stage"}:
            return STAGE
        if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
            return node["Fn::Sub"].replace("${Stage}", STAGE)
        return {k: _resolved(v) for k, v in node.items()}
    return node


@pytest.mark.parametrize("spec", SPECS, ids=_name)
def test_the_synthesized_table_is_the_templates(
    spec: Path, synthesized: dict[str, dict[str, Any]]
) -> None:
    template = synthesized[_name(spec)]
    ((_, table),) = _of_type(template, "AWS::DynamoDB::Table").items()
    expected = _resolved(cloudformation_template(_design(spec))["Resources"]["Table"])
    assert table["DeletionPolicy"] == expected["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == expected["UpdateReplacePolicy"] == "Retain"
    properties, wanted = table["Properties"], expected["Properties"]
    # The CDK leaves out CloudFormation's default billing mode, PROVISIONED.
    properties.setdefault("BillingMode", "PROVISIONED")
    # The CDK writes tags sorted by key; the same set.
    by_key = sorted(wanted.pop("Tags"), key=lambda tag: tag["Key"])
    assert properties.pop("Tags") == by_key
    assert properties == wanted  # keys, GSIs, billing, capacity, stream, TTL, PITR, SSE, ...
    assert set(wanted) >= {
        "KeySchema",
        "AttributeDefinitions",
        "BillingMode",
        "PointInTimeRecoverySpecification",
        "SSESpecification",
        "DeletionProtectionEnabled",
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _normalized(statement: dict[str, Any]) -> dict[str, Any]:
    """A statement with its Action as a list (the CDK writes one action as a string)."""
    return {**statement, "Action": _as_list(statement["Action"])}


@pytest.mark.parametrize("spec", SPECS, ids=_name)
def test_each_grant_attaches_exactly_the_iam_statements(
    spec: Path, synthesized: dict[str, dict[str, Any]]
) -> None:
    design = _design(spec)
    template = synthesized[_name(spec)]
    ((table_id, _),) = _of_type(template, "AWS::DynamoDB::Table").items()
    roles = _of_type(template, "AWS::IAM::Role")
    policies = _of_type(template, "AWS::IAM::Policy").values()

    def arn(index: str | None) -> Any:
        table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
        return table_arn if index is None else {"Fn::Join": ["", [table_arn, f"/index/{index}"]]}

    for selection in selections(design):
        # The CDK's logical id of role `<group>_role`: its letters and digits, and a hash.
        (role_id,) = [r for r in roles if r.startswith(selection.name.replace("_", "") + "role")]
        (policy,) = [p for p in policies if p["Properties"]["Roles"] == [{"Ref": role_id}]]
        plan = plan_policy(design, selection, tenant_scope=True)
        expected = policy_document(plan, arn)["Statement"]
        for statement in expected:
            statement["Sid"] = statement_id(selection.name, statement["Sid"])
        got = policy["Properties"]["PolicyDocument"]["Statement"]
        assert [_normalized(s) for s in got] == expected, json.dumps(got, indent=1)


def test_a_bad_stage_is_refused(synthesized: dict[str, dict[str, Any]]) -> None:
    from aws_cdk import App, Stack

    design = _design(EXAMPLES[0])
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"refuse_{os.getpid()}_table.py"
    path.write_text(emit_cdk(design), encoding="utf-8")
    try:
        module = _load(path)
        with pytest.raises(ValueError, match="stage 'Prod'"):
            getattr(module, class_name(design))(Stack(App(), "Refused"), "Data", stage="Prod")
    finally:
        path.unlink()
