"""Structural mutations of every valid spec (the examples and the golden cases), applied on the
parsed YAML tree and dumped back to text: keys deleted and duplicated, scalars replaced with
other types and odd values, names renamed in one place or everywhere, items swapped, values
nested deeply, subtrees grafted elsewhere. The compiler must answer each with diagnostics or a
design — never an exception, never a hang (each example runs under a SIGALRM time limit) —
and every emitter and the package generator must handle every design it produces.

`tests/test_design_properties.py` mangles the text of random specs character by character;
these mutations keep the YAML well-formed and change the spec's structure instead.
"""

from __future__ import annotations

import importlib
import json
import keyword
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamodel.compiler.codegen import generate_package
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.artifacts import design_artifacts
from dynamodel.compiler.emit.cloudformation import emit_cloudformation
from dynamodel.compiler.emit.design_json import emit_design_json
from dynamodel.compiler.emit.markdown import emit_markdown
from dynamodel.compiler.emit.text import emit_text
from dynamodel.compiler.names import pascal_case, repository_class_name, snake_case
from dynamodel.compiler.pipeline import Compilation, compile_spec
from dynamodel.compiler.spec.read.entities import RESERVED_ENTITY_NAMES
from tests.hostile_strategies import as_pairs, dump, mutated_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(ROOT.glob("examples/*/spec.yaml")) + sorted(ROOT.glob("tests/golden/*/spec.yaml"))
TREES: dict[str, Any] = {
    str(p.relative_to(ROOT)): yaml.safe_load(p.read_text(encoding="utf-8")) for p in SPECS
}
# Per example: compile twice, emit everything, import the generated package. A real run takes
# a few tens of milliseconds; the limit only has to tell a hang from a slow shared machine.
TIME_LIMIT_SECONDS = 5.0
EXAMPLES = 220  # about 20 per spec
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same mutations on every run: a deterministic outcome
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


class Hang(BaseException):
    """Raised by SIGALRM; a BaseException, so no `except Exception` in the compiler hides it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def emit_everything(design: Design, package: str) -> dict[str, str]:
    """Every text the CLI can write for a design."""
    files = dict(design_artifacts(design))
    files["design.txt"] = emit_text(design)
    files["design.md"] = emit_markdown(design)
    files["template.json"] = emit_cloudformation(design, fmt="json")
    files.update(generate_package(design, package=package))
    return files


def check_outputs(design: Design, files: dict[str, str]) -> None:
    """Each output is well-formed: JSON parses, generated Python compiles."""
    assert json.loads(files["design.json"]) == json.loads(emit_design_json(design))
    assert isinstance(json.loads(files["template.json"]), dict)
    assert files["design.txt"].strip() and files["report.md"].strip()
    for name, text in files.items():
        if not name.endswith(".py"):
            continue
        compile(text, name, "exec")


def import_package(files: dict[str, str], package: str, directory: Path) -> None:
    """Write the generated package and import it: its models and schemas must build."""
    for relative, text in files.items():
        if relative.startswith(package + "/"):
            path = directory / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(directory))
    try:
        module = importlib.import_module(package)
        assert hasattr(module, "__all__")
    finally:
        sys.path.remove(str(directory))
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]


def check_compilation(text: str, result: Compilation) -> None:
    lines = text.count("\n") + 1
    if not result.ok:
        assert any(d.is_error for d in result.diagnostics), result.rendered()
    for diagnostic, line in zip(result.diagnostics, result.rendered(), strict=True):
        assert line.startswith("spec.yaml:"), line
        assert 1 <= diagnostic.pos.line <= lines + 1, line
        assert diagnostic.pos.col >= 1, line
        assert diagnostic.message.strip(), line


STATS: Counter[str] = Counter()


@SETTINGS
@given(data=st.data())
def _mutate_and_compile(data: st.DataObject, tmp_path_factory: pytest.TempPathFactory) -> None:
    name = data.draw(st.sampled_from(sorted(TREES)), label="spec")
    text, applied = data.draw(mutated_spec(TREES[name]), label="mutated")
    STATS["examples"] += 1
    STATS[f"spec {name}"] += 1
    STATS.update(f"mutation {m}" for m in applied)
    with time_limit(TIME_LIMIT_SECONDS):
        result = compile_spec(text)
        again = compile_spec(text)
        assert again.rendered() == result.rendered(), "diagnostics must be deterministic"
        check_compilation(text, result)
        if not result.ok:
            STATS["diagnostics"] += 1
            return
        assert result.design is not None
        STATS["designs"] += 1
        package = f"mutant_{STATS['designs']}"
        files = emit_everything(result.design, package)
        check_outputs(result.design, files)
        import_package(files, package, tmp_path_factory.mktemp("mutant"))
        STATS["packages imported"] += 1


def test_mutated_specs_get_diagnostics_or_a_design_never_a_crash(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The fuzzer above, then whether it was worth something: it must have produced both
    diagnostics and designs, from every spec (one test, so that pytest-xdist cannot run the
    check on a worker the fuzzer did not run on)."""
    STATS.clear()
    _mutate_and_compile(tmp_path_factory=tmp_path_factory)
    print("spec mutations:", dict(sorted(STATS.items())))
    assert STATS["examples"] >= EXAMPLES * 9 // 10
    assert all(STATS[f"spec {name}"] for name in TREES), "every spec mutated"
    assert STATS["diagnostics"] >= EXAMPLES // 4
    assert STATS["designs"] >= 10
    assert STATS["packages imported"] >= 10


# -- renaming an entity everywhere keeps a valid spec valid -----------------------------------

RESERVED = set(RESERVED_ENTITY_NAMES) | set(keyword.kwlist)


def _entity_names(tree: Any) -> list[str]:
    return [str(n) for n in tree["entities"]]


def _scalars(tree: Any) -> set[str]:
    if isinstance(tree, dict):
        return {s for k, v in tree.items() for s in {str(k)} | _scalars(v)}
    if isinstance(tree, list):
        return {s for v in tree for s in _scalars(v)}
    return {str(tree)}


def _taken_names(tree: Any) -> set[str]:
    """Names a new entity name must not take: every word of the spec, the view models, the
    repository class, and the names the generated package reserves."""
    taken = _scalars(tree) | RESERVED
    taken |= {pascal_case(str(p)) for p in tree.get("access_patterns", {})}
    table = tree["table"]["name"] if isinstance(tree["table"], dict) else tree["table"]
    taken.add(repository_class_name(str(table)))
    return taken


@st.composite
def renamed_entity(draw: st.DrawFn) -> tuple[str, str, str, str]:
    name = draw(st.sampled_from(sorted(TREES)))
    tree = TREES[name]
    old = draw(st.sampled_from(_entity_names(tree)))
    taken = _taken_names(tree)
    # A valid new name: PascalCase with a lowercase letter (`X` is its own schema constant),
    # neither taken nor reserved, and not one whose methods' parameter is a keyword or `self`
    # (`As`: `create_as(as: As)`).
    new = draw(
        st.from_regex(r"\A[A-Z][A-Za-z0-9]{0,20}\Z").filter(
            lambda n: (
                n not in taken
                and n not in RESERVED_ENTITY_NAMES
                and any(c.islower() for c in n)
                and not keyword.iskeyword(snake_case(n))
                and snake_case(n) != "self"
            )
        )
    )
    return name, old, new, dump(_rename_exact(as_pairs(tree), old, new))


def _rename_exact(tree: Any, old: str, new: str) -> Any:
    """Every reference to the entity: its name, `Entity.attribute` (`counts:`), and the write
    methods named after it (`functions: writes: [update_tenant]`)."""
    if isinstance(tree, list):
        return type(tree)(_rename_exact(v, old, new) for v in tree)
    if tree == old:
        return new
    if isinstance(tree, str) and tree.startswith(old + "."):
        return new + tree[len(old) :]
    for verb in ("create", "save", "update", "delete"):
        if tree == f"{verb}_{snake_case(old)}":
            return f"{verb}_{snake_case(new)}"
    return tree


def _renamed_lookups(design: Design, old: str, new: str) -> dict[str, str]:
    """The access patterns `copy_of` adds, `<holder>_copies_of_<source>` (named after the
    entities, as the spec reference says), by their names before and after the renaming."""
    spec = design.spec

    def renamed(name: str) -> str:
        return snake_case(new if name == old else name)

    return {
        f"{snake_case(holder.name)}_copies_of_{snake_case(source)}": (
            f"{renamed(holder.name)}_copies_of_{renamed(source)}"
        )
        for holder in spec.entities
        for source, _ in spec.copies_in(holder)
    }


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(renamed_entity())
def test_renaming_an_entity_everywhere_keeps_the_spec_valid(
    case: tuple[str, str, str, str],
) -> None:
    name, old, new, text = case
    original = compile_spec((ROOT / name).read_text(encoding="utf-8"))
    with time_limit(TIME_LIMIT_SECONDS):
        renamed = compile_spec(text)
    assert renamed.ok, renamed.rendered()
    assert original.design is not None and renamed.design is not None
    assert len(renamed.design.indexes) == len(original.design.indexes)
    lookups = _renamed_lookups(original.design, old, new)
    assert [(p.name, p.operation, p.index, p.requests) for p in renamed.design.patterns] == [
        (lookups.get(p.name, p.name), p.operation, p.index, p.requests)
        for p in original.design.patterns
    ]
    assert {e.name for e in renamed.design.entities} == {
        new if e.name == old else e.name for e in original.design.entities
    }
    emit_everything(renamed.design, "renamed")


# -- the bug the mutations found --------------------------------------------------------------

KEYWORD_SPECS = {
    "entity True": (
        'version: 1\ntable: Things\nentities:\n  "True":\n    id: [thing_id]\n'
        "    attributes: {thing_id: str}\n"
        'access_patterns:\n  get_thing: {entity: "True", by: [thing_id]}\n'
    ),
    "view none": (
        "version: 1\ntable: Things\nentities:\n  Thing:\n    id: [thing_id]\n"
        "    attributes: {thing_id: str}\n"
        "access_patterns:\n  get_thing: {entity: Thing, by: [thing_id]}\n"
        "  none: {view: {thing: Thing}, by: [thing_id]}\n"
    ),
}


@pytest.mark.parametrize("case", list(KEYWORD_SPECS))
def test_python_keywords_as_model_names_are_diagnosed(case: str) -> None:
    # An entity named None, or a view whose model would be named None, would generate
    # `class None(BaseModel)`: the checker refuses the name instead.
    result = compile_spec(KEYWORD_SPECS[case])
    assert not result.ok
    assert any("clashes with" in line for line in result.rendered()), result.rendered()
