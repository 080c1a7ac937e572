"""Run a design live: generate its package into a temporary directory and import it, create
the table, write the sample records through the repository's `create_<entity>` methods, call
every access pattern once, and delete the table again (unless kept)."""

from __future__ import annotations

import base64
import importlib
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from dynamodel.compiler.codegen import generate_package
from dynamodel.compiler.design.ir import Design, PatternPlan
from dynamodel.compiler.names import repository_class_name, snake_case
from dynamodel.compiler.samples import SampleData, sample_data
from dynamodel.runtime.errors import DynamodelError
from dynamodel.tryout.arguments import arguments_for, call_text
from dynamodel.tryout.backend import Backend
from dynamodel.tryout.recorder import RecordedRequest, Recorder

CURSOR_KEY = "dynamodel-try" * 3  # cursors only have to verify within this run


class TryError(Exception):
    """The run cannot go on (the message says why)."""


@dataclass(frozen=True)
class PatternRun:
    name: str
    kind: str  # the plan's: get, aggregate, one, page, view
    call: str  # the method call, as Python
    source: str | None  # the sample record the arguments come from
    requests: tuple[RecordedRequest, ...]
    returned: tuple[dict[str, Any], ...]  # the models returned, as JSON-ready dicts
    has_more: bool  # a page with a next cursor
    estimate: float  # the design's read units per call (a full page)
    skipped: str | None = None  # why the pattern was not called
    error: str | None = None  # the typed error it raised

    @property
    def units_by_rules(self) -> float:
        return sum(request.units_by_rules for request in self.requests)

    @property
    def reported_units(self) -> float | None:
        reported = [r.reported_units for r in self.requests if r.reported_units is not None]
        return sum(reported) if reported else None


@dataclass(frozen=True)
class SeedFailure:
    entity: str
    record: int  # its number among the entity's records, from 1
    error: str


@dataclass(frozen=True)
class TryRun:
    table: str
    backend: str
    endpoint_url: str | None
    records: int  # sample records created (members nested in their roots)
    items: int  # items the table holds after seeding
    seed_failures: tuple[SeedFailure, ...]
    patterns: tuple[PatternRun, ...]
    kept: bool


@contextmanager
def imported_package(design: Design, *, spec_name: str) -> Iterator[ModuleType]:
    """The design's generated package, imported from a temporary directory under a name of
    its own (so it cannot collide with an installed package of the same name)."""
    name = f"_dynamodel_try_{snake_case(design.table_name).replace('-', '_').replace('.', '_')}"
    files = generate_package(design, package=name, spec_name=spec_name)
    with tempfile.TemporaryDirectory(prefix="dynamodel-try-") as directory:
        for relative, text in files.items():
            target = Path(directory) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        sys.path.insert(0, directory)
        try:
            importlib.invalidate_caches()
            yield importlib.import_module(name)
        finally:
            sys.path.remove(directory)
            for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                del sys.modules[module]


def run_try(
    design: Design,
    backend: Backend,
    *,
    table_name: str,
    per_entity: int,
    keep: bool,
    spec_name: str = "spec.yaml",
    on_seed_start: Callable[[int], None] | None = None,
    on_seeded: Callable[[], None] | None = None,
) -> TryRun:
    samples = sample_data(design, per_entity=per_entity)
    creates = samples.creates()
    with imported_package(design, spec_name=spec_name) as package:
        repository_class = getattr(package, repository_class_name(design.table_name))
        repo = repository_class(client=backend.client, table_name=table_name, cursor_key=CURSOR_KEY)
        if _exists(backend.client, table_name):
            raise TryError(
                f"table {table_name!r} already exists on {backend.label}: pass --table NAME, "
                "or delete it first"
            )
        repo.create_table()
        try:
            if on_seed_start is not None:
                on_seed_start(len(creates))
            failures = []
            numbers: dict[str, int] = {}
            for entity, record in creates:
                numbers[entity] = numbers.get(entity, 0) + 1
                model = getattr(package, entity)
                try:
                    getattr(repo, f"create_{snake_case(entity)}")(model(**record))
                except (DynamodelError, ValueError) as error:  # shown, never dropped silently
                    failures.append(
                        SeedFailure(entity, numbers[entity], f"{type(error).__name__}: {error}")
                    )
                if on_seeded is not None:
                    on_seeded()
            items = _count(backend.client, table_name)
            recorder = Recorder(backend.client)
            runs = tuple(_run(design, plan, repo, samples, recorder) for plan in design.patterns)
        finally:
            if not keep:
                backend.client.delete_table(TableName=table_name)
    return TryRun(
        table=table_name,
        backend=backend.label,
        endpoint_url=backend.endpoint_url,
        records=len(creates),
        items=items,
        seed_failures=tuple(failures),
        patterns=runs,
        kept=keep,
    )


def _run(
    design: Design, plan: PatternPlan, repo: Any, samples: SampleData, recorder: Recorder
) -> PatternRun:
    estimate = next(r.read_units for r in design.capacity.reads if r.pattern == plan.name)
    arguments = arguments_for(design, plan, samples)
    if isinstance(arguments, str):
        return PatternRun(
            plan.name,
            plan.kind,
            f"{plan.name}(...)",
            None,
            (),
            (),
            False,
            estimate,
            skipped=arguments,
        )
    call = call_text(plan.name, arguments.values)
    recorder.take()
    error = None
    returned: tuple[dict[str, Any], ...] = ()
    has_more = False
    try:
        result = getattr(repo, plan.name)(**arguments.values)
    except DynamodelError as raised:
        error = f"{type(raised).__name__}: {raised}"
    else:
        returned, has_more = _returned(result)
    return PatternRun(
        name=plan.name,
        kind=plan.kind,
        call=call,
        source=arguments.source,
        # A sharded read's Queries run in parallel: show them in shard order, not as they ended.
        requests=tuple(
            sorted(recorder.take(), key=_shown_order) if plan.shards else recorder.take()
        ),
        returned=returned,
        has_more=has_more,
        estimate=estimate,
        error=error,
    )


def _returned(result: Any) -> tuple[tuple[dict[str, Any], ...], bool]:
    if result is None:
        return (), False
    if hasattr(result, "items") and hasattr(result, "cursor"):  # a Page
        return tuple(jsonable(item.model_dump()) for item in result.items), bool(result.cursor)
    return (jsonable(result.model_dump()),), False


def jsonable(value: Any) -> Any:
    """A model's values as JSON shows them: bytes as base64 (as DynamoDB JSON does), numbers
    as numbers, datetimes as ISO 8601, sets sorted."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((jsonable(item) for item in value), key=repr)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    return value


def _shown_order(request: RecordedRequest) -> tuple[int, str]:
    """Shards in number order: `Alert#2` before `Alert#10` (shorter first, then by text)."""
    shown = repr(sorted(request.values.items()))
    return len(shown), shown


def _exists(client: Any, table_name: str) -> bool:
    try:
        client.describe_table(TableName=table_name)
    except client.exceptions.ResourceNotFoundException:
        return False
    return True


def _count(client: Any, table_name: str) -> int:
    total, request = 0, {"TableName": table_name, "Select": "COUNT"}
    while True:
        response = client.scan(**request)
        total += int(response["Count"])
        if "LastEvaluatedKey" not in response:
            return total
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
