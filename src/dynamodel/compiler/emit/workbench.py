"""The design as a NoSQL Workbench data model (`design --format workbench`, `workbench.json`).

NoSQL Workbench for DynamoDB imports models in its JSON format, version 3.0: `ModelName`,
`ModelMetadata`, and `DataModel`, a list of tables. Each table has its `KeyAttributes`,
`NonKeyAttributes` (every other attribute, with one DynamoDB type each), `TableFacets`: one
facet per entity (and one per entity's unique guards), whose key aliases are the entity's key
templates and whose `TableData` holds that entity's sample items, its
`GlobalSecondaryIndexes`, and its `BillingMode` (with `ProvisionedCapacitySettings` when
provisioned). As in Workbench's own exports (AWS's sample models, such as the Credit Card
Offers model), each item is in its facet's `TableData` only: the table has no `TableData` of
its own beside facets, and a provisioned table's settings hold the `AutoScalingRead` and
`AutoScalingWrite` blocks Workbench writes, here pinned to the spec's capacity (minimum =
maximum), since the CloudFormation template provisions fixed capacity.

The items are those of `dynamodel.compiler.samples`, exactly what the generated repository
writes; bytes are written in base64, as DynamoDB JSON has them. An attribute name two entities
store as different types (see `spec/stored_types.py`) keeps the first entity's type, and is
left out of the other entities' items, so that Workbench loads the model. The dates in
`ModelMetadata` are fixed, so the same spec always gives the same file.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from json.encoder import encode_basestring as _quote
from typing import Any

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.json_text import Rendered, dumps_indented
from dynamodel.compiler.names import plural
from dynamodel.compiler.samples import SampleData, SampleItem, sample_data
from dynamodel.compiler.samples.items import GUARD_ENTITY_ATTRIBUTE, GUARD_OWNER_ATTRIBUTE
from dynamodel.compiler.spec.stored_types import stored_type, type_clashes
from dynamodel.runtime.names import TYPE_ATTRIBUTE, VERSION_ATTRIBUTE

MODEL_VERSION = "3.0"
FIXED_DATE = "Jan 1, 2000, 12:00 AM"  # Workbench's date format; fixed: the file is deterministic
DATA_ACCESS: dict[str, Any] = {"MySql": {}}
# What Workbench writes for a provisioned table's auto scaling: its service-linked role and
# target utilisation (percent).
AUTO_SCALING_ROLE = "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"
AUTO_SCALING_TARGET = 70

attribute_type = stored_type  # the name this module gave it first


def json_value(value: Mapping[str, Any]) -> dict[str, Any]:
    """An AttributeValue as DynamoDB JSON text has it: bytes in base64, containers deep."""
    ((tag, inner),) = value.items()
    if tag == "S" or tag == "N":  # most values: first
        return {tag: inner}
    if tag == "B":
        return {tag: base64.b64encode(bytes(inner)).decode("ascii")}
    if tag == "BS":
        return {tag: [base64.b64encode(bytes(v)).decode("ascii") for v in inner]}
    if tag == "L":
        return {tag: [json_value(v) for v in inner]}
    if tag == "M":
        return {tag: {k: json_value(v) for k, v in inner.items()}}
    if tag in ("SS", "NS"):
        return {tag: list(inner)}
    return {tag: inner}


def json_item(sample: SampleItem, *, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The item in DynamoDB JSON, without the attributes in `leave_out`."""
    return {name: json_value(value) for name, value in sample.item.items() if name not in leave_out}


def _rendered(sample: SampleItem, leave_out: frozenset[str]) -> Rendered:
    return Rendered(item_text(json_item(sample, leave_out=leave_out)))


def item_text(item: Mapping[str, Mapping[str, Any]]) -> str:
    """`dumps_indented(item, ensure_ascii=False)` of a DynamoDB JSON item, faster: most of
    its values are one string (`{"S": ...}`, `{"N": ...}`), written here in one step."""
    if not item:
        return "{}"
    lines = []
    for name, value in item.items():
        inner = value.get("S", value.get("N")) if len(value) == 1 else None
        if type(inner) is str and type(name) is str:
            ((tag, _),) = value.items()
            lines.append(f"  {_quote(name)}: {{\n    {_quote(tag)}: {_quote(inner)}\n  }}")
        else:
            text = dumps_indented({name: value}, ensure_ascii=False)
            lines.append(text[2:-2])  # the entry alone, without the braces around it
    return "{\n" + ",\n".join(lines) + "\n}"


def _key(name: str, kind: str = "S") -> dict[str, str]:
    return {"AttributeName": name, "AttributeType": kind}


def _non_key_attributes(design: Design, samples: SampleData) -> list[dict[str, str]]:
    """Every attribute an item may have besides PK and SK, each with one type: the entities'
    attributes (the first entity's type where two spell one name differently; Workbench
    allows one), then `_type`, `version`, the GSI keys and the unique guards' attributes, then
    any other attribute the sample items hold (what the runtime stores besides, such as the
    `_incarnation` of a `copy_of` source), with the type it has there."""
    found: dict[str, str] = {}
    for entity in design.spec.entities:
        for attribute in entity.attributes:
            found.setdefault(attribute.name, stored_type(attribute))
    if design.ttl_attribute:
        found.setdefault(design.ttl_attribute, "N")
    found.setdefault(TYPE_ATTRIBUTE, "S")
    if any(e.versioned for e in design.entities):
        found.setdefault(VERSION_ATTRIBUTE, "N")
    for gsi in design.indexes:
        found.setdefault(gsi.partition_key, "S")
        found.setdefault(gsi.sort_key, "S")
    if any(e.unique_guards for e in design.entities):
        found.setdefault(GUARD_ENTITY_ATTRIBUTE, "S")
        found.setdefault(GUARD_OWNER_ATTRIBUTE, "S")
    for sample in samples.items:
        for name, value in sample.item.items():
            if name not in found:
                ((tag, _),) = value.items()
                found[name] = tag
    for key in (design.partition_key, design.sort_key):
        found.pop(key, None)
    return [_key(name, kind) for name, kind in found.items()]


def left_out(design: Design) -> dict[str, frozenset[str]]:
    """Per entity, the attributes its items leave out of the model: those it stores as another
    type than the first entity declaring the name (Workbench has one type per name)."""
    found: dict[str, set[str]] = {}
    for clash in type_clashes(design.spec):
        found.setdefault(clash.entity, set()).add(clash.attribute)
    return {entity: frozenset(names) for entity, names in found.items()}


def _facet(
    design: Design,
    name: str,
    partition: str,
    sort: str,
    items: list[SampleItem],
    leave_out: frozenset[str],
) -> dict[str, Any]:
    attributes: dict[str, None] = {}
    for sample in items:
        attributes.update(dict.fromkeys(sample.item))
    for key in (design.partition_key, design.sort_key, *leave_out):
        attributes.pop(key, None)
    return {
        "FacetName": name,
        "KeyAttributeAlias": {"PartitionKeyAlias": partition, "SortKeyAlias": sort},
        "TableData": [_rendered(s, leave_out) for s in items],
        "NonKeyAttributes": list(attributes),
        "DataAccess": dict(DATA_ACCESS),
    }


def _facets(design: Design, samples: SampleData) -> list[dict[str, Any]]:
    """One facet per entity, then one per entity's unique guards: together, every sample item
    once."""
    omitted = left_out(design)
    facets = []
    for entity in design.entities:
        key = entity.table_key
        facets.append(
            _facet(
                design,
                entity.name,
                key.partition.render(),
                key.sort.render(),
                samples.items_of(entity.name),
                omitted.get(entity.name, frozenset()),
            )
        )
    for entity in design.entities:
        if not entity.unique_guards:
            continue
        guards = samples.items_of(entity.name, guards=True)
        # One facet per entity's guards; entity names have no "_", so no facet name clashes.
        partition = " | ".join(g.partition.render() for g in entity.unique_guards)
        sort = " | ".join(g.sort.render() for g in entity.unique_guards)
        facets.append(_facet(design, f"{entity.name}_unique", partition, sort, guards, frozenset()))
    return facets


def _auto_scaling(units: int | None) -> dict[str, Any]:
    return {
        "ScalableTargetRequest": {
            "MinCapacity": units,
            "MaxCapacity": units,
            "ServiceRole": AUTO_SCALING_ROLE,
        },
        "ScalingPolicyConfiguration": {"TargetValue": AUTO_SCALING_TARGET},
    }


def _description(design: Design, path: str) -> str:
    text = (
        f"Generated by dynamodel from {path}: {plural(len(design.entities), 'entity')}, "
        f"{plural(len(design.patterns), 'access pattern')}, "
        f"{plural(len(design.indexes), 'GSI')}. The items are synthetic samples, exactly as "
        "the generated repository writes them"
    )
    clashes = type_clashes(design.spec)
    if not clashes:
        return text + "."
    left = ", ".join(f"{c.entity}.{c.attribute}" for c in clashes)
    return (
        f"{text}, except {left}: stored as another type than the first entity with that "
        "name, and left out (a model has one type per attribute name)."
    )


def workbench_model(
    design: Design, *, samples: SampleData | None = None, path: str = "spec.yaml"
) -> dict[str, Any]:
    """The model as a JSON-ready dict. `samples` defaults to `sample_data(design)`."""
    if samples is None:
        samples = sample_data(design)
    table = design.spec.table
    definition: dict[str, Any] = {
        "TableName": design.table_name,
        "KeyAttributes": {
            "PartitionKey": _key(design.partition_key),
            "SortKey": _key(design.sort_key),
        },
        "NonKeyAttributes": _non_key_attributes(design, samples),
        "TableFacets": _facets(design, samples),
        "GlobalSecondaryIndexes": [
            {
                "IndexName": gsi.name,
                "KeyAttributes": {
                    "PartitionKey": _key(gsi.partition_key),
                    "SortKey": _key(gsi.sort_key),
                },
                "Projection": {"ProjectionType": gsi.projection},
            }
            for gsi in design.indexes
        ],
        "DataAccess": dict(DATA_ACCESS),
    }
    if table.billing == "provisioned":
        definition["BillingMode"] = "PROVISIONED"
        definition["ProvisionedCapacitySettings"] = {
            "ProvisionedThroughput": {
                "ReadCapacityUnits": table.read_capacity,
                "WriteCapacityUnits": table.write_capacity,
            },
            "AutoScalingRead": _auto_scaling(table.read_capacity),
            "AutoScalingWrite": _auto_scaling(table.write_capacity),
        }
    else:
        definition["BillingMode"] = "PAY_PER_REQUEST"
    return {
        "ModelName": design.table_name,
        "ModelMetadata": {
            "Author": "dynamodel",
            "DateCreated": FIXED_DATE,
            "DateLastModified": FIXED_DATE,
            "Description": _description(design, path),
            "AWSService": "Amazon DynamoDB",
            "Version": MODEL_VERSION,
        },
        "DataModel": [definition],
    }


def emit_workbench(
    design: Design, *, samples: SampleData | None = None, path: str = "spec.yaml"
) -> str:
    """The model as JSON text (2-space indent, keys in Workbench's order)."""
    model = workbench_model(design, samples=samples, path=path)
    return dumps_indented(model, ensure_ascii=False) + "\n"
