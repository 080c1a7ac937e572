"""The DynamoDB type each attribute is stored as, and attribute names two entities store as
different types.

DynamoDB keeps a type per value, so two entities may store one attribute name as two types
(`Ticket.priority` a number, `Team.priority` a string). A NoSQL Workbench model cannot: it
declares one type per attribute name, and a model whose sample items disagree with it does
not load. The design stage warns about each such name (`clash_warnings`), and the Workbench
export keeps the first declaring entity's type and leaves the attribute out of the sample
items of the entities that store it otherwise (`emit/workbench.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from dynamodel.compiler.diagnostics import Diagnostic, Pos, warning
from dynamodel.compiler.spec.model import Attribute, Spec

_SCALAR_TYPES = {
    "str": "S",
    "int": "N",
    "decimal": "N",
    "float": "N",
    "bool": "BOOL",
    "datetime": "S",
    "date": "S",
    "bytes": "B",
    "dict": "M",
    "list": "L",
}
_SET_TYPES = {"str": "SS", "int": "NS", "decimal": "NS", "bytes": "BS"}


def stored_type(attribute: Attribute) -> str:
    """The DynamoDB type generated code stores an attribute as."""
    if attribute.ttl and attribute.type.base == "datetime":
        return "N"  # epoch seconds, as TTL requires
    if attribute.type.base == "set" and attribute.type.item is not None:
        return _SET_TYPES[attribute.type.item.base]
    return _SCALAR_TYPES[attribute.type.base]


@dataclass(frozen=True, slots=True)
class TypeClash:
    """`entity.attribute` is stored as `stored`, but `first_entity` (the first entity of the
    spec that declares the name) stores it as `first_type`."""

    attribute: str
    entity: str
    stored: str
    pos: Pos
    first_entity: str
    first_type: str


def type_clashes(spec: Spec) -> tuple[TypeClash, ...]:
    """Every attribute stored as another type than the first entity declaring its name."""
    first: dict[str, tuple[str, str]] = {}
    clashes = []
    for entity in spec.entities:
        for attribute in entity.attributes:
            stored = stored_type(attribute)
            first_entity, first_type = first.setdefault(attribute.name, (entity.name, stored))
            if stored != first_type:
                clashes.append(
                    TypeClash(
                        attribute.name, entity.name, stored, attribute.pos, first_entity, first_type
                    )
                )
    return tuple(clashes)


def clash_warnings(spec: Spec) -> list[Diagnostic]:
    return [
        warning(
            clash.pos,
            f"`{clash.entity}.{clash.attribute}` is stored as {clash.stored}, but "
            f"`{clash.first_entity}.{clash.attribute}` as {clash.first_type}: a NoSQL Workbench "
            f"model has one type per attribute name, so workbench.json types `{clash.attribute}` "
            f"as {clash.first_type} ({clash.first_entity}'s) and leaves it out of "
            f"{clash.entity}'s sample items",
            "rename one of them to see both in Workbench; DynamoDB stores either",
        )
        for clash in type_clashes(spec)
    ]
