"""The design as a NoSQL Workbench data model (`design --format workbench`, `workbench.json`).

NoSQL Workbench for DynamoDB imports models in its JSON format, version 3.0: `ModelName`,
`ModelMetadata`, and `DataModel`, a list of tables. Each table has its `KeyAttributes`,
`NonKeyAttributes` (every other attribute, with one DynamoDB type each), its
`GlobalSecondaryIndexes`, its `BillingMode` (with `ProvisionedCapacitySettings` when
provisioned), `TableData` (the sample items, in DynamoDB JSON) and `TableFacets`: one facet per
entity (and one per entity's unique guards), whose key aliases are the entity's key templates
and whose `TableData` holds that entity's sample items. The items are those of
`dynamodel.compiler.samples`, exactly what the generated repository writes; bytes are written
in base64, as DynamoDB JSON has them. The dates in `ModelMetadata` are fixed, so the same spec
always gives the same file.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from json.encoder import encode_basestring as _quote
from typing import Any

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.json_text import Rendered, dumps_indented
from dynamodel.compiler.samples import SampleData, SampleItem, sample_data
from dynamodel.compiler.samples.items import GUARD_ENTITY_ATTRIBUTE, GUARD_OWNER_ATTRIBUTE
from dynamodel.compiler.spec.model import Attribute
from dynamodel.runtime.names import TYPE_ATTRIBUTE, VERSION_ATTRIBUTE

MODEL_VERSION = "3.0"
FIXED_DATE = "Jan 1, 2000, 12:00 AM"  # Workbench's date format; fixed: the file is deterministic
DATA_ACCESS: dict[str, Any] = {"MySql": {}}

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


def attribute_type(attribute: Attribute) -> str:
    """The DynamoDB type generated code stores an attribute as."""
    if attribute.ttl and attribute.type.base == "datetime":
        return "N"  # epoch seconds, as TTL requires
    if attribute.type.base == "set" and attribute.type.item is not None:
        return _SET_TYPES[attribute.type.item.base]
    return _SCALAR_TYPES[attribute.type.base]


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


def json_item(sample: SampleItem) -> dict[str, Any]:
    return {name: json_value(value) for name, value in sample.item.items()}


def _rendered(sample: SampleItem) -> Rendered:
    return Rendered(item_text(json_item(sample)))


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


def _non_key_attributes(design: Design) -> list[dict[str, str]]:
    """Every attribute an item may have besides PK and SK, each with one type: the entities'
    attributes (the first entity's type where two spell one name differently; Workbench
    allows one), then `_type`, `version`, the GSI keys and the unique guards' attributes."""
    found: dict[str, str] = {}
    for entity in design.spec.entities:
        for attribute in entity.attributes:
            found.setdefault(attribute.name, attribute_type(attribute))
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
    for key in (design.partition_key, design.sort_key):
        found.pop(key, None)
    return [_key(name, kind) for name, kind in found.items()]


# Each sample item as JSON text, by the item's identity: an item is in the table data and in
# its entity's facet, and is formatted once.
JsonItems = dict[int, Rendered]


def _facet(
    design: Design,
    name: str,
    partition: str,
    sort: str,
    items: list[SampleItem],
    json_items: JsonItems,
) -> dict[str, Any]:
    attributes: dict[str, None] = {}
    for sample in items:
        attributes.update(dict.fromkeys(sample.item))
    for key in (design.partition_key, design.sort_key):
        attributes.pop(key, None)
    return {
        "FacetName": name,
        "KeyAttributeAlias": {"PartitionKeyAlias": partition, "SortKeyAlias": sort},
        "TableData": [json_items.get(id(s)) or _rendered(s) for s in items],
        "NonKeyAttributes": list(attributes),
        "DataAccess": dict(DATA_ACCESS),
    }


def _facets(design: Design, samples: SampleData, json_items: JsonItems) -> list[dict[str, Any]]:
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
                json_items,
            )
        )
    for entity in design.entities:
        if not entity.unique_guards:
            continue
        guards = samples.items_of(entity.name, guards=True)
        # One facet per entity's guards; entity names have no "_", so no facet name clashes.
        partition = " | ".join(g.partition.render() for g in entity.unique_guards)
        sort = " | ".join(g.sort.render() for g in entity.unique_guards)
        facets.append(_facet(design, f"{entity.name}_unique", partition, sort, guards, json_items))
    return facets


def workbench_model(
    design: Design, *, samples: SampleData | None = None, path: str = "spec.yaml"
) -> dict[str, Any]:
    """The model as a JSON-ready dict. `samples` defaults to `sample_data(design)`."""
    if samples is None:
        samples = sample_data(design)
    json_items = {id(s): _rendered(s) for s in samples.items}
    table = design.spec.table
    description = (
        f"Generated by dynamodel from {path}: {len(design.entities)} entities, "
        f"{len(design.patterns)} access patterns, {len(design.indexes)} GSIs. The items are "
        "synthetic samples, exactly as the generated repository writes them."
    )
    definition: dict[str, Any] = {
        "TableName": design.table_name,
        "KeyAttributes": {
            "PartitionKey": _key(design.partition_key),
            "SortKey": _key(design.sort_key),
        },
        "NonKeyAttributes": _non_key_attributes(design),
        "TableFacets": _facets(design, samples, json_items),
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
        "TableData": [json_items[id(s)] for s in samples.items],
        "DataAccess": dict(DATA_ACCESS),
    }
    if table.billing == "provisioned":
        definition["BillingMode"] = "PROVISIONED"
        definition["ProvisionedCapacitySettings"] = {
            "ProvisionedThroughput": {
                "ReadCapacityUnits": table.read_capacity,
                "WriteCapacityUnits": table.write_capacity,
            }
        }
    else:
        definition["BillingMode"] = "PAY_PER_REQUEST"
    return {
        "ModelName": design.table_name,
        "ModelMetadata": {
            "Author": "dynamodel",
            "DateCreated": FIXED_DATE,
            "DateLastModified": FIXED_DATE,
            "Description": description,
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
