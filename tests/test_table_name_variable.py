"""The table name per stage: a generated repository reads `<PACKAGE>_TABLE_NAME`.

CloudFormation names the table `<Name>-<Stage>`. The stacks that run functions set the
variable named after the generated package (`TRACKER_TABLE_NAME`), and `<Table>Repository()`
reads it: an explicit `table_name=` first, then the variable (when set and not empty), then
the spec's name. Two generated packages in one function read two different variables.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from dynamodel.compiler.codegen import default_package_name
from dynamodel.compiler.emit.copies_stack import copies_template
from dynamodel.compiler.names import table_name_variable
from dynamodel.compiler.pipeline import compile_spec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/spec.yaml"))
KEY = "table-name-test-key" * 2  # any cursor key: the tests never page


def _package(example: str) -> ModuleType:
    generated = ROOT / "examples" / example / "generated"
    name = next(p.parent.name for p in generated.glob("*/__init__.py"))
    sys.path.insert(0, str(generated))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(generated))


@pytest.fixture
def packages(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, ModuleType]]:
    for name in ("TRACKER_TABLE_NAME", "FLEET_TABLE_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # no __pycache__ in examples/
    before = set(sys.modules)
    yield _package("tracker"), _package("iot")
    for name in set(sys.modules) - before:  # other tests import their own `tracker`
        del sys.modules[name]


def _repository(package: ModuleType, **options: Any) -> Any:
    cls = next(v for k, v in vars(package).items() if k.endswith("Repository"))
    return cls(client=object(), cursor_key=KEY, **options)


@pytest.mark.parametrize("spec_path", EXAMPLES, ids=lambda p: p.parent.name)
def test_each_generated_repository_names_its_package_variable(spec_path: Path) -> None:
    design = compile_spec(spec_path.read_text()).design
    assert design is not None
    package = default_package_name(design)
    text = next((spec_path.parent / "generated").glob("*/repository.py")).read_text()
    assert f'    TABLE_NAME_VARIABLE = "{package.upper()}_TABLE_NAME"\n' in text
    assert table_name_variable(package) == f"{package.upper()}_TABLE_NAME"


def test_explicit_name_then_variable_then_spec_name(
    packages: tuple[ModuleType, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker, _ = packages
    assert _repository(tracker).table_name == "Tracker"  # nothing set: the spec's name
    monkeypatch.setenv("TRACKER_TABLE_NAME", "")
    assert _repository(tracker).table_name == "Tracker"  # empty: not set
    monkeypatch.setenv("TRACKER_TABLE_NAME", "Tracker-prod")
    assert _repository(tracker).table_name == "Tracker-prod"
    assert _repository(tracker, table_name="Tracker-test").table_name == "Tracker-test"
    monkeypatch.setenv("TABLE_NAME", "Other")  # the old, shared name means nothing now
    assert _repository(tracker).table_name == "Tracker-prod"


def test_two_packages_in_one_function_read_their_own_variables(
    packages: tuple[ModuleType, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker, fleet = packages
    monkeypatch.setenv("TRACKER_TABLE_NAME", "Tracker-prod")
    assert _repository(fleet).table_name == "Fleet"
    monkeypatch.setenv("FLEET_TABLE_NAME", "Fleet-prod")
    assert _repository(tracker).table_name == "Tracker-prod"
    assert _repository(fleet).table_name == "Fleet-prod"


@pytest.mark.parametrize(
    ("template", "variable"),
    [
        ("examples/tracker/lambda/template.yaml", "TRACKER_TABLE_NAME"),
        ("examples/iot/lambda/template.yaml", "FLEET_TABLE_NAME"),
    ],
)
def test_the_lambda_examples_set_their_package_variable(template: str, variable: str) -> None:
    document = yaml.safe_load((ROOT / template).read_text())
    environments = [document.get("Globals", {}).get("Function", {}).get("Environment", {})]
    environments += [r["Properties"].get("Environment", {}) for r in document["Resources"].values()]
    variables = {name for e in environments for name in e.get("Variables", {})}
    assert variable in variables
    assert "TABLE_NAME" not in variables


@pytest.mark.parametrize("package", ["tracker", "my_app"])
def test_the_copies_stack_sets_the_variable_of_its_package(package: str) -> None:
    design = compile_spec((ROOT / "examples" / "tracker" / "spec.yaml").read_text()).design
    assert design is not None
    function = copies_template(design, package=package)["Resources"]["CopiesFunction"]
    variables = function["Properties"]["Environment"]["Variables"]
    assert set(variables) == {f"{package.upper()}_TABLE_NAME"}
    assert variables[f"{package.upper()}_TABLE_NAME"] == {
        "Fn::ImportValue": {"Fn::Sub": "${TableStack}-TableName"}
    }
