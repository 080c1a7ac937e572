"""Reading access patterns and views."""

from __future__ import annotations

from dynamodel.compiler.diagnostics import Pos
from dynamodel.compiler.spec import fields
from dynamodel.compiler.spec.model import (
    ABSENT,
    ATTRIBUTE_NAME,
    PATTERN_NAME,
    PRESENT,
    AccessPattern,
    Ref,
    ViewField,
)
from dynamodel.compiler.spec.read.base import describe_node
from dynamodel.compiler.spec.read.hints import HintReader
from dynamodel.compiler.spec.yamlnodes import YMap, YNode, YScalar, YSeq

# Every read of a sharded pattern sends one Query per shard, and its cursor carries where each
# shard stopped: 16 keeps a page's fan-out and the signed cursor small (cursors stay < 8 KB).
MAX_SHARDS = 16


class PatternReader(HintReader):
    def patterns(self, node: YNode) -> tuple[AccessPattern, ...]:
        body = self.mapping(node, "`access_patterns`", "write `access_patterns: {name: {...}}`")
        if body is None:
            return ()
        result = []
        for key, value in body.entries:
            name = self.snake_name(
                key, "access pattern name", rule=PATTERN_NAME, example="tickets_by_status"
            )
            if name is None:
                continue
            pattern = self.pattern(name, key.pos, value)
            if pattern is not None:
                result.append(pattern)
        return tuple(result)

    def pattern(self, name: str, pos: Pos, node: YNode) -> AccessPattern | None:
        body = self.mapping(node, f"access pattern `{name}`", "write `{entity: E, by: [...]}`")
        if body is None:
            return None
        self.known_keys(body, fields.PATTERN, f"access pattern `{name}`")
        entity_node, view_node = body.get("entity"), body.get("view")
        entity: Ref | None = None
        view: tuple[ViewField, ...] = ()
        if (entity_node is None) == (view_node is None):
            self.err(
                body.pos,
                f"access pattern `{name}` needs exactly one of `entity` or `view`",
                "`entity: Ticket` reads one entity; `view: {field: Entity, ...}` several",
            )
        if entity_node is not None:
            if isinstance(entity_node, YScalar) and isinstance(entity_node.value, str):
                entity = Ref(entity_node.value, entity_node.pos)
            else:
                self.err(
                    entity_node.pos,
                    f"`entity` must name an entity, got {describe_node(entity_node, expect_text=True)}",
                )
        if view_node is not None:
            view = self.view(name, view_node)
        order = self.choice(body.get("order"), "`order`", fields.ORDERS) or "asc"
        consistent_node = body.get("consistent")
        shards_node = body.get("shards")
        limit_node = body.get("limit")
        return AccessPattern(
            name=name,
            pos=pos,
            entity=entity,
            view=view,
            by=self.name_list(body.get("by"), f"`by` of `{name}`", allow_scalar=True),
            sort=self.name_list(body.get("sort"), f"`sort` of `{name}`", allow_scalar=True),
            order="desc" if order == "desc" else "asc",
            where=self.where(name, body.get("where")),
            limit=self.integer(limit_node, "`limit`", 1),
            limit_pos=limit_node.pos if limit_node is not None else None,
            consistent=self.boolean(consistent_node, "`consistent`", False),
            consistent_pos=consistent_node.pos if consistent_node is not None else None,
            shards=self.shards(body.get("shards")),
            shards_pos=shards_node.pos if shards_node is not None else None,
            rate=self.rate(body.get("rate"), f"`rate` of `{name}`"),
        )

    def shards(self, node: YNode | None) -> int | None:
        if node is None:
            return None
        value = node.value if isinstance(node, YScalar) else None
        if isinstance(value, int) and not isinstance(value, bool) and 2 <= value <= MAX_SHARDS:
            return value
        self.err(
            node.pos,
            f"`shards` must be an integer from 2 to {MAX_SHARDS}, got {describe_node(node)}",
            "use 2 to 16 shards (16 partitions take ~16,000 writes/s), or remove `shards`",
        )
        return None

    def view(self, name: str, node: YNode) -> tuple[ViewField, ...]:
        body = self.mapping(
            node, f"the view of `{name}`", "write `{field: Entity, list: [Entity]}`"
        )
        if body is None:
            return ()
        result = []
        for key, value in body.entries:
            field = self.snake_name(key, "view field", rule=ATTRIBUTE_NAME, example="members")
            if field is None:
                continue
            if isinstance(value, YMap):
                long_form = self.view_field(name, field, key.pos, value)
                if long_form is not None:
                    result.append(long_form)
                continue
            entity_ref = self.view_entity(field, value)
            if entity_ref is not None:
                result.append(ViewField(field, entity_ref[0], entity_ref[1], key.pos))
        if not result and not body.entries:
            self.err(body.pos, f"the view of `{name}` has no fields")
        return tuple(result)

    def view_entity(self, field: str, value: YNode) -> tuple[Ref, bool] | None:
        """`Entity` (one item) or `[Entity]` (a list)."""
        many = isinstance(value, YSeq)
        target = value.items[0] if isinstance(value, YSeq) and len(value.items) == 1 else value
        if isinstance(target, YScalar) and isinstance(target.value, str):
            return Ref(target.value, target.pos), many
        self.err(
            value.pos,
            f"view field `{field}` must be `Entity` or `[Entity]`, got {describe_node(value)}",
        )
        return None

    def view_field(self, view: str, field: str, pos: Pos, body: YMap) -> ViewField | None:
        """The long form: `{entity: Entity | [Entity], by: [...], where: {...}}`."""
        self.known_keys(body, fields.VIEW_FIELD, f"view field `{field}`")
        entity_node = body.get("entity")
        if entity_node is None:
            self.err(
                body.pos,
                f"view field `{field}` needs `entity`",
                "write `{entity: Entity}` for one item or `{entity: [Entity]}` for a list",
            )
            return None
        entity_ref = self.view_entity(field, entity_node)
        if entity_ref is None:
            return None
        by = self.name_list(body.get("by"), f"`by` of view field `{field}`", allow_scalar=True)
        where = self.where(f"{view}.{field}", body.get("where"))
        return ViewField(field, entity_ref[0], entity_ref[1], pos, by=by, where=where)

    def where(self, name: str, node: YNode | None) -> tuple[tuple[Ref, object], ...]:
        if node is None:
            return ()
        body = self.mapping(node, f"`where` of `{name}`", "write `where: {attribute: value}`")
        if body is None:
            return ()
        result: list[tuple[Ref, object]] = []
        for key, value in body.entries:
            ref = Ref(str(key.value), key.pos)
            if isinstance(value, YScalar) and value.value is None:
                result.append((ref, ABSENT))  # `attr: null`: the attribute is absent
                continue
            if isinstance(value, YMap):
                inner = value.get("not")
                if len(value.entries) == 1 and isinstance(inner, YScalar) and inner.value is None:
                    result.append((ref, PRESENT))  # `attr: {not: null}`: it is present
                    continue
            if not isinstance(value, YScalar):
                self.err(
                    value.pos,
                    f"`where` compares `{key.value}` with a constant, got {describe_node(value)}",
                    "write one scalar value (`status: open`), `null` (absent) or "
                    "`{not: null}` (present)",
                )
                continue
            result.append((ref, value.value))
        return tuple(result)
