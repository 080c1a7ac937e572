"""Fresh tables for tests: each named `<Table>-<stage>-<random>`, created with the
repository's own `create_table` (its designed keys, indexes, stream and TTL), optionally
seeded with the spec's sample data, and deleted when the test ends, failed or not.

`TableFactory` makes them (the `dynamodel_tables` fixture); `DynamodelTable` is one of them
(the `dynamodel_table` fixture), with its repository, client and name, and the generated
package's environment variable (`TRACKER_TABLE_NAME`) set to its name while it is the
newest table of the test, so that code under test building `TrackerRepository()` finds it.
"""

from __future__ import annotations

import importlib
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from dynamodel.testing.errors import ProjectError, SeedError
from dynamodel.testing.settings import Backend, Project

if TYPE_CHECKING:
    from dynamodel.compiler.samples import SampleData
    from dynamodel.runtime.repository import Repository


def repository_class(project: Project, patch: pytest.MonkeyPatch) -> tuple[ModuleType, type[Any]]:
    """Import the project's package (its `path` first on `sys.path` for the test) and find
    its repository class: the one named after `:`, or the only `Repository` subclass it
    exports."""
    from dynamodel.runtime.repository import Repository

    if not project.package:
        raise ProjectError(
            "which generated package should the table be for? Set `dynamodel_package = NAME` "
            "in the [pytest] ini options, or mark the test @pytest.mark.dynamodel(package=NAME)"
        )
    for directory in reversed(project.path):
        patch.syspath_prepend(str(directory))
    module_name, _, class_name = project.package.partition(":")
    try:
        package = importlib.import_module(module_name)
    except ImportError as error:
        where = ", ".join(str(p) for p in project.path) or "sys.path"
        raise ProjectError(
            f"dynamodel_package {module_name!r} cannot be imported from {where} ({error}): "
            "set dynamodel_path to the directory `dynamodel generate --out` wrote"
        ) from None
    if class_name:
        found = getattr(package, class_name, None)
        candidates = [found] if isinstance(found, type) and issubclass(found, Repository) else []
    else:
        candidates = list(
            {
                id(value): value
                for value in vars(package).values()
                if isinstance(value, type)
                and issubclass(value, Repository)
                and value is not Repository
            }.values()
        )
    if len(candidates) != 1:
        if candidates:
            what = "several repository classes: " + ", ".join(c.__name__ for c in candidates)
        else:
            what = "no repository class" + (f" named {class_name!r}" if class_name else "")
        raise ProjectError(
            f"{module_name!r} exports {what}; name the one to use as "
            f"dynamodel_package = {module_name}:<Table>Repository"
        )
    return package, candidates[0]


@dataclass
class DynamodelTable:
    """One test table: `repository` (of the user's generated class, on `client`), its
    `name`, the generated `package`, and `samples` when it was seeded."""

    name: str
    client: Any
    repository: Any
    package: ModuleType
    project: Project
    samples: SampleData | None = None
    _imported: dict[str, ModuleType | None] = field(default_factory=dict, repr=False)

    def seed(self, per_entity: int = 3) -> SampleData:
        """Write `per_entity` sample records of every entity of the spec (the records of
        `dynamodel try` and the design report) through the repository; return them."""
        from dynamodel.testing.seeding import seed

        if self.project.spec is None:
            raise SeedError(
                "seeding needs the spec: set `dynamodel_spec = PATH` in the [pytest] ini "
                "options, or mark the test @pytest.mark.dynamodel(spec=PATH)"
            )
        self.samples = seed(self.repository, self.package, self.project.spec, per_entity=per_entity)
        return self.samples

    def import_fresh(self, module: str) -> ModuleType:
        """Import `module` anew (a Lambda handler that builds its repository at import, which
        then reads this table's name from the environment); it is taken out of `sys.modules`
        again, and any earlier copy put back, when the table is deleted."""
        if module not in self._imported:
            self._imported[module] = sys.modules.get(module)
        sys.modules.pop(module, None)
        return importlib.import_module(module)

    def items(self) -> list[dict[str, Any]]:
        """Every item of the table (a Scan, DynamoDB JSON), for assertions."""
        found: list[dict[str, Any]] = []
        for page in self.client.get_paginator("scan").paginate(TableName=self.name):
            found.extend(page["Items"])
        return found

    def exists(self) -> bool:
        try:
            self.client.describe_table(TableName=self.name)
        except self.client.exceptions.ResourceNotFoundException:
            return False
        return True

    def delete(self) -> None:
        """Delete the table (once; a table the test deleted itself is fine)."""
        for module, earlier in self._imported.items():
            sys.modules.pop(module, None)
            if earlier is not None:
                sys.modules[module] = earlier
        self._imported.clear()
        with suppress(self.client.exceptions.ResourceNotFoundException):
            self.client.delete_table(TableName=self.name)


class TableFactory:
    """Makes test tables on one backend for one test, and deletes every one it made (in
    reverse order) when the test ends."""

    def __init__(
        self, client: Any, backend: Backend, project: Project, patch: pytest.MonkeyPatch
    ) -> None:
        self.client = client
        self.backend = backend
        self.project = project
        self._patch = patch
        self._tables: list[DynamodelTable] = []

    def new_name(self, table: str) -> str:
        return f"{table}-{self.backend.stage}-{secrets.token_hex(4)}"

    def create(self, *, seed: int | bool = 0) -> DynamodelTable:
        """A new table, seeded with `seed` sample records per entity (True: 3); the
        package's table-name variable now names it, until the test ends."""
        return self._create(seed=seed, patch=self._patch)

    @contextmanager
    def fresh(self, *, seed: int | bool = 0) -> Iterator[DynamodelTable]:
        """A new table for a block (one example of a hypothesis test): deleted, and the
        table-name variable restored, when the block ends."""
        with pytest.MonkeyPatch.context() as patch:
            table = self._create(seed=seed, patch=patch)
            try:
                yield table
            finally:
                self._tables.remove(table)
                table.delete()

    def _create(self, *, seed: int | bool, patch: pytest.MonkeyPatch) -> DynamodelTable:
        package, cls = repository_class(self.project, self._patch)
        name = self.new_name(cls.TABLE_NAME)
        repository: Repository = cls(client=self.client, table_name=name)
        table = DynamodelTable(name, self.client, repository, package, self.project)
        self._tables.append(table)  # from here on, deleted at the end whatever happens
        repository.create_table()
        variable = getattr(cls, "TABLE_NAME_VARIABLE", None)  # None: generated before it
        if variable:
            patch.setenv(variable, name)
        per_entity = 3 if seed is True else int(seed)
        if per_entity:
            table.seed(per_entity)
        return table

    def close(self) -> None:
        """Delete every table still there; raise the first failure after trying them all."""
        failures: list[BaseException] = []
        while self._tables:
            table = self._tables.pop()
            try:
                table.delete()
            except Exception as error:
                failures.append(error)
        if failures:
            raise failures[0]
