"""What the samples need to know of a spec before drawing values: which attribute names
several entities share, which entity owns each identity, and the `where` constants sparse keys
select on."""

from __future__ import annotations

from typing import Any

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.samples.items import typed_constant
from dynamodel.compiler.spec.model import Entity, Presence, Spec


def occurrences(spec: Spec) -> dict[str, int]:
    """Attribute name -> in how many entities it is an attribute of its own (not a root's id
    copied into a member). Counted once for all names: asked per attribute, it was O(n²)."""
    counts: dict[str, int] = {}
    for entity in spec.entities:
        root = spec.root_of(entity.name)
        inherited = set(root.id_names) if root is not None else set()
        for name in dict.fromkeys(a.name for a in entity.attributes):
            if name not in inherited:
                counts[name] = counts.get(name, 0) + 1
    return counts


def identity_owners(spec: Spec) -> dict[tuple[str, str], Entity]:
    """The entity each identity attribute (name, type) belongs to: the one whose whole id it
    is, else the first whose id ends with it (`ticket_no` of `Ticket`)."""
    owners: dict[tuple[str, str], Entity] = {}
    for exact in (True, False):
        for entity in spec.entities:
            if not entity.id_names:
                continue
            if exact and len(entity.id_names) != 1:
                continue
            last = entity.attribute(entity.id_names[-1])
            if last is None or last.enum:
                continue
            root = spec.root_of(entity.name)
            if root is not None and last.name in root.id_names:
                continue
            owners.setdefault((last.name, last.type.render()), entity)
    return owners


def where_constants(design: Design) -> dict[tuple[str, str], list[Any]]:
    """(entity, attribute) -> the typed `where` constants its sparse keys select on."""
    found: dict[tuple[str, str], list[Any]] = {}
    for entity_design in design.entities:
        entity = design.spec.entity(entity_design.name)
        if entity is None:
            continue
        for key in entity_design.keys:
            for name, constant in key.where:
                if isinstance(constant, Presence):
                    continue  # no value to seed: optional attributes are sometimes unset
                typed = typed_constant(entity.attribute(name), constant)
                values = found.setdefault((entity.name, name), [])
                if typed not in values:
                    values.append(typed)
    return found
