"""The names generated code uses, spelled in one place for the checker and the generators."""

from __future__ import annotations

import re


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def pascal_case(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-.]", name) if part)


def constant_case(name: str) -> str:
    return snake_case(name).upper()


def repository_class_name(table_name: str) -> str:
    """`<Table>Repository`; a table name may start with a digit, a class name may not."""
    name = f"{pascal_case(table_name)}Repository"
    return name if name[0].isalpha() else f"Table{name}"
