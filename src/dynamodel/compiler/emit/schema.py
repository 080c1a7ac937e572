"""The JSON Schema of the spec language, for editor completion and validation.

Built from the same key tables the reader uses (`compiler/spec/fields.py`), so a key the compiler
accepts is always a key the schema offers. Editors pick it up from a first line like
`# yaml-language-server: $schema=<path or URL>/spec.schema.json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dynamodel.compiler.spec import fields
from dynamodel.compiler.spec.model import ENTITY_NAME, PATTERN_NAME, SCALAR_TYPES
from dynamodel.compiler.spec.read.hints import MAX_ITEM_BYTES, MAX_RATE, SIZE_TEXT

_SCALARS = "|".join(SCALAR_TYPES)
TYPE_PATTERN = (
    rf"^\s*({_SCALARS}|dict|set\[\s*(str|int|decimal|bytes)\s*\]"
    rf"|list\[\s*({_SCALARS}|dict|list\[.+\]|set\[.+\])\s*\])\s*\??\s*$"
)
ATTRIBUTE_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


_RATE = {"type": "number", "minimum": 0, "maximum": MAX_RATE}


def _described(keys: Mapping[str, str], schemas: dict[str, Any]) -> dict[str, Any]:
    return {key: {**schemas.get(key, {}), "description": text} for key, text in keys.items()}


def _names() -> dict[str, Any]:
    return {
        "oneOf": [
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        ]
    }


def spec_schema() -> dict[str, Any]:
    table = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": _described(
            fields.TABLE,
            {
                "name": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]{3,200}$"},
                "billing": {"enum": list(fields.BILLING_MODES)},
                "read_capacity": {"type": "integer", "minimum": 1},
                "write_capacity": {"type": "integer", "minimum": 1},
                "stream": {"enum": list(fields.STREAM_VIEWS)},
                "point_in_time_recovery": {"type": "boolean"},
                "deletion_protection": {"type": "boolean"},
                "indexes": {"enum": list(fields.INDEX_STRATEGIES)},
                "tenant": {"type": "string", "pattern": ATTRIBUTE_NAME_PATTERN},
            },
        ),
    }
    function = {
        "type": "object",
        "additionalProperties": False,
        "anyOf": [{"required": ["patterns"]}, {"required": ["writes"]}],
        "properties": _described(
            fields.FUNCTION,
            {
                "patterns": _names(),
                "writes": _names(),
                "description": {"type": "string"},
            },
        ),
    }
    attribute_mapping = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type"],
        "properties": _described(
            fields.ATTRIBUTE,
            {
                "type": {"$ref": "#/$defs/type"},
                "optional": {"type": "boolean"},
                "enum": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "auto": {"enum": list(fields.AUTO_KINDS)},
                "ttl": {"type": "boolean"},
                "derived": {
                    "type": "string",
                    "pattern": r"^\s*(lower|upper|date|month|year|hour)\(\s*[a-z_][a-z0-9_]*\s*\)"
                    r"\s*$|^\s*prefix\(\s*[a-z_][a-z0-9_]*\s*,\s*[1-9][0-9]*\s*\)\s*$",
                },
                "copy_of": {"type": "string", "pattern": r"^[A-Z][A-Za-z0-9]*\.[a-z_][a-z0-9_]*$"},
                "description": {"type": "string"},
            },
        ),
    }
    entity = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "attributes"],
        "properties": _described(
            fields.ENTITY,
            {
                "id": _names(),
                "attributes": {
                    "type": "object",
                    "propertyNames": {"pattern": ATTRIBUTE_NAME_PATTERN},
                    "additionalProperties": {"$ref": "#/$defs/attribute"},
                },
                "unique": {
                    "type": "array",
                    "items": {
                        "oneOf": [
                            {"type": "string"},
                            {"type": "array", "items": {"type": "string"}, "minItems": 1},
                        ]
                    },
                },
                "version": {"type": "boolean"},
                "collection": _names(),
                "counts": {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "pattern": r"^[A-Z][A-Za-z0-9]*\.[a-z_][a-z0-9_]*$",
                    },
                },
                "members": {
                    "type": "object",
                    "additionalProperties": {
                        "oneOf": [
                            {"type": "string"},
                            {"type": "array", "items": {"type": "string"}, "maxItems": 1},
                        ]
                    },
                },
                "size": {
                    "oneOf": [
                        {"type": "integer", "minimum": 1, "maximum": MAX_ITEM_BYTES},
                        {"type": "string", "pattern": SIZE_TEXT.pattern},
                    ]
                },
                "per_partition": {"type": "integer", "minimum": 1},
                "write_rates": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": _described(
                        fields.WRITE_KINDS, {kind: _RATE for kind in fields.WRITE_KINDS}
                    ),
                },
                "description": {"type": "string"},
            },
        ),
    }
    # `where`: constants, `null` (the attribute is absent) or `{not: null}` (it is present).
    where_values = {
        "type": "object",
        "additionalProperties": {
            "oneOf": [
                {"type": ["string", "number", "boolean", "null"]},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["not"],
                    "properties": {"not": {"type": "null"}},
                },
            ]
        },
    }
    # A view field: `Entity`, `[Entity]`, or the long form with the field's own `by`/`where`.
    view_entity: list[dict[str, Any]] = [
        {"type": "string"},
        {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 1},
    ]
    pattern = {
        "type": "object",
        "additionalProperties": False,
        "oneOf": [{"required": ["entity"]}, {"required": ["view"]}],
        "properties": _described(
            fields.PATTERN,
            {
                "entity": {"type": "string", "pattern": ENTITY_NAME.pattern},
                "view": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": {
                        "oneOf": [
                            *view_entity,
                            {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["entity"],
                                "properties": _described(
                                    fields.VIEW_FIELD,
                                    {
                                        "entity": {"oneOf": view_entity},
                                        "by": _names(),
                                        "where": where_values,
                                    },
                                ),
                            },
                        ]
                    },
                },
                "by": {
                    "oneOf": [
                        {"type": "string"},
                        {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                        {"type": "null"},
                    ]
                },
                "sort": _names(),
                "order": {"enum": list(fields.ORDERS)},
                "where": where_values,
                "limit": {"type": "integer", "minimum": 1},
                "consistent": {"type": "boolean"},
                "shards": {"type": "integer", "minimum": 2, "maximum": 16},
                "rate": _RATE,
                "description": {"type": "string"},
            },
        ),
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:dynamodel:spec:1",
        "title": "dynamodel spec, version 1",
        "description": "A DynamoDB single-table design: entities and the access patterns "
        "the application needs. See docs/spec-reference.md.",
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "table", "entities"],
        "properties": _described(
            fields.TOP_LEVEL,
            {
                "version": {"const": 1},
                "table": {
                    "oneOf": [
                        {"type": "string", "pattern": r"^[A-Za-z0-9_.-]{3,200}$"},
                        {"$ref": "#/$defs/table"},
                    ]
                },
                "entities": {
                    "type": "object",
                    "propertyNames": {"pattern": ENTITY_NAME.pattern},
                    "additionalProperties": {"$ref": "#/$defs/entity"},
                },
                "access_patterns": {
                    "type": "object",
                    "propertyNames": {"pattern": PATTERN_NAME.pattern},
                    "additionalProperties": {"$ref": "#/$defs/pattern"},
                },
                "functions": {
                    "type": "object",
                    "propertyNames": {"pattern": PATTERN_NAME.pattern},
                    "additionalProperties": {"$ref": "#/$defs/function"},
                },
            },
        ),
        "$defs": {
            "type": {"type": "string", "pattern": TYPE_PATTERN},
            "attribute": {
                "oneOf": [{"$ref": "#/$defs/type"}, {"$ref": "#/$defs/attribute_mapping"}]
            },
            "attribute_mapping": attribute_mapping,
            "table": table,
            "entity": entity,
            "pattern": pattern,
            "function": function,
        },
    }


def emit_schema() -> str:
    return json.dumps(spec_schema(), indent=2) + "\n"
