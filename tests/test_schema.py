"""The JSON Schema of the spec language: current, valid, and in agreement with the compiler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from dynamodel.compiler.emit.schema import emit_schema, spec_schema
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.compiler.spec import fields
from tests.goldens import compare_files

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(ROOT.glob("examples/*/spec.yaml")) + sorted(ROOT.glob("tests/golden/*/spec.yaml"))


def _load(path: Path) -> Any:
    # JSON has no dates: compare the spec as an editor's YAML language server sees it.
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


@pytest.mark.parametrize(
    "directory",
    # the repository's copy (editors' `$schema`) and the one the wheel ships as package data
    [ROOT / "schema", ROOT / "src" / "dynamodel" / "schema"],
    ids=["repository", "package-data"],
)
def test_checked_in_schema_is_current(directory: Path, update_goldens: bool) -> None:
    problems = compare_files(directory, {"spec.schema.json": emit_schema()}, update=update_goldens)
    assert not problems, "\n".join(problems)


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(spec_schema())


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.parent.name)
def test_every_valid_spec_validates(path: Path) -> None:
    assert compile_spec(path.read_text(encoding="utf-8")).ok
    jsonschema.validate(_load(path), spec_schema())


def test_schema_offers_exactly_the_keys_the_reader_accepts() -> None:
    schema = spec_schema()
    defs = schema["$defs"]
    assert set(schema["properties"]) == set(fields.TOP_LEVEL)
    assert set(defs["table"]["properties"]) == set(fields.TABLE)
    assert set(defs["entity"]["properties"]) == set(fields.ENTITY)
    assert set(defs["attribute_mapping"]["properties"]) == set(fields.ATTRIBUTE)
    assert set(defs["pattern"]["properties"]) == set(fields.PATTERN)
    assert set(defs["function"]["properties"]) == set(fields.FUNCTION)


@pytest.mark.parametrize(
    "broken",
    [
        {"version": 1, "table": "Tbl", "entities": {}, "extra": 1},
        {"version": 2, "table": "Tbl", "entities": {}},
        {"version": 1, "table": "Tbl", "entities": {"bad_name": {"id": ["a"], "attributes": {}}}},
        {
            "version": 1,
            "table": "Tbl",
            "entities": {"A": {"id": ["a"], "attributes": {"a": "string"}}},
        },
        {
            "version": 1,
            "table": "Tbl",
            "entities": {"A": {"id": ["a"], "attributes": {"a": "str"}}},
            "access_patterns": {"p": {"entity": "A", "order": "descending"}},
        },
        {
            "version": 1,
            "table": {"name": "Tbl", "tenant": ["a"]},
            "entities": {"A": {"id": ["a"], "attributes": {"a": "str"}}},
        },
        {
            "version": 1,
            "table": "Tbl",
            "entities": {"A": {"id": ["a"], "attributes": {"a": "str"}}},
            "functions": {"f": {"description": "calls nothing"}},
        },
        {
            "version": 1,
            "table": "Tbl",
            "entities": {"A": {"id": ["a"], "attributes": {"a": "str"}}},
            "functions": {"BadName": {"writes": ["create_a"]}},
        },
    ],
)
def test_schema_rejects_what_the_compiler_rejects(broken: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, spec_schema())
    assert not compile_spec(yaml.safe_dump(broken)).ok
