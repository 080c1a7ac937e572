"""The compiler scales linearly and finishes on large specs.

Wall-clock targets live in bench/compile.py (timed tests are flaky on shared machines); these
tests check structure instead: large designs finish (in a subprocess with a timeout, so a hang
fails instead of stalling the suite), duplicate checks make a linear number of comparisons,
and the number of Python calls of a whole `design --out` grows in proportion to the spec.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.compiler.cached import cached
from dynamodel.compiler.codegen import generate_package
from dynamodel.compiler.diagnostics import Pos
from dynamodel.compiler.emit.artifacts import design_artifacts
from dynamodel.compiler.emit.html_style import GUARD_COLOUR, PALETTE
from dynamodel.compiler.emit.json_text import Rendered, dumps_indented
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.compiler.spec.model import TypeRef
from dynamodel.compiler.spec.read import Reader
from dynamodel.compiler.spec.yamlnodes import YScalar, YSeq


def many_entities(count: int, *, patterns: bool = True) -> str:
    """`count` entities, each with a unique email and (when `patterns`) a get and a list by
    tenant; every tenth roots an aggregate with one member."""
    spec: dict[str, Any] = {"version": 1, "table": "Many", "entities": {}, "access_patterns": {}}
    for number in range(count):
        key = f"thing{number}_id"
        entity: dict[str, Any] = {
            "id": [key],
            "attributes": {key: "str", "tenant_id": "str", "email": "str", "at": "datetime"},
            "unique": ["email"],
        }
        if number % 10 == 0:
            entity["members"] = {"parts": f"Part{number}"}
            spec["entities"][f"Part{number}"] = {
                "id": [key, "position"],
                "attributes": {key: "str", "position": "int"},
            }
        spec["entities"][f"Thing{number}"] = entity
        if patterns:
            spec["access_patterns"][f"get_thing{number}"] = {
                "entity": f"Thing{number}",
                "by": [key],
            }
            spec["access_patterns"][f"thing{number}_by_tenant"] = {
                "entity": f"Thing{number}",
                "by": ["tenant_id"],
                "sort": "at",
            }
    return yaml.safe_dump(spec, sort_keys=False)


@pytest.mark.parametrize("arguments", [["--format", "html"], ["--out", "OUT"]], ids=["html", "out"])
def test_design_of_400_entities_finishes(arguments: list[str], tmp_path: Path) -> None:
    # Past 312 entities the colour picker once ran out of golden-angle hues and looped forever.
    spec = tmp_path / "many.yaml"
    spec.write_text(many_entities(400, patterns=False), encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "dynamodel", "design", str(spec)]
    command += [str(out) if a == "OUT" else a for a in arguments]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    if "--out" in arguments:
        page = (out / "report.html").read_text(encoding="utf-8")
        # The 400th entity has a colour of its own (its grid rows may be past a grid's limit).
        assert '<span class="swatch e399">' in page and ".e399" in page
    else:
        assert result.stdout.startswith("<!DOCTYPE html>")


COLOURS = (
    "import json, sys\n"
    "from types import SimpleNamespace\n"
    "from dynamodel.compiler.emit.html_style import entity_colours\n"
    "entities = [SimpleNamespace(name=f'Thing{n}') for n in range(int(sys.argv[1]))]\n"
    "print(json.dumps(list(entity_colours(SimpleNamespace(entities=entities)).values())))\n"
)


def test_entity_colours_are_distinct_and_light_for_any_number_of_entities() -> None:
    # In a subprocess with a timeout: the picker this replaced never returned past 312.
    result = subprocess.run(
        [sys.executable, "-c", COLOURS, "5000"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    values = json.loads(result.stdout)
    assert len(set(values)) == 5000 and GUARD_COLOUR not in values
    assert values[: len(PALETTE)] == list(PALETTE)  # small specs keep their colours
    for colour in values:
        channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        assert min(channels) >= 0xA8, colour  # light enough for black text


class CountingText(str):
    """A str that counts how often it is compared: a duplicate check by list scan compares
    every value with every earlier one, a check by set or dict about once."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountingText.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def _sequence(values: list[str]) -> YSeq:
    pos = Pos(1, 1)
    return YSeq(tuple(YScalar(CountingText(v), pos, False, v) for v in values), pos, True)


DUPLICATE_CHECKS = {
    "enum": lambda reader, node: reader.enum(node, TypeRef("str"), "`Thing.status`"),
    "name list": lambda reader, node: reader.name_list(node, "`by`", allow_scalar=False),
    "unique": lambda reader, node: reader.unique("Thing", node),
}


@pytest.mark.parametrize("check", list(DUPLICATE_CHECKS))
def test_duplicate_checks_compare_each_value_about_once(check: str) -> None:
    # 200,000 enum values once took 278 s: each was compared with all earlier ones.
    values = [f"value{n}" for n in range(20_000)] + ["value7", "value19999"]
    reader = Reader()
    CountingText.comparisons = 0
    DUPLICATE_CHECKS[check](reader, _sequence(values))
    assert CountingText.comparisons <= 2 * len(values)  # a scan makes ~200,000,000
    twice = [d.message for d in reader.diagnostics]
    assert len(twice) == 2 and "`value7`" in twice[0] and "`value19999`" in twice[1], twice


def _calls_to_design(count: int) -> int:
    """Python function calls made by compiling, emitting every artifact and generating the
    package: a deterministic measure of work (a scan per entity or pattern shows up as calls
    to `Entity.attribute`, generator steps or dataclass `__eq__`, quadratically many)."""
    text = many_entities(count)
    calls = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(profile)
    try:
        result = compile_spec(text)
        assert result.design is not None, result.rendered()[:5]
        design_artifacts(result.design)
        generate_package(result.design, package="many", spec_name="many.yaml")
    finally:
        sys.setprofile(None)
    return calls


def test_work_grows_linearly_with_the_number_of_entities() -> None:
    # 4x the entities: linear work is at most 4x the calls (fixed costs make it a little
    # less); the lookups by list scan this replaced made it 4.5x at these sizes, and more
    # the larger the spec.
    small, large = _calls_to_design(50), _calls_to_design(200)
    assert large / small < 4.2, (small, large, large / small)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities too: json.dumps writes them, and so must the writer
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, ensure_ascii=st.booleans())
def test_indented_json_is_what_json_dumps_writes(value: object, ensure_ascii: bool) -> None:
    expected = json.dumps(value, indent=2, ensure_ascii=ensure_ascii)
    assert dumps_indented(value, ensure_ascii=ensure_ascii) == expected


@given(value=JSON_VALUES, other=JSON_VALUES, ensure_ascii=st.booleans())
def test_rendered_text_is_spliced_at_any_depth(
    value: object, other: object, ensure_ascii: bool
) -> None:
    # A value formatted once and spliced in twice, at two depths, reads as the value itself;
    # next to a key json.dumps must convert (the fallback path), too.
    text = Rendered(dumps_indented(value, ensure_ascii=ensure_ascii))
    document = {"a": [text, {"b": text}], "c": other}
    expected = {"a": [value, {"b": value}], "c": other}
    for splice, plain in ((document, expected), ({**document, 1: 2}, {**expected, 1: 2})):
        written = dumps_indented(splice, ensure_ascii=ensure_ascii)
        assert written == json.dumps(plain, indent=2, ensure_ascii=ensure_ascii)


@pytest.mark.parametrize(
    "value",
    [{1: "int key"}, {"a": {True: None}}, [Decimal("1.5")], {"e": IntEnum("E", "A").A}],
    ids=["int key", "bool key", "Decimal", "IntEnum"],
)
def test_indented_json_hands_other_values_to_json_dumps(value: object) -> None:
    try:
        expected: str | type[Exception] = json.dumps(value, indent=2)
    except TypeError:
        expected = TypeError
    if expected is TypeError:
        with pytest.raises(TypeError):
            dumps_indented(value)
    else:
        assert dumps_indented(value) == expected


@pytest.mark.parametrize("blocked", ["report.html", "design.json"], ids=["child", "parent"])
def test_design_out_reports_a_failed_write_in_either_process(blocked: str, tmp_path: Path) -> None:
    # The HTML report is written by a forked child, the rest here: a failure on either side
    # is one clean usage error (exit 2), not a traceback or a success.
    spec = tmp_path / "many.yaml"
    spec.write_text(many_entities(3), encoding="utf-8")
    out = tmp_path / "out"
    (out / blocked).mkdir(parents=True)  # a directory where the file should go
    result = subprocess.run(
        [sys.executable, "-m", "dynamodel", "design", str(spec), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"cannot write to {out}" in result.stderr and "Traceback" not in result.stderr
    assert "wrote the design artifacts" not in result.stderr


def test_cached_values_are_computed_once_and_ignored_by_equality() -> None:
    calls: list[int] = []

    @dataclass(frozen=True)
    class Holder:
        number: int

        @cached
        def doubled(self) -> int:
            calls.append(self.number)
            return self.number * 2

    holder = Holder(3)
    assert (holder.doubled, holder.doubled) == (6, 6)
    assert calls == [3]
    assert holder == Holder(3) and hash(holder) == hash(Holder(3))
    assert Holder.doubled.name == "doubled"


@pytest.mark.parametrize("cores", [1, 2], ids=["one process", "forked"])
def test_design_out_writes_the_same_files_in_one_process_or_two(
    cores: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On one core everything is made here; on two, a child forked before the compile compiles
    # too and writes the sampled artifacts: the same bytes either way.
    from typer.testing import CliRunner

    from dynamodel.cli import app

    spec = tmp_path / "many.yaml"
    spec.write_text(many_entities(5), encoding="utf-8")
    out = tmp_path / "out"
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    result = CliRunner().invoke(app, ["design", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    compiled = compile_spec(spec.read_text(encoding="utf-8"), path=spec.name)
    assert compiled.design is not None
    expected = design_artifacts(compiled.design, spec_name=spec.name)
    for relative, text in expected.items():
        assert (out / relative).read_text(encoding="utf-8") == text, relative
    assert (out / "report.html").read_text(encoding="utf-8").endswith("</html>\n")


def test_design_out_of_a_bad_spec_reports_once_and_writes_nothing(tmp_path: Path) -> None:
    # The child compiles the spec too; it says nothing and writes nothing when it fails.
    spec = tmp_path / "bad.yaml"
    spec.write_text("version: 1\ntable: T\nentities: {}\naccess_patterns: {}\n", encoding="utf-8")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "dynamodel", "design", str(spec), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("invalid table name") == 1  # said once, by this process
    assert not out.exists()
