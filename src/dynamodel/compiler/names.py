"""The names generated code uses, spelled in one place for the checker and the generators."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from functools import cache

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


@cache  # the generators ask it for every entity name many times
def snake_case(name: str) -> str:
    return _WORD_START.sub("_", name).lower()


def pascal_case(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-.]", name) if part)


def constant_case(name: str) -> str:
    return snake_case(name).upper()


def repository_class_name(table_name: str) -> str:
    """`<Table>Repository`; a table name may start with a digit, a class name may not."""
    name = f"{pascal_case(table_name)}Repository"
    return name if name[0].isalpha() else f"Table{name}"


def table_name_variable(package: str) -> str:
    """The environment variable a generated repository reads its table name from
    (`TRACKER_TABLE_NAME` for package `tracker`): named after the package, which is unique
    among the imports of one function, so two generated packages never read each other's."""
    return f"{package.upper()}_TABLE_NAME"


# The write methods of a generated repository: one per kind for every entity that is not an
# aggregate member (members are written with their root), and the base class's own, which take
# any entity. The generator, the checker of `functions:` and `dynamodel iam` use these names.
WRITE_KINDS = ("create", "save", "update", "delete")
SHARED_WRITE_METHODS = ("batch_get", "batch_write", "increment", "apply_once")


def write_method(kind: str, entity: str) -> str:
    """`create_ticket` for ("create", "Ticket")."""
    return f"{kind}_{snake_case(entity)}"


def write_methods(
    entities: Iterable[str], *, without_update: Collection[str] = ()
) -> dict[str, tuple[str, str | None]]:
    """Every write method name of a repository -> (kind, entity or None for shared ones), for
    the entities (not aggregate members) that have methods of their own; those of
    `without_update` have nothing an update could change (`Spec.updatable`), so no
    `update_<entity>`."""
    methods: dict[str, tuple[str, str | None]] = {}
    for entity in entities:
        for kind in WRITE_KINDS:
            if kind != "update" or entity not in without_update:
                methods[write_method(kind, entity)] = (kind, entity)
    for name in SHARED_WRITE_METHODS:
        methods[name] = (name, None)
    return methods


# Words whose plural is not the word and an `s`, as the command line and the reports count them.
_IRREGULAR_PLURALS = {"entity": "entities", "index": "indexes", "copy": "copies"}


def plural(count: int, word: str) -> str:
    """`1 entity`, `2 entities`, `0 GSIs`: a count with its noun, in every message and report."""
    if count == 1:
        return f"{count} {word}"
    last = word.rsplit(" ", 1)[-1]
    many = _IRREGULAR_PLURALS.get(last, f"{last}s")
    return f"{count} {word[: len(word) - len(last)]}{many}"
