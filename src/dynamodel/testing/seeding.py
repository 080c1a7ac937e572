"""Sample data from the spec, written through the user's generated package: the same records
`dynamodel try` and the design report show (`dynamodel.compiler.samples`), created with the
repository's `create_<entity>` methods, members nested in their roots.

A dev-time tool, so it may use the compiler; it is imported only when a test seeds."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.names import snake_case
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.compiler.samples import SampleData, sample_data
from dynamodel.testing.errors import SeedError

_DESIGNS: dict[tuple[Path, int], Design] = {}  # (spec, its mtime): compiled once a session


def design_of(spec: Path) -> Design:
    """The design of `spec`, compiled once per pytest process (again when the file changes)."""
    try:
        key = (spec.resolve(), spec.stat().st_mtime_ns)
        text = spec.read_text(encoding="utf-8")
    except OSError as error:
        raise SeedError(
            f"dynamodel_spec {str(spec)!r} cannot be read ({error.strerror}): seeding needs the "
            "spec the package was generated from"
        ) from None
    if key not in _DESIGNS:
        compilation = compile_spec(text, path=str(spec))
        if compilation.design is None or not compilation.ok:
            raise SeedError("the spec has errors:\n" + "\n".join(compilation.rendered()))
        _DESIGNS[key] = compilation.design
    return _DESIGNS[key]


def seed(repository: Any, package: ModuleType, spec: Path, *, per_entity: int) -> SampleData:
    """Write `per_entity` sample records of every entity of `spec` through `repository`;
    return the samples (what the table now holds: `SampleData.items`)."""
    design = design_of(spec)
    if design.table_name != repository.TABLE_NAME:
        raise SeedError(
            f"{type(repository).__name__} is for table {repository.TABLE_NAME!r}, the spec "
            f"{str(spec)!r} for {design.table_name!r}: point dynamodel_spec at the spec the "
            "package was generated from"
        )
    samples = sample_data(design, per_entity=per_entity)
    numbers: dict[str, int] = {}
    for entity, record in samples.creates():
        numbers[entity] = numbers.get(entity, 0) + 1
        model = getattr(package, entity, None)
        create = getattr(repository, f"create_{snake_case(entity)}", None)
        if model is None or create is None:
            raise SeedError(
                f"the package {package.__name__!r} has no {entity} model or create method: "
                f"it is older than {str(spec)!r}; run dynamodel generate again"
            )
        try:
            create(model(**record))
        except Exception as error:
            raise SeedError(
                f"seeding {entity} record {numbers[entity]} failed: {type(error).__name__}: {error}"
            ) from error
    return samples
