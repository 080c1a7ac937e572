"""An aggregate read back: its root model with its members attached, at any depth, from the
items of its partition (one strongly consistent Query, `Table.get_aggregate`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from dynamodel.runtime.schema import TYPE_ATTRIBUTE, EntitySchema, Item

M = TypeVar("M", bound=BaseModel)


def assemble_aggregate(schema: EntitySchema[M], items: Sequence[Item]) -> M | None:
    """Build a root model with its members (at any depth) from its partition's items."""
    decoded: dict[str, list[Any]] = {}
    schemas: dict[str, EntitySchema[Any]] = {}

    def collect(current: EntitySchema[Any]) -> None:
        schemas[current.name] = current
        for member in current.members:
            collect(member.schema)

    collect(schema)
    for item in items:
        name = item.get(TYPE_ATTRIBUTE, {}).get("S", "")
        if name in schemas:
            decoded.setdefault(name, []).append(schemas[name].from_item(item))
    roots = decoded.get(schema.name, [])
    if not roots:
        return None
    root: M = roots[0]

    def attach(parent: Any, parent_schema: EntitySchema[Any]) -> None:
        identity = parent_schema.identity(parent)
        for member in parent_schema.members:
            children = [
                child
                for child in decoded.get(member.schema.name, [])
                if member.schema.identity(child)[: len(identity)] == identity
            ]
            # Decoded, hence typed: set directly, not through the model's assignment validation.
            parent.__dict__[member.field] = children
            for child in children:
                attach(child, member.schema)

    attach(root, schema)
    return root
