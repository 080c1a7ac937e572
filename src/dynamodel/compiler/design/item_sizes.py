"""Estimated item sizes, as DynamoDB counts them: for every attribute, the UTF-8 length of its
name plus the size of its value (text: its UTF-8 length; a number: about one byte per two
significant digits, plus one; a list or map: 3 bytes plus 1 per element and the elements).

An entity's `size:` hint wins. Otherwise the size is estimated from the attribute types with
the typical values below, every optional attribute counted as present, plus what the runtime
adds: the table and index key attributes (their templates' literal text and encoded values),
`_type`, `version` where versioned, and the TTL attribute (epoch seconds). The estimates are
meant to be close for ids, names and timestamps; `tests/test_capacity_rules.py` compares them with
the real sizes of sample items written through the generated repositories.
"""

from __future__ import annotations

import math

from dynamodel.compiler.design.ir import Design, EntityDesign, KeyTemplate
from dynamodel.compiler.spec.model import Attribute, Entity, TypeRef
from dynamodel.runtime.names import (
    ENTITY_ATTRIBUTE,
    GUARD_TYPE,
    OWNER_ATTRIBUTE,
    TYPE_ATTRIBUTE,
    VERSION_ATTRIBUTE,
)

# Typical stored sizes of one value, in bytes, by spec type (a number's size is about half its
# digits plus one; datetimes are stored as UTC text "YYYY-MM-DDTHH:MM:SS.ffffffZ").
VALUE_BYTES = {
    "str": 20,
    "int": 3,
    "decimal": 5,
    "float": 10,
    "bool": 1,
    "datetime": 27,
    "date": 10,
    "bytes": 32,
}
AUTO_STR_BYTES = {"ulid": 26, "uuid": 36}
# Encoded in a key segment (dynamodel.runtime.keys): numbers become sortable text, a few bytes
# of exponent before the digits; bools one character; bytes base32-like text.
KEY_VALUE_BYTES = {**VALUE_BYTES, "int": 6, "decimal": 8, "float": 12, "bool": 1, "bytes": 52}
CONTAINER_ELEMENTS = 3  # elements assumed in a list or set
DICT_BYTES = 64  # a free map's content
TTL_BYTES = 6  # epoch seconds as a number: 10 digits
VERSION_BYTES = 2  # a small counter


def value_bytes(attribute: Attribute) -> int:
    if attribute.ttl:
        return TTL_BYTES
    return _type_bytes(attribute.type, attribute)


def _type_bytes(type_ref: TypeRef, attribute: Attribute | None = None) -> int:
    if type_ref.base == "str" and attribute is not None:
        if attribute.enum:
            return math.ceil(sum(len(v.encode()) for v in attribute.enum) / len(attribute.enum))
        if attribute.auto in AUTO_STR_BYTES:
            return AUTO_STR_BYTES[attribute.auto]
    if type_ref.base in VALUE_BYTES:
        return VALUE_BYTES[type_ref.base]
    if type_ref.base == "dict":
        return 3 + DICT_BYTES
    element = _type_bytes(type_ref.item) if type_ref.item is not None else VALUE_BYTES["str"]
    if type_ref.base == "list":
        return 3 + CONTAINER_ELEMENTS * (1 + element)
    return CONTAINER_ELEMENTS * element  # a set


def key_value_bytes(template: KeyTemplate, entity: Entity) -> int:
    """The estimated length of a key built from `template` for `entity`'s items."""
    total = max(0, len(template.segments) - 1)  # the delimiters
    for segment in template.segments:
        if segment.kind == "literal":
            total += len(segment.text.encode())
        elif segment.kind == "shard":
            total += 2
        else:
            attribute = entity.attribute(segment.text)
            if attribute is not None and attribute.type.base == "str":
                total += _type_bytes(attribute.type, attribute)
            else:
                total += KEY_VALUE_BYTES.get(segment.type or "str", VALUE_BYTES["str"])
    return total


def estimated_item_bytes(design: Design, entity: EntityDesign) -> int:
    """The size of one stored item of `entity` estimated from its attributes and keys."""
    spec_entity = design.spec.entity(entity.name)
    assert spec_entity is not None
    total = len(TYPE_ATTRIBUTE) + len(entity.name.encode())
    for attribute in spec_entity.attributes:
        total += len(attribute.name.encode()) + value_bytes(attribute)
    if entity.versioned:
        total += len(VERSION_ATTRIBUTE) + VERSION_BYTES
    if entity.ttl_from_root and design.ttl_attribute is not None:
        total += len(design.ttl_attribute) + TTL_BYTES
    sized: dict[str, int] = {}  # per index: roles of one view share its key attributes
    for key in entity.keys:
        size = len(key.partition_key) + key_value_bytes(key.partition, spec_entity)
        size += len(key.sort_key) + key_value_bytes(key.sort, spec_entity)
        sized[key.index] = max(size, sized.get(key.index, 0))
    return total + sum(sized.values())


def guard_item_bytes(design: Design, entity: EntityDesign, *, owner_bytes: int) -> tuple[int, ...]:
    """Each unique guard item of `entity`: its key (which holds the value), `_type`,
    `_entity` and `_owner` (the owner's table key: `owner_bytes`)."""
    spec_entity = design.spec.entity(entity.name)
    assert spec_entity is not None
    sizes = []
    for guard in entity.unique_guards:
        total = len(design.partition_key) + key_value_bytes(guard.partition, spec_entity)
        total += len(design.sort_key) + key_value_bytes(guard.sort, spec_entity)
        total += len(TYPE_ATTRIBUTE) + len(GUARD_TYPE)
        total += len(ENTITY_ATTRIBUTE) + len(entity.name.encode())
        total += len(OWNER_ATTRIBUTE) + owner_bytes
        sizes.append(total)
    return tuple(sizes)


def table_key_bytes(design: Design, entity: EntityDesign) -> int:
    """The length of `entity`'s table key values (PK and SK), as a guard's `_owner` holds them."""
    spec_entity = design.spec.entity(entity.name)
    assert spec_entity is not None
    key = entity.table_key
    return 1 + key_value_bytes(key.partition, spec_entity) + key_value_bytes(key.sort, spec_entity)
