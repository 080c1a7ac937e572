"""The items the generated repository writes for sample records, built the way it builds them.

This mirrors `codegen/schemas.py` (`<entity>_to_item`, the unique guard keys) and the runtime's
`writes.create`/`flatten`: every attribute through `dynamodel.runtime.marshal`, every key
through `dynamodel.runtime.keys`, the same sparse conditions, shard numbers, `_type`, version
and TTL rules. `tests/test_samples.py` writes the records through generated repositories and
compares the scanned table with these items, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dynamodel.compiler.design.ir import Design, EntityDesign, EntityKey, KeyTemplate
from dynamodel.compiler.spec.model import Attribute, Entity, Presence, TypeRef
from dynamodel.runtime import keys
from dynamodel.runtime import marshal as m
from dynamodel.runtime.names import (
    ENTITY_ATTRIBUTE,
    GUARD_TYPE,
    OWNER_ATTRIBUTE,
    TYPE_ATTRIBUTE,
    VERSION_ATTRIBUTE,
)

Item = dict[str, dict[str, Any]]
Record = Mapping[str, Any]

# A guard item's attributes, as `runtime.guards.guard_item` writes them.
GUARD_ENTITY_ATTRIBUTE = ENTITY_ATTRIBUTE
GUARD_OWNER_ATTRIBUTE = OWNER_ATTRIBUTE


@dataclass(frozen=True)
class SampleItem:
    """One stored item, in DynamoDB JSON (`{"PK": {"S": ...}, ...}`), as the generated
    repository writes it. `entity` is the entity it stores, or, for a unique guard, the entity
    whose unique value it claims (`guard` is then true)."""

    entity: str
    guard: bool
    item: Mapping[str, Mapping[str, Any]]


_SCALAR_WRITERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "str": m.put_str,
    "int": m.put_int,
    "decimal": m.put_decimal,
    "float": m.put_float,
    "bool": m.put_bool,
    "datetime": m.put_datetime,
    "date": m.put_date,
    "bytes": m.put_bytes,
    "dict": m.put_map,
}
_SET_WRITERS: dict[str, Callable[[Any], dict[str, Any] | None]] = {
    "str": m.put_str_set,
    "int": m.put_int_set,
    "decimal": m.put_decimal_set,
    "bytes": m.put_bytes_set,
}


def attribute_value(type_ref: TypeRef, value: Any, *, ttl: bool = False) -> dict[str, Any] | None:
    """What generated code writes for `value` (None: the attribute is left out, as for an
    empty set). Set members are sorted: DynamoDB sets have no order, the samples do."""
    if ttl and type_ref.base == "datetime":
        return m.put_ttl(value)
    if type_ref.base == "list" and type_ref.item is not None:
        inner = type_ref.item
        return m.put_list(value, lambda v: _required(attribute_value(inner, v)))
    if type_ref.base == "set" and type_ref.item is not None:
        written = _SET_WRITERS[type_ref.item.base](value)
        if written is None:
            return None
        ((tag, members),) = written.items()
        return {tag: sorted(members, key=_set_order(tag))}
    return _SCALAR_WRITERS[type_ref.base](value)


def _required(value: dict[str, Any] | None) -> dict[str, Any]:
    assert value is not None  # only sets are ever left out, and a list holds no sets
    return value


def _set_order(tag: str) -> Any:
    if tag == "NS":
        return Decimal
    return lambda member: member


def typed_constant(attribute: Attribute | None, value: object) -> object:
    """A `where` constant as the Python value generated code compares with (see
    `codegen.python.typed_literal`): YAML gives dates and times as text, decimals as text."""
    if attribute is None:
        return value
    base = attribute.type.base
    if base == "decimal" and not isinstance(value, Decimal):
        return Decimal(f"{value}")
    if base == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if base == "datetime" and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if base == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def key_holds(entity: Entity, key: EntityKey, record: Record) -> bool:
    """Whether an item of `record` has this (possibly sparse) key: every optional attribute
    the key is built from is set, and every `where` constant holds."""
    for name in dict.fromkeys((*key.partition_attributes, *key.sort_attributes)):
        attribute = entity.attribute(name)
        if attribute is not None and attribute.optional and record.get(name) is None:
            return False
    return constants_hold(entity, key.where, record)


def constants_hold(entity: Entity, where: Iterable[tuple[str, object]], record: Record) -> bool:
    """Whether `record` meets `where`: each constant equal (a bool the same bool), `null`
    unset, `not null` set."""
    for name, constant in where:
        typed = typed_constant(entity.attribute(name), constant)
        value = record.get(name)
        if isinstance(typed, Presence):  # `{attr: null}` / `{attr: {not: null}}`
            if (value is not None) != typed.present:
                return False
        elif isinstance(typed, bool):
            if value is not typed:
                return False
        elif value != typed:
            return False
    return True


def render_key(template: KeyTemplate, record: Record, *, shard: int | None = None) -> str:
    parts = []
    for segment in template.segments:
        if segment.kind == "literal":
            parts.append(segment.text)
        elif segment.kind == "shard":
            parts.append(str(shard))
        else:
            value = record[segment.text]
            parts.append(keys.encode(segment.type or "str", value, attribute=segment.text))
    return keys.join(*parts)


def identity_key(entity: Entity, record: Record) -> str:
    """The text an item's write shard is hashed from: its entity and encoded id."""
    parts = [entity.name]
    for name in entity.id_names:
        attribute = entity.attribute(name)
        parts.append(keys.encode(attribute.type.base if attribute else "str", record[name]))
    return keys.join(*parts)


def entity_item(
    entity: Entity,
    entity_design: EntityDesign,
    record: Record,
    *,
    version: int,
    root_item: Item | None = None,
) -> Item:
    """The item of one record: attributes, `_type`, version, every key whose conditions hold,
    and (for a member) the root's TTL value. Raises InvalidKeyValueError for an unencodable
    key, as the generated code would."""
    item: Item = {TYPE_ATTRIBUTE: {"S": entity.name}}
    for attribute in entity.attributes:
        value = record.get(attribute.name)
        if value is None:
            continue  # an optional attribute left unset is not stored
        written = attribute_value(attribute.type, value, ttl=attribute.ttl)
        if written is not None:
            item[attribute.name] = written
    if entity_design.versioned:
        item[VERSION_ATTRIBUTE] = m.put_int(version)
    for key in entity_design.keys:
        if not key_holds(entity, key, record):
            continue
        shard = None
        if key.shards:
            shard = keys.shard_of(identity_key(entity, record), shards=key.shards)
        partition = render_key(key.partition, record, shard=shard)
        sort = render_key(key.sort, record, shard=shard)
        item[key.partition_key] = {
            "S": keys.check_key_size(
                partition, limit=keys.MAX_PARTITION_KEY_BYTES, attribute=key.partition_key
            )
        }
        item[key.sort_key] = {
            "S": keys.check_key_size(sort, limit=keys.MAX_SORT_KEY_BYTES, attribute=key.sort_key)
        }
    ttl = entity_design.ttl_attribute
    if root_item is not None and entity_design.ttl_from_root and ttl and ttl in root_item:
        item[ttl] = root_item[ttl]
    return item


def guard_items(
    design: Design, entity: Entity, entity_design: EntityDesign, record: Record, owner: Item
) -> list[Item]:
    """The unique-guard items claimed when `record` is created (none for a None value); each
    carries the owner's TTL attribute, so that it expires with it."""
    ttl = entity_design.ttl_attribute if not entity_design.ttl_from_root else None
    items = []
    for guard in entity_design.unique_guards:
        if any(record.get(name) is None for name in guard.attributes):
            continue
        partition = keys.check_key_size(
            render_key(guard.partition, record),
            limit=keys.MAX_PARTITION_KEY_BYTES,
            attribute=design.partition_key,
        )
        sort = keys.check_key_size(
            render_key(guard.sort, record),
            limit=keys.MAX_SORT_KEY_BYTES,
            attribute=design.sort_key,
        )
        table_pk, table_sk = design.partition_key, design.sort_key
        item = {
            table_pk: {"S": partition},
            table_sk: {"S": sort},
            TYPE_ATTRIBUTE: {"S": GUARD_TYPE},
            GUARD_ENTITY_ATTRIBUTE: {"S": entity.name},
            GUARD_OWNER_ATTRIBUTE: {"S": owner[table_pk]["S"] + "\n" + owner[table_sk]["S"]},
        }
        if ttl is not None and ttl in owner:
            item[ttl] = owner[ttl]
        items.append(item)
    return items
