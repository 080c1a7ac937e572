"""docs/spec-reference.md lists each kind of reserved name once, and exactly the names the
compiler reserves (issue 14: it used to give two lists that disagreed with each other)."""

from __future__ import annotations

import re
from pathlib import Path

from dynamodel.compiler.spec.check import RESERVED_METHODS, RESERVED_PREFIXES
from dynamodel.compiler.spec.read.entities import (
    _RESERVED_ATTRIBUTES,
    GENERATED_PARAMETERS,
    RESERVED_ENTITY_NAMES,
)

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "spec-reference.md"


def _section(heading: str) -> str:
    text = REFERENCE.read_text(encoding="utf-8")
    assert text.count(f"\n### {heading}\n") == 1, heading
    return text.split(f"\n### {heading}\n", 1)[1].split("\n#", 1)[0]


def _named(text: str) -> set[str]:
    return set(re.findall(r"`([^`\s]+)`", text))


def test_entity_names() -> None:
    listed = _named(_section("Entity names").split("Nor may it be", 1)[0])
    expected = RESERVED_ENTITY_NAMES | {"<Table>Repository", "Table<Table>Repository"}
    assert listed - {"table: Tracker", "TrackerRepository"} == expected


def test_attribute_names() -> None:
    section = _section("Attribute names")
    pydantic, parameters = section.split("Nor may they be", 1)
    assert _named(pydantic) - {"from", "class", "model_", "BaseModel"} == _RESERVED_ATTRIBUTES
    assert _named(parameters.split(".", 1)[0]) == GENERATED_PARAMETERS


def test_pattern_names() -> None:
    section = _section("Pattern names").split("```", 1)[0]
    methods, prefixes = section.split("nor start", 1)
    assert _named(methods) == RESERVED_METHODS
    assert _named(prefixes) == set(RESERVED_PREFIXES)


def test_reserved_names_are_listed_once() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    for name in ("UniqueGuardSpec", "update_forward_refs", "expected_version", "table_name"):
        assert text.count(f"`{name}`") == 1, name
    assert "CONTRACT.md" not in text and "planned" not in text
