"""Turn layouts into concrete key templates, and name the indexes."""

from __future__ import annotations

from dynamodel.compiler.design.ir import (
    HEAD_FIRST,
    EntityKey,
    Index,
    KeyTemplate,
    Segment,
    UniqueGuard,
)
from dynamodel.compiler.design.layout import Layout
from dynamodel.compiler.names import pascal_case
from dynamodel.compiler.spec.model import Entity

MAX_GSIS = 20  # DynamoDB's default quota of GSIs per table


def attribute_segment(entity: Entity, name: str) -> Segment:
    attribute = entity.attribute(name)
    return Segment("attribute", name, attribute.type.base if attribute else "str")


def freeze_key(
    entity: Entity, layout: Layout, *, index: str, partition_key: str, sort_key: str
) -> EntityKey:
    tiebreak = layout.tiebreak(entity)
    group = layout.group_tag or entity.name
    partition = [Segment("literal", group)]
    partition += [attribute_segment(entity, a) for a in layout.partition]
    if layout.shards:
        partition.append(Segment("shard", "_shard", "int"))
    head = not layout.sort and not tiebreak
    if head:
        sort = [Segment("literal", (layout.head_prefix or HEAD_FIRST) + entity.name)]
    else:
        sort = [Segment("literal", layout.tag_prefix + entity.name)]
        sort += [attribute_segment(entity, a) for a in (*layout.sort, *tiebreak)]
    sparse = tuple(
        a
        for a in (*layout.partition, *layout.sort)
        if (attribute := entity.attribute(a)) is not None and attribute.optional
    )
    return EntityKey(
        index=index,
        partition_key=partition_key,
        sort_key=sort_key,
        partition=KeyTemplate(tuple(partition)),
        sort=KeyTemplate(tuple(sort)),
        partition_attributes=layout.partition,
        sort_attributes=layout.sort,
        tiebreak_attributes=tiebreak,
        group=group,
        head=head,
        where=layout.where,
        shards=layout.shards,
        sparse_attributes=sparse,
        patterns=layout.patterns,
    )


def unique_guard(entity: Entity, attributes: tuple[str, ...]) -> UniqueGuard:
    tag = ".".join((entity.name, *attributes))
    segments = (Segment("literal", tag), *(attribute_segment(entity, a) for a in attributes))
    return UniqueGuard(
        attributes=attributes,
        partition=KeyTemplate(segments),
        sort=KeyTemplate((Segment("literal", tag),)),
    )


def name_indexes(first_patterns: list[str], *, dedicated: bool) -> tuple[Index, ...]:
    indexes = []
    for position, pattern in enumerate(first_patterns, start=1):
        name = f"{pascal_case(pattern)}Index" if dedicated else f"GSI{position}"
        indexes.append(Index(name=name, partition_key=f"{name}PK", sort_key=f"{name}SK"))
    return tuple(indexes)
