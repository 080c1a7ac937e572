"""Pieces of the generated repository's methods (codegen/repository.py), written as
`ruff format` lays them out: parameters, a read's partition and sort bounds, the arguments a
cursor is checked against, and an update's changes."""

from __future__ import annotations

from dynamodel.compiler.codegen.fit import Call, bracketed, conditional
from dynamodel.compiler.codegen.python import py
from dynamodel.compiler.spec.model import Attribute


def update_changes(changeable: tuple[Attribute, ...]) -> list[str]:
    """`changes = {...}` of an update method: the given attributes. Two or more pairs are
    written one a line (their trailing comma keeps them so under `ruff format`); one pair is
    written on one line, which the formatter splits only when it is too long."""
    pairs = [f"({py(a.name)}, {a.name})" for a in changeable]
    if len(pairs) == 1:
        return [
            f"        changes = {{name: value for name, value in ({pairs[0]},) "
            "if not isinstance(value, Unset)}"
        ]
    return [
        "        changes = {",
        "            name: value",
        "            for name, value in (",
        *(f"                {pair}," for pair in pairs),
        "            )",
        "            if not isinstance(value, Unset)",
        "        }",
    ]


def keyword_parameters(params: list[str]) -> list[str]:
    """A method's parameters: keyword-only, and no bare `*` when there are none."""
    return ["self", "*", *params] if params else ["self"]


def partition_argument(partition: Call) -> list[str]:
    """The `partition=keys.join(...)` argument of a read."""
    return bracketed("            ", f"partition={partition.head}", partition.elements, "),")


def sort_bound(name: str, value: str, expression: str) -> list[str]:
    """A `sort_condition` bound: None, or the encoded argument."""
    return conditional("            ", f"{name}=", "None", f"{value} is None", expression, ",")


def cursor_arguments(names: list[str]) -> list[str]:
    """The `arguments={...}` of a paged read (a cursor is checked against them)."""
    pairs = [f"{py(name)}: {name}" for name in names]
    return bracketed("            ", "arguments={", pairs, "},", call=False)
