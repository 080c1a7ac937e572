"""Every access pattern of every example, called through its generated repository on a real
DynamoDB API (moto, moto_server, MiniStack), returns what an oracle computes in Python from
the written items — same items, same order — page by page with small pages.

Data is random (seeded): strings with the key delimiter, escape characters, prefixes of each
other and unicode; negative numbers; datetimes in several time zones.
"""

from __future__ import annotations

import importlib
import random
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dynamodel import AlreadyExistsError, NotFoundError, UniqueValueTakenError
from dynamodel.compiler.codegen import generate_package
from dynamodel.compiler.design.ir import Design, PatternPlan
from dynamodel.compiler.names import repository_class_name, snake_case
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.compiler.spec.model import Entity
from tests.design_simulator import _comparable, oracle_order, random_items
from tests.spec_semantics import (
    arguments_reaching,
    copy_sources,
    counted_parents,
    fill_copies,
    fill_derived,
    holds,
    reached_by,
    settable,
    write_order,
)

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(ROOT.glob("examples/*/spec.yaml")) + sorted(ROOT.glob("tests/golden/*/spec.yaml"))
Row = dict[str, Any]
FAR_FUTURE: dict[str, Any] = {"datetime": datetime(2100, 1, 1, tzinfo=UTC), "int": 4_102_444_800}


def load_package(spec_path: Path, directory: Path) -> tuple[Design, ModuleType]:
    result = compile_spec(spec_path.read_text(encoding="utf-8"))
    assert result.design is not None
    name = f"oracle_{spec_path.parent.name}"
    for relative, text in generate_package(result.design, package=name).items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(directory))
    try:
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]
        return result.design, importlib.import_module(name)
    finally:
        sys.path.remove(str(directory))


def spec_package(factory: pytest.TempPathFactory, name: str, text: str) -> ModuleType:
    """The generated package of a spec given as text (a module-scoped fixture's body)."""
    spec = factory.mktemp(name) / name / "spec.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text(text, encoding="utf-8")
    return load_package(spec, Path(factory.mktemp(f"{name}_package")))[1]


def fresh_repository(package: ModuleType, client: Any, table_name: str) -> Any:
    """The package's repository on `client` (a recorder, say), with its table created."""
    name = next(n for n in dir(package) if n.endswith("Repository") and n != "Repository")
    repository = getattr(package, name)(client=client, table_name=table_name, cursor_key="k" * 32)
    repository.create_table()
    return repository


def _rows(design: Design, rng: random.Random, per_entity: int) -> dict[str, list[Row]]:
    """Random attribute values for every entity, with members attached under their roots;
    most items of an entity that `counts:` in a parent take the key of one of its rows."""
    rows = random_items(design.spec, rng, per_entity)
    for entity in design.spec.entities:
        for parent_ref, _ in entity.counts:
            parents = rows[parent_ref.name]
            parent = design.spec.entity(parent_ref.name)
            assert parent is not None
            for row in rows[entity.name]:
                if parents and rng.random() < 0.8:
                    row.update({n: rng.choice(parents)[n] for n in parent.key_names})
        for source_name, _ in design.spec.copies_in(entity):
            # `copy_of`: most holders naming a source name one of its rows
            sources = rows[source_name]
            source = design.spec.entity(source_name)
            assert source is not None
            for row in rows[entity.name]:
                named = all(row.get(n) is not None for n in source.key_names)
                if sources and named and rng.random() < 0.8:
                    chosen = rng.choice(sources)
                    row.update({n: chosen[n] for n in source.key_names})
        for row in rows[entity.name]:
            for attribute in entity.attributes:
                base = attribute.type.base
                if attribute.ttl:
                    # An emulator may expire past dates: none, or one far ahead if required.
                    row[attribute.name] = None if attribute.optional else FAR_FUTURE[base]
                elif base == "list":
                    row[attribute.name] = []
                elif base == "set":
                    row[attribute.name] = set()
                elif base == "dict":
                    row[attribute.name] = {"k": [1, "x#y"]}
            fill_derived(entity, row)
    return rows


def _identity(entity: Entity, row: Row) -> tuple[Any, ...]:
    return tuple(_comparable(row[a]) for a in entity.id_names)


def write_everything(
    design: Design, package: ModuleType, repo: Any, rows: dict[str, list[Row]], rng: random.Random
) -> dict[str, list[Row]]:
    """Create every top-level entity (roots with members); return what was written."""
    spec = design.spec
    written: dict[str, list[Row]] = {e.name: [] for e in spec.entities}
    top_level = [e for e in spec.entities if spec.root_of(e.name) is None]
    for entity in write_order(spec, top_level):
        model = getattr(package, entity.name)
        for row in rows[entity.name]:
            data = dict(row)
            members = _attach_members(spec, package, entity, data, rows, rng)
            # `counts:`: refused without its parent, else each parent's counter goes up by 1.
            parents = counted_parents(spec, entity, row, written)
            # `copy_of`: refused when a source it names does not exist, else filled from it.
            sources = copy_sources(spec, entity, row, written)
            orphan = any(parent is None for parent, _ in parents)
            orphan = orphan or any(source is None for source, _ in sources)
            try:
                repo_method = getattr(repo, f"create_{snake_case(entity.name)}")
                repo_method(model(**data, **members["fields"]))
            except (UniqueValueTakenError, AlreadyExistsError):
                continue
            except NotFoundError:
                if not (entity.counts or spec.copies_in(entity)):
                    raise
                assert orphan, f"{entity.name} {row}: refused, but its parents exist"
                continue
            assert not orphan, f"{entity.name} {row}: created without its parent or source"
            for parent, counter in parents:
                parent[counter] += 1
            fill_copies(spec, entity, row, sources)
            written[entity.name].append(row)
            for name, member_rows in members["rows"].items():
                written[name].extend(member_rows)
    return written


def _attach_members(
    spec: Any,
    package: ModuleType,
    entity: Entity,
    root: Row,
    rows: dict[str, list[Row]],
    rng: random.Random,
) -> dict[str, Any]:
    """Member models for `root` (ids rewritten to start with the root's), and their rows."""
    fields: dict[str, Any] = {}
    found: dict[str, list[Row]] = {}
    for member in entity.members:
        child = spec.entity(member.entity.name)
        package_rows = []
        seen = set()
        for candidate in rng.sample(rows[child.name], k=min(3, len(rows[child.name]))):
            row = dict(candidate)
            for name in entity.id_names:
                row[name] = root[name]
            if _identity(child, row) in seen:
                continue
            seen.add(_identity(child, row))
            package_rows.append(row)
        nested = [_attach_members(spec, package, child, r, rows, rng) for r in package_rows]
        model = getattr(package, child.name)
        fields[member.field] = [
            model(**r, **n["fields"]) for r, n in zip(package_rows, nested, strict=True)
        ]
        found.setdefault(child.name, []).extend(package_rows)
        for n in nested:
            for name, more in n["rows"].items():
                found.setdefault(name, []).extend(more)
    return {"fields": fields, "rows": found}


def _arguments(
    entity: Entity, plan: PatternPlan, rows: list[Row], rng: random.Random
) -> tuple[Row, list[str], tuple[Any, Any] | None]:
    sample = rng.choice(rows)
    kwargs = {name: sample[name] for name in plan.by}
    given = list(plan.equality_sort[: rng.randint(0, len(plan.equality_sort))])
    if any(sample[name] is None for name in given):
        given = []
    for name in given:
        kwargs[name] = sample[name]
    bounds = None
    if plan.range_attribute and len(given) == len(plan.equality_sort) and rng.random() < 0.6:
        pool = [r[plan.range_attribute] for r in rows if r[plan.range_attribute] is not None]
        if pool:
            low, high = sorted((rng.choice(pool), rng.choice(pool)), key=_comparable)
            kwargs[f"{plan.range_attribute}_from"] = low
            kwargs[f"{plan.range_attribute}_to"] = high
            bounds = (low, high)
    return kwargs, given, bounds


def _expected(
    entity: Entity,
    plan: PatternPlan,
    rows: list[Row],
    where: tuple[tuple[str, object], ...],
    kwargs: Row,
    given: list[str],
    bounds: tuple[Any, Any] | None,
) -> list[Row]:
    assert plan.sort is not None
    key_attributes = [*plan.partition.attributes, *plan.sort.attributes]

    def matches(row: Row) -> bool:
        if any(row.get(a) is None for a in key_attributes):
            return False
        if any(_comparable(row[a]) != _comparable(kwargs[a]) for a in (*plan.by, *given)):
            return False
        if not holds(row, where):
            return False
        if bounds is not None:
            value = _comparable(row[plan.range_attribute])  # type: ignore[index]
            return bool(_comparable(bounds[0]) <= value <= _comparable(bounds[1]))
        return True

    return oracle_order(entity, plan, [r for r in rows if matches(r)])


def check_pattern(
    design: Design, repo: Any, plan: PatternPlan, written: dict[str, list[Row]], rng: random.Random
) -> None:
    method = getattr(repo, plan.name)
    if plan.kind == "view":
        pattern = next(p for p in design.spec.patterns if p.name == plan.name)
        fields = {f.name: f for f in pattern.view}

        def role(part: Any, row: Row) -> tuple[Any, ...] | None:
            return reached_by(pattern, fields[part.field], row)  # type: ignore[no-any-return]

        carriers = [(part, r) for part in plan.view for r in written[part.entity] if role(part, r)]
        if not carriers:
            return
        part, sample = rng.choice(carriers)
        arguments = arguments_reaching(pattern, fields[part.field], sample)
        wanted = role(part, sample)
        view = method(**arguments, **({"limit": None} if plan.pages_view else {}))
        for part in plan.view:
            entity = design.spec.entity(part.entity)
            expected = {
                _identity(entity, r) for r in written[part.entity] if role(part, r) == wanted
            }
            value = getattr(view, part.field)
            got = [value] if not part.many and value is not None else value if part.many else []
            assert {_identity(entity, g.model_dump()) for g in got} == expected, plan.name
        return
    entity = design.spec.entity(plan.entity or "")
    assert entity is not None
    rows = written[entity.name]
    if not rows:
        return
    if plan.kind in ("get", "aggregate"):
        sample = rng.choice(rows)
        got = method(**{n: sample[n] for n in plan.by})
        assert got is not None, plan.name
        assert _identity(entity, got.model_dump()) == _identity(entity, sample)
        for name, value in sample.items():
            assert _comparable(getattr(got, name)) == _comparable(value), (plan.name, name)
        return
    pattern = next(p for p in design.spec.patterns if p.name == plan.name)
    kwargs, given, bounds = _arguments(entity, plan, rows, rng)
    if any(kwargs[n] is None for n in plan.by):
        return
    expected = _expected(entity, plan, rows, pattern.where_items, kwargs, given, bounds)
    if plan.kind == "one":
        got_one = method(**{n: kwargs[n] for n in plan.by})
        assert (got_one is None) == (not expected), plan.name
        if got_one is not None:
            assert _identity(entity, got_one.model_dump()) == _identity(entity, expected[0])
        return
    collected: list[Any] = []
    cursor = None
    for _ in range(1000):
        page = method(**kwargs, limit=rng.choice([1, 2, 3, 7]), cursor=cursor)
        collected.extend(page.items)
        cursor = page.cursor
        if cursor is None:
            break
    got_ids = [_identity(entity, g.model_dump()) for g in collected]
    assert got_ids == [_identity(entity, r) for r in expected], plan.name


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.parent.name)
def test_every_pattern_matches_the_oracle(
    spec_path: Path, dynamodb_client: Any, table_name: str, tmp_path: Path
) -> None:
    run_oracle(spec_path, dynamodb_client, table_name, tmp_path, per_entity=18)


def run_oracle(
    spec_path: Path,
    client: Any,
    table_name: str,
    directory: Path,
    *,
    per_entity: int,
) -> None:
    """Write random items through the spec's generated repository, then ask every pattern and
    compare with the oracle; change random attributes and ask again."""
    design, package = load_package(spec_path, directory)
    repository = getattr(package, repository_class_name(design.table_name))
    repo = repository(client=client, table_name=table_name, cursor_key="oracle" * 6)
    repo.create_table()
    rng = random.Random(spec_path.parent.name)
    written = write_everything(design, package, repo, _rows(design, rng, per_entity), rng)
    assert sum(len(v) for v in written.values()) > 0
    check_all(design, repo, written, rng)
    # Partial updates must keep every index key right: change random attributes (including
    # ones that feed GSI keys, sparse `where` conditions and unique values), then ask again.
    updated = update_randomly(design, repo, written, _rows(design, rng, per_entity), rng)
    assert updated > 0
    check_all(design, repo, written, rng)


def check_all(design: Design, repo: Any, written: dict[str, list[Row]], rng: random.Random) -> None:
    for plan in design.patterns:
        for _ in range(4):
            check_pattern(design, repo, plan, written, rng)


def update_randomly(
    design: Design,
    repo: Any,
    written: dict[str, list[Row]],
    fresh: dict[str, list[Row]],
    rng: random.Random,
) -> int:
    """Update half of the written top-level items with values from fresh rows."""
    spec = design.spec
    updated = 0
    for entity in spec.entities:
        if spec.root_of(entity.name) is not None or not fresh[entity.name]:
            continue
        # The table key (id and `collection`) names the item and cannot change; a derived
        # value follows its source, a counter its children's writes. An entity with nothing
        # else has no update_* at all.
        changeable = settable(spec, entity)
        if not changeable:
            assert not hasattr(repo, f"update_{snake_case(entity.name)}")
            continue
        method = getattr(repo, f"update_{snake_case(entity.name)}")
        for row in written[entity.name]:
            if rng.random() < 0.5:
                continue
            source = rng.choice(fresh[entity.name])
            names = rng.sample(changeable, k=rng.randint(1, len(changeable)))
            changes = {n: source[n] for n in names}
            try:
                method(**{n: row[n] for n in entity.key_names}, **changes)
            except UniqueValueTakenError:
                continue
            row.update(changes)
            fill_derived(entity, row)  # recomputed by the update, with the keys it feeds
            updated += 1
    return updated
