"""Read positioned YAML nodes into the typed spec, reporting every structural error at once.

This stage checks shapes and local values (types, enums of keywords, key names). Checks that
relate parts of the spec to each other live in `check.py`.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Mapping
from typing import Any

from dynamodel.compiler import fields
from dynamodel.compiler.diagnostics import Diagnostic, Pos, error
from dynamodel.compiler.spec import (
    ATTRIBUTE_NAME,
    ENTITY_NAME,
    PATTERN_NAME,
    SCALAR_TYPES,
    TABLE_NAME,
    AccessPattern,
    Attribute,
    Entity,
    Member,
    Ref,
    Spec,
    Table,
    TypeRef,
    ViewField,
)
from dynamodel.compiler.yamlnodes import YMap, YNode, YScalar, YSeq

_TYPE = re.compile(r"^\s*([a-z]+)\s*(?:\[\s*(.+?)\s*\])?\s*(\?)?\s*$")
_SET_ITEM_TYPES = ("str", "int", "decimal", "bytes")
# Names a pydantic model or the generated code reserves; an attribute may not shadow them.
_RESERVED_ATTRIBUTES = frozenset({"copy", "dict", "json", "schema", "construct", "validate"})


def _describe(node: YNode) -> str:
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    if node.value is None:
        return "nothing"
    return f"`{node.value}`"


class Reader:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    # -- helpers -----------------------------------------------------------------------
    def err(self, pos: Pos, message: str, hint: str = "") -> None:
        self.diagnostics.append(error(pos, message, hint))

    def mapping(self, node: YNode, what: str, hint: str = "") -> YMap | None:
        if isinstance(node, YMap):
            return node
        self.err(node.pos, f"{what} must be a mapping, got {_describe(node)}", hint)
        return None

    def known_keys(self, node: YMap, allowed: Mapping[str, str], where: str) -> None:
        for key, _ in node.entries:
            name = str(key.value)
            if name in allowed:
                continue
            close = difflib.get_close_matches(name, list(allowed), n=1)
            hint = f"did you mean `{close[0]}`?" if close else "allowed: " + ", ".join(allowed)
            self.err(key.pos, f"unknown key `{name}` in {where}", hint)

    def boolean(self, node: YNode | None, what: str, default: bool) -> bool:
        if node is None:
            return default
        if isinstance(node, YScalar) and isinstance(node.value, bool):
            return node.value
        self.err(node.pos, f"{what} must be true or false, got {_describe(node)}")
        return default

    def integer(self, node: YNode | None, what: str, minimum: int) -> int | None:
        if node is None:
            return None
        value = node.value if isinstance(node, YScalar) else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return value
        self.err(node.pos, f"{what} must be an integer >= {minimum}, got {_describe(node)}")
        return None

    def choice(self, node: YNode | None, what: str, options: tuple[str, ...]) -> str | None:
        if node is None:
            return None
        if isinstance(node, YScalar) and node.value in options:
            return str(node.value)
        self.err(
            node.pos,
            f"{what} must be one of {', '.join(options)}, got {_describe(node)}",
            _suggest(node, options),
        )
        return None

    def name_list(self, node: YNode | None, what: str, *, allow_scalar: bool) -> tuple[Ref, ...]:
        """A list of names; `allow_scalar` also takes a single name (as `sort: x` does)."""
        if node is None:
            return ()
        if isinstance(node, YScalar) and allow_scalar and isinstance(node.value, str):
            return (Ref(node.value, node.pos),)
        if isinstance(node, YScalar) and node.value is None:
            return ()
        if not isinstance(node, YSeq):
            form = "a name or a list of names" if allow_scalar else "a list of names"
            self.err(node.pos, f"{what} must be {form}, got {_describe(node)}", "e.g. `[a, b]`")
            return ()
        refs: list[Ref] = []
        for item in node.items:
            if isinstance(item, YScalar) and isinstance(item.value, str) and item.value:
                if any(r.name == item.value for r in refs):
                    self.err(item.pos, f"`{item.value}` is listed twice in {what}")
                    continue
                refs.append(Ref(item.value, item.pos))
            else:
                self.err(item.pos, f"{what} must list names, got {_describe(item)}")
        return tuple(refs)

    # -- the spec ----------------------------------------------------------------------
    def spec(self, root: YNode) -> Spec | None:
        top = self.mapping(root, "the spec", "start with `version: 1`")
        if top is None:
            return None
        self.known_keys(top, fields.TOP_LEVEL, "the spec")
        version_node = top.get("version")
        if version_node is None:
            self.err(top.pos, "missing `version`", "add `version: 1` at the top")
        elif not (isinstance(version_node, YScalar) and version_node.value == 1):
            self.err(
                version_node.pos,
                f"unsupported spec version {_describe(version_node)}",
                "this dynamodel reads `version: 1`",
            )
        table_node = top.get("table")
        table = None
        if table_node is None:
            self.err(top.pos, "missing `table`", "add `table: MyTable`")
        else:
            table = self.table(table_node)
        entities_node = top.get("entities")
        entities: tuple[Entity, ...] = ()
        if entities_node is None:
            self.err(top.pos, "missing `entities`", "declare at least one entity")
        else:
            entities = self.entities(entities_node)
        patterns_node = top.get("access_patterns")
        patterns: tuple[AccessPattern, ...] = ()
        if patterns_node is not None:
            patterns = self.patterns(patterns_node)
        if table is None:
            return None
        return Spec(version=1, table=table, entities=entities, patterns=patterns)

    def table(self, node: YNode) -> Table | None:
        if isinstance(node, YScalar):
            if isinstance(node.value, str) and TABLE_NAME.match(node.value):
                return Table(name=node.value, pos=node.pos)
            self.err(node.pos, f"invalid table name {_describe(node)}", _TABLE_NAME_HINT)
            return None
        table = self.mapping(node, "`table`", "write `table: Name` or `table: {name: Name}`")
        if table is None:
            return None
        self.known_keys(table, fields.TABLE, "`table`")
        name_node = table.get("name")
        name = None
        if name_node is None:
            self.err(table.pos, "missing `name` in `table`", "add `name: MyTable`")
        elif (
            isinstance(name_node, YScalar)
            and isinstance(name_node.value, str)
            and TABLE_NAME.match(name_node.value)
        ):
            name = name_node.value
        else:
            self.err(name_node.pos, f"invalid table name {_describe(name_node)}", _TABLE_NAME_HINT)
        billing = self.choice(table.get("billing"), "`billing`", fields.BILLING_MODES)
        read = self.integer(table.get("read_capacity"), "`read_capacity`", 1)
        write = self.integer(table.get("write_capacity"), "`write_capacity`", 1)
        if billing == "provisioned":
            for key, value in (("read_capacity", read), ("write_capacity", write)):
                if value is None and table.get(key) is None:
                    self.err(
                        table.pos,
                        f"provisioned billing needs `{key}`",
                        f"add `{key}: 5`, or use `billing: on_demand`",
                    )
        else:
            for key in ("read_capacity", "write_capacity"):
                capacity = table.get(key)
                if capacity is not None:
                    self.err(
                        capacity.pos,
                        f"`{key}` applies to provisioned billing only",
                        "remove it, or set `billing: provisioned`",
                    )
        stream = self.choice(table.get("stream"), "`stream`", tuple(fields.STREAM_VIEWS))
        strategy = self.choice(table.get("indexes"), "`indexes`", fields.INDEX_STRATEGIES)
        if name is None:
            return None
        return Table(
            name=name,
            pos=table.pos,
            billing="provisioned" if billing == "provisioned" else "on_demand",
            read_capacity=read,
            write_capacity=write,
            stream=stream,
            point_in_time_recovery=self.boolean(
                table.get("point_in_time_recovery"), "`point_in_time_recovery`", True
            ),
            deletion_protection=self.boolean(
                table.get("deletion_protection"), "`deletion_protection`", True
            ),
            indexes="dedicated" if strategy == "dedicated" else "overloaded",
        )

    # -- entities ----------------------------------------------------------------------
    def entities(self, node: YNode) -> tuple[Entity, ...]:
        entities = self.mapping(node, "`entities`", "write `entities: {Name: {...}}`")
        if entities is None:
            return ()
        result = []
        for key, value in entities.entries:
            name = str(key.value)
            if not ENTITY_NAME.match(name):
                self.err(
                    key.pos,
                    f"invalid entity name `{name}`",
                    "use PascalCase letters and digits, e.g. `TicketComment`",
                )
                continue
            entity = self.entity(name, key.pos, value)
            if entity is not None:
                result.append(entity)
        return tuple(result)

    def entity(self, name: str, pos: Pos, node: YNode) -> Entity | None:
        body = self.mapping(node, f"entity `{name}`", "give it `id:` and `attributes:`")
        if body is None:
            return None
        self.known_keys(body, fields.ENTITY, f"entity `{name}`")
        attributes_node = body.get("attributes")
        attributes: tuple[Attribute, ...] = ()
        if attributes_node is None:
            self.err(body.pos, f"entity `{name}` has no `attributes`", "declare its attributes")
        else:
            attributes = self.attributes(name, attributes_node)
        id_node = body.get("id")
        identity: tuple[Ref, ...] = ()
        if id_node is None:
            self.err(
                body.pos,
                f"entity `{name}` has no `id`",
                "add `id: [attribute, ...]`: the attributes that name one item",
            )
        else:
            identity = self.name_list(id_node, f"the id of `{name}`", allow_scalar=True)
            if not identity and isinstance(id_node, YSeq):
                self.err(id_node.pos, f"the id of `{name}` is empty", "list at least one attribute")
        unique = self.unique(name, body.get("unique"))
        version_node = body.get("version")
        version = None if version_node is None else self.boolean(version_node, "`version`", True)
        members = self.members(name, body.get("members"))
        return Entity(
            name=name,
            pos=pos,
            id=identity,
            attributes=attributes,
            unique=unique,
            version=version,
            members=members,
        )

    def attributes(self, entity: str, node: YNode) -> tuple[Attribute, ...]:
        body = self.mapping(node, f"the attributes of `{entity}`", "write `name: type`")
        if body is None:
            return ()
        result = []
        for key, value in body.entries:
            name = str(key.value)
            if not ATTRIBUTE_NAME.match(name) or keyword.iskeyword(name):
                self.err(
                    key.pos,
                    f"invalid attribute name `{name}` in `{entity}`",
                    "use a snake_case Python identifier that is not a keyword, e.g. `created_at`",
                )
                continue
            if name.startswith("model_") or name in _RESERVED_ATTRIBUTES:
                self.err(
                    key.pos,
                    f"attribute name `{name}` in `{entity}` is reserved by pydantic models",
                    "rename it",
                )
                continue
            attribute = self.attribute(entity, name, key.pos, value)
            if attribute is not None:
                result.append(attribute)
        return tuple(result)

    def attribute(self, entity: str, name: str, pos: Pos, node: YNode) -> Attribute | None:
        where = f"`{entity}.{name}`"
        if isinstance(node, YScalar):
            parsed = self.type_text(node, where)
            if parsed is None:
                return None
            type_ref, optional = parsed
            return Attribute(name=name, type=type_ref, pos=pos, optional=optional)
        body = self.mapping(node, f"attribute {where}", "write a type, e.g. `str`, or `{type: str}`")
        if body is None:
            return None
        self.known_keys(body, fields.ATTRIBUTE, f"attribute {where}")
        type_node = body.get("type")
        if type_node is None:
            self.err(body.pos, f"attribute {where} has no `type`", "add `type: str` (or another)")
            return None
        parsed = self.type_text(type_node, where)
        if parsed is None:
            return None
        type_ref, optional = parsed
        optional = self.boolean(body.get("optional"), "`optional`", optional) or optional
        enum = self.enum(body.get("enum"), type_ref, where)
        auto_node = body.get("auto")
        auto = self.choice(auto_node, "`auto`", tuple(fields.AUTO_KINDS))
        if auto is not None and auto_node is not None and type_ref.base not in fields.AUTO_KINDS[auto]:
            allowed = " or ".join(fields.AUTO_KINDS[auto])
            self.err(
                auto_node.pos,
                f"`auto: {auto}` needs type {allowed}, but {where} is {type_ref.render()}",
            )
            auto = None
        ttl = self.boolean(body.get("ttl"), "`ttl`", False)
        if ttl and type_ref.base not in ("datetime", "int"):
            self.err(
                body.pos,
                f"the TTL attribute {where} must be a datetime (or int epoch seconds)",
                f"it is {type_ref.render()}",
            )
            ttl = False
        default_node = body.get("default")
        has_default = default_node is not None
        default: object = None
        if isinstance(default_node, YScalar):
            default = default_node.value
        elif default_node is not None:
            default = _plain(default_node)
        return Attribute(
            name=name,
            type=type_ref,
            pos=pos,
            optional=optional,
            has_default=has_default,
            default=default,
            enum=enum,
            auto=auto,
            ttl=ttl,
        )

    def type_text(self, node: YNode, where: str) -> tuple[TypeRef, bool] | None:
        if not (isinstance(node, YScalar) and isinstance(node.value, str)):
            self.err(node.pos, f"the type of {where} must be a type name, got {_describe(node)}")
            return None
        match = _TYPE.match(node.value)
        type_ref = _type_from_match(match) if match else None
        if type_ref is None:
            self.err(
                node.pos,
                f"unknown type `{node.value}` for {where}",
                "use str, int, decimal, float, bool, datetime, date, bytes, list[T], "
                "set[str], set[int], dict, or `T?` for optional",
            )
            return None
        return type_ref, bool(match and match.group(3))

    def enum(self, node: YNode | None, type_ref: TypeRef, where: str) -> tuple[str, ...]:
        if node is None:
            return ()
        if type_ref.base != "str":
            self.err(node.pos, f"`enum` needs a str attribute, but {where} is {type_ref.render()}")
            return ()
        if not isinstance(node, YSeq) or not node.items:
            self.err(node.pos, f"`enum` of {where} must be a non-empty list of strings")
            return ()
        values: list[str] = []
        for item in node.items:
            if isinstance(item, YScalar) and isinstance(item.value, str) and item.value:
                if item.value in values:
                    self.err(item.pos, f"enum value `{item.value}` is listed twice in {where}")
                values.append(item.value)
            else:
                self.err(
                    item.pos,
                    f"enum values must be non-empty strings, got {_describe(item)} in {where}",
                    "quote values YAML reads as other types, e.g. `'yes'`, `'1'`",
                )
        return tuple(dict.fromkeys(values))

    def unique(self, entity: str, node: YNode | None) -> tuple[tuple[Ref, ...], ...]:
        if node is None:
            return ()
        if not isinstance(node, YSeq):
            self.err(node.pos, f"`unique` of `{entity}` must be a list", "e.g. `unique: [email]`")
            return ()
        result = []
        for item in node.items:
            if isinstance(item, YSeq):
                composite = self.name_list(item, f"a unique composite of `{entity}`", allow_scalar=False)
                if composite:
                    result.append(composite)
            elif isinstance(item, YScalar) and isinstance(item.value, str) and item.value:
                result.append((Ref(item.value, item.pos),))
            else:
                self.err(item.pos, f"`unique` of `{entity}` lists attribute names or lists of them")
        return tuple(result)

    def members(self, entity: str, node: YNode | None) -> tuple[Member, ...]:
        if node is None:
            return ()
        body = self.mapping(node, f"`members` of `{entity}`", "write `members: {field: Entity}`")
        if body is None:
            return ()
        result = []
        for key, value in body.entries:
            field = str(key.value)
            if not ATTRIBUTE_NAME.match(field) or keyword.iskeyword(field):
                self.err(key.pos, f"invalid member field name `{field}`", "use snake_case")
                continue
            if isinstance(value, YSeq) and len(value.items) == 1:
                value = value.items[0]  # `[Entity]` reads naturally for a list of members
            if isinstance(value, YScalar) and isinstance(value.value, str):
                result.append(Member(field=field, entity=Ref(value.value, value.pos), pos=key.pos))
            else:
                self.err(value.pos, f"member `{field}` must name an entity, got {_describe(value)}")
        return tuple(result)

    # -- access patterns ---------------------------------------------------------------
    def patterns(self, node: YNode) -> tuple[AccessPattern, ...]:
        body = self.mapping(node, "`access_patterns`", "write `access_patterns: {name: {...}}`")
        if body is None:
            return ()
        result = []
        for key, value in body.entries:
            name = str(key.value)
            if not PATTERN_NAME.match(name) or keyword.iskeyword(name):
                self.err(
                    key.pos,
                    f"invalid access pattern name `{name}`",
                    "use a snake_case Python identifier, e.g. `tickets_by_status`",
                )
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
                self.err(entity_node.pos, f"`entity` must name an entity, got {_describe(entity_node)}")
        if view_node is not None:
            view = self.view(name, view_node)
        order = self.choice(body.get("order"), "`order`", fields.ORDERS) or "asc"
        consistent_node = body.get("consistent")
        return AccessPattern(
            name=name,
            pos=pos,
            entity=entity,
            view=view,
            by=self.name_list(body.get("by"), f"`by` of `{name}`", allow_scalar=True),
            sort=self.name_list(body.get("sort"), f"`sort` of `{name}`", allow_scalar=True),
            order="desc" if order == "desc" else "asc",
            where=self.where(name, body.get("where")),
            limit=self.integer(body.get("limit"), "`limit`", 1),
            consistent=self.boolean(consistent_node, "`consistent`", False),
            consistent_pos=consistent_node.pos if consistent_node is not None else None,
            shards=self.shards(body.get("shards")),
        )

    def shards(self, node: YNode | None) -> int | None:
        if node is None:
            return None
        value = node.value if isinstance(node, YScalar) else None
        if isinstance(value, int) and not isinstance(value, bool) and 2 <= value <= 1000:
            return value
        self.err(
            node.pos,
            f"`shards` must be an integer from 2 to 1000, got {_describe(node)}",
            "one shard is no sharding: remove `shards`",
        )
        return None

    def view(self, name: str, node: YNode) -> tuple[ViewField, ...]:
        body = self.mapping(node, f"the view of `{name}`", "write `{field: Entity, list: [Entity]}`")
        if body is None:
            return ()
        result = []
        for key, value in body.entries:
            field = str(key.value)
            if not ATTRIBUTE_NAME.match(field) or keyword.iskeyword(field):
                self.err(key.pos, f"invalid view field name `{field}`", "use snake_case")
                continue
            many = isinstance(value, YSeq)
            target = value.items[0] if isinstance(value, YSeq) and len(value.items) == 1 else value
            if isinstance(target, YScalar) and isinstance(target.value, str):
                result.append(ViewField(field, Ref(target.value, target.pos), many, key.pos))
            else:
                self.err(
                    value.pos,
                    f"view field `{field}` must be `Entity` or `[Entity]`, got {_describe(value)}",
                )
        if not result and not body.entries:
            self.err(body.pos, f"the view of `{name}` has no fields")
        return tuple(result)

    def where(self, name: str, node: YNode | None) -> tuple[tuple[Ref, object], ...]:
        if node is None:
            return ()
        body = self.mapping(node, f"`where` of `{name}`", "write `where: {attribute: value}`")
        if body is None:
            return ()
        result = []
        for key, value in body.entries:
            if not isinstance(value, YScalar) or value.value is None:
                self.err(
                    value.pos,
                    f"`where` compares `{key.value}` with a constant, got {_describe(value)}",
                    "write one scalar value, e.g. `status: open`",
                )
                continue
            result.append((Ref(str(key.value), key.pos), value.value))
        return tuple(result)


_TABLE_NAME_HINT = "use 3-200 letters, digits, `_`, `-` or `.`"


def _suggest(node: YNode, options: tuple[str, ...]) -> str:
    if isinstance(node, YScalar) and isinstance(node.value, str):
        close = difflib.get_close_matches(node.value, list(options), n=1)
        if close:
            return f"did you mean `{close[0]}`?"
    return ""


def _type_from_match(match: re.Match[str]) -> TypeRef | None:
    base, inner = match.group(1), match.group(2)
    if inner is None:
        if base in SCALAR_TYPES or base == "dict":
            return TypeRef(base)
        return None
    inner_match = _TYPE.match(inner)
    if inner_match is None or inner_match.group(3):
        return None
    item = _type_from_match(inner_match)
    if item is None:
        return None
    if base == "list":
        return TypeRef("list", item)
    if base == "set" and item.base in _SET_ITEM_TYPES and item.item is None:
        return TypeRef("set", item)
    return None


def _plain(node: YNode) -> Any:
    if isinstance(node, YScalar):
        return node.value
    if isinstance(node, YSeq):
        return [_plain(i) for i in node.items]
    return {str(k.value): _plain(v) for k, v in node.entries}


def read_spec(root: YNode) -> tuple[Spec | None, tuple[Diagnostic, ...]]:
    reader = Reader()
    spec = reader.spec(root)
    return spec, tuple(reader.diagnostics)
