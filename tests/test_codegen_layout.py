"""The layout of generated code (`codegen/layout.py`): exactly what `ruff format` makes of it.

`lay_out` re-splits each line the way ruff's stable style does, and `format_module` applies it
to the runs of generated statements that need it; these tests hold both to ruff itself:
pinned cases (each also checked to be what ruff leaves unchanged), the packages of random
specs and of every example and golden case with long names, and, on the generators' raw
text, that laying out never changes the program, is idempotent, and that what
`format_module` keeps as written is what the tokenizer would lay out.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamodel.compiler.codegen import generate_package
from dynamodel.compiler.codegen.copies import generate_copies
from dynamodel.compiler.codegen.layout import _format_tokens, lay_out
from dynamodel.compiler.codegen.layout_runs import format_module
from dynamodel.compiler.codegen.models import generate_models
from dynamodel.compiler.codegen.repository import generate_repository
from dynamodel.compiler.codegen.schemas import generate_schemas
from dynamodel.compiler.codegen.streams import generate_streams
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.pipeline import compile_spec
from tests.spec_strategies import to_yaml, valid_specs

ROOT = Path(__file__).resolve().parent.parent
ALL_SPECS = sorted(ROOT.glob("examples/*/spec.yaml")) + sorted(
    ROOT.glob("tests/golden/*/spec.yaml")
)


def ruff_format_check(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--no-cache", "--diff", "."],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )


# (what a generator writes, what ruff makes of it)
CASES = {
    "quotes": (
        "x = 'a'\ny = 'it\"s'\nz = 'it\\'s'\n",
        'x = "a"\ny = \'it"s\'\nz = "it\'s"\n',
    ),
    "fits": (
        "f(a,\n  b)\n",
        "f(a, b)\n",
    ),
    "magic comma": (
        "f(a, b,)\n",
        "f(\n    a,\n    b,\n)\n",
    ),
    "one-tuple comma is not magic": (
        "x = (\n    a,\n)\n",
        "x = (a,)\n",
    ),
    "hug": (
        "value = some_function_name(first_argument_value, second_argument_value, third_one_longer)\n",
        "value = some_function_name(\n    first_argument_value, second_argument_value, third_one_longer\n)\n",
    ),
    "a collection of several never hugs": (
        "value_name = {'first_key_name': first_value, 'second_key_name': second_value_long_name}\n",
        'value_name = {"first_key_name": first_value, "second_key_name": second_value_long_name}\n',
    ),
    "one per line": (
        "value = some_function_name(first_argument_value, second_argument_value, third_argument, fourth_argument_value_x)\n",
        "value = some_function_name(\n    first_argument_value, second_argument_value, third_argument, fourth_argument_value_x\n)\n",
    ),
    "a lone parameter gets a comma": (
        "def function_with_a_long_name(parameter_with_a_long_name: TypeWithALongName) -> ReturnType:\n    pass\n",
        "def function_with_a_long_name(\n    parameter_with_a_long_name: TypeWithALongName,\n) -> ReturnType:\n    pass\n",
    ),
    "boolean condition": (
        "if found is None or wanted_status_long_name != found.status_long_name or other_value != x:\n    pass\n",
        "if (\n    found is None\n    or wanted_status_long_name != found.status_long_name\n    or other_value != x\n):\n    pass\n",
    ),
    "conditional argument": (
        "sort = sort_condition(\n    'T',\n    equality,\n    low=None if priority_from_value is None else keys.encode_int(priority_from_value, attribute='priority'),\n)\n",
        'sort = sort_condition(\n    "T",\n    equality,\n    low=None\n    if priority_from_value is None\n    else keys.encode_int(priority_from_value, attribute="priority"),\n)\n',
    ),
    "an earlier trailer": (
        "x = {\n    'a_long_attribute_name_here_x': item['a_long_attribute_name_here_x_y_z_w_a_bit_longer']['S'],\n}\n",
        'x = {\n    "a_long_attribute_name_here_x": item[\n        "a_long_attribute_name_here_x_y_z_w_a_bit_longer"\n    ]["S"],\n}\n',
    ),
    "parenthesized value": (
        "LONG_CONSTANT_NAME_OF_A_SCHEMA_X: EntitySchema[LongEntityNameOfTheSchemaX] = EntitySchema(name='x', model=LongEntityNameOfTheSchemaX)\n",
        'LONG_CONSTANT_NAME_OF_A_SCHEMA_X: EntitySchema[LongEntityNameOfTheSchemaX] = (\n    EntitySchema(name="x", model=LongEntityNameOfTheSchemaX)\n)\n',
    ),
    "lambda body in parentheses": (
        "x = f(\n    key=lambda obj: None if obj.team_identifier is None else team_key(obj.a, obj.team_identifier),\n)\n",
        "x = f(\n    key=lambda obj: (\n        None if obj.team_identifier is None else team_key(obj.a, obj.team_identifier)\n    ),\n)\n",
    ),
    "comprehension": (
        "changes = {name: value for name, value in (('a', a), ('b', b),) if not isinstance(value, Unset)}\n",
        'changes = {\n    name: value\n    for name, value in (\n        ("a", a),\n        ("b", b),\n    )\n    if not isinstance(value, Unset)\n}\n',
    ),
    "pragma comments do not count": (
        "item['features_of_the_resource'] = m.put_str_set(obj.features_of_the_resource_xy)  # type: ignore[assignment]\n",
        'item["features_of_the_resource"] = m.put_str_set(obj.features_of_the_resource_xy)  # type: ignore[assignment]\n',
    ),
    "a trailer split before the value": (
        "LONG_CONSTANT_NAME_OF_A_SCHEMA_OF_AN_ENTITY: EntitySchema[LongEntityNameOfTheSchemaXYZW] = EntitySchema(name='x', model=LongEntityNameOfTheSchemaX)\n",
        'LONG_CONSTANT_NAME_OF_A_SCHEMA_OF_AN_ENTITY: EntitySchema[\n    LongEntityNameOfTheSchemaXYZW\n] = EntitySchema(name="x", model=LongEntityNameOfTheSchemaX)\n',
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_lay_out_lays_out_as_ruff_does(case: str, tmp_path: Path) -> None:
    written, expected = CASES[case]
    assert lay_out(written) == expected
    (tmp_path / "case.py").write_text(expected)
    checked = ruff_format_check(tmp_path)
    assert checked.returncode == 0, checked.stdout  # the expectation is ruff's own layout


def _raw_modules(spec_path: Path) -> dict[str, str]:
    """The generators' text before it is laid out."""
    design = compile_spec(spec_path.read_text(encoding="utf-8")).design
    assert design is not None
    return _raw_modules_of(design)


def _raw_modules_of(design: Design) -> dict[str, str]:
    raw = {
        "models": generate_models(design, spec_name="spec.yaml"),
        "schema": generate_schemas(design, spec_name="spec.yaml"),
        "repository": generate_repository(design, package="pkg", spec_name="spec.yaml"),
    }
    if design.spec.table.stream:
        raw["streams"] = generate_streams(design, package="pkg", spec_name="spec.yaml")
    if any(design.spec.copies_in(e) for e in design.spec.entities):
        raw["copies"] = generate_copies(design, spec_name="spec.yaml")
    return raw


@pytest.mark.parametrize("spec_path", ALL_SPECS, ids=lambda p: p.parent.name)
def test_laying_out_keeps_the_program_and_is_idempotent(spec_path: Path) -> None:
    for name, text in _raw_modules(spec_path).items():
        laid_out = format_module(text)
        assert ast.dump(ast.parse(laid_out)) == ast.dump(ast.parse(text)), name
        assert format_module(laid_out) == laid_out, name


def _long_names(text: str, suffix: str) -> str:
    """The spec with every attribute and pattern name lengthened (long lines to split)."""
    spec = compile_spec(text).spec
    names = {a.name for e in spec.entities for a in e.attributes} | {p.name for p in spec.patterns}
    for name in sorted(names - {"name"}, key=len, reverse=True):
        text = re.sub(rf"(?<![\w#]){re.escape(name)}(?![\w])", name + suffix, text)
    return text


@pytest.mark.parametrize("suffix", ["_with_long_name", "_with_a_really_quite_long_name_here"])
def test_packages_of_long_names_are_laid_out_as_ruff_does(suffix: str, tmp_path: Path) -> None:
    written = 0
    for spec_path in ALL_SPECS:
        design = compile_spec(_long_names(spec_path.read_text(), suffix)).design
        if design is None:  # a rename that clashed with a key of the spec language
            continue
        for relative, text in generate_package(design, package="pkg", spec_name="s").items():
            target = tmp_path / spec_path.parent.name / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        written += 1
    assert written >= len(ALL_SPECS) * 3 // 4
    checked = ruff_format_check(tmp_path)
    assert checked.returncode == 0, checked.stdout[-5000:]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=valid_specs(), package=st.sampled_from(["pkg", "a_package_with_a_long_name"]))
def test_packages_of_random_specs_are_laid_out_as_ruff_does(
    spec: dict[str, object], package: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    design = compile_spec(to_yaml(spec)).design
    if design is None:  # more GSIs than DynamoDB allows: no package
        return
    directory = tmp_path_factory.mktemp("random")
    for relative, text in generate_package(design, package=package, spec_name="s").items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    checked = ruff_format_check(directory)
    assert checked.returncode == 0, checked.stdout[-5000:]


# Lines and blocks `format_module` passes through without tokenizing (codegen/line_scan.py),
# next to lookalikes it must not: each laid out exactly as the tokenizer lays it out.
PASS_THROUGH_CASES = [
    "x = f('a', \"b\")\n",
    "x = f('it\"s')\n",
    "x = f(r'a', b'c')\n",
    "x = '('  # a bracket in a string\n",
    'x = "[" + \')\' + "{"\n',
    "x = (a,)\n",
    "x = (\n    a,\n)\n",
    "x = [\n    a,\n    b,\n]\n",
    "x = f(\n    a,\n    [\n        'b',\n    ],\n)\n",
    "x = f(\n    a,\n    # a comment\n    b,\n)\n",
    "x = f(\n    a,\n    b\n)\n",
    "x = {\n    'k': v,\n    'j': w,\n} | other\n",
    "def f(\n    self,\n    *,\n    a: int,\n) -> Page[Ticket]:\n    return a\n",
    "def f(\n    self,\n) -> None:\n    pass\n",
    'def f():\n    """A docstring (with a bracket."""\n',
    'def f():\n    """A docstring\n    on two lines, with \'quotes\'.\n    """\n',
    "x = '\u00e9t\u00e9'\n",
    "x = f(a, b,)\n",
    "x = f(a)  # noqa: E501\n",
    "value = some_function_name(first_argument_value, second_argument_value, third_one_longer)\n",
    "if a:\n    b = 'c'\nelse:\n    b = [\n        1,\n    ]\n",
    "x = f(\n    'a',\n)[0]\n",
    "x = [\n]\n",
    "from a import (\n    b,\n)\n",
    "x = f(\n    unique=(\n        g(a=('e',), k=h),\n    ),\n    b=1,\n)\n",
    "x = f(\n    u=(\n        a,\n        b,\n    ),\n)\n",
    "from a import (\n    b,\n    c,\n)\n",
    'x = "\\"" + "a"\n',
    'x = f"{y}" + "(" + g("]")\n',
    'def f():\n    """Starts a docstring with "quotes" and (brackets\n    ends it."""\n',
]


def test_lines_passed_through_are_what_ruff_writes(tmp_path: Path) -> None:
    # ruff is the oracle here: on `f(\n    "a",\n)[0]` the tokenizer's layout is not ruff's
    # (it splits the subscript), and passing the block through is.
    for number, text in enumerate(PASS_THROUGH_CASES):
        laid_out = lay_out(text)
        assert ast.dump(ast.parse(laid_out)) == ast.dump(ast.parse(text)), text
        (tmp_path / f"case_{number}.py").write_text(laid_out)
    checked = ruff_format_check(tmp_path)
    assert checked.returncode == 0, checked.stdout


@pytest.mark.parametrize("spec_path", ALL_SPECS, ids=lambda p: p.parent.name)
def test_the_generated_modules_pass_through_as_the_tokenizer_lays_them_out(
    spec_path: Path,
) -> None:
    for suffix in ("", "_with_a_really_quite_long_name_here"):
        text = spec_path.read_text(encoding="utf-8")
        design = compile_spec(_long_names(text, suffix) if suffix else text).design
        if design is None:
            continue
        # Every line the generators wrote is laid out already, or in a run that is laid out.
        for name, module in _raw_modules_of(design).items():
            assert format_module(module) == _format_tokens(module), (suffix, name)


@pytest.mark.parametrize(
    "module",
    [
        "value = some_function_name(first_argument_value, second_argument_value, third_one_long)\n",
        '"""Doc."""\n\nvalue = some_function(first_argument_value, second_argument_value, third_arg)\n',
        '"""Doc."""\n\nx = 1\n\n\ndef f():\n    return g(\'a\')\n',
        '"""A docstring line longer than the formatter\'s eighty-eight columns, kept as written."""\n\nx = 1\n',
        '"""Doc."""\n\nx = 1\n\n\ny = f(\n    a,\n    b,\n)\n',
    ],
)
def test_format_module_lays_out_what_the_runs_need(module: str) -> None:
    # Whole-module and per-run shortcuts give what laying out every line gives.
    assert format_module(module) == lay_out(module)
