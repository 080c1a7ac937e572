"""Reading entities and their attributes."""

from __future__ import annotations

import keyword
import re
from typing import Any

from dynamodel.compiler.diagnostics import Pos
from dynamodel.compiler.names import constant_case, snake_case
from dynamodel.compiler.spec import fields
from dynamodel.compiler.spec.model import (
    ATTRIBUTE_NAME,
    ENTITY_NAME,
    SCALAR_TYPES,
    Attribute,
    Entity,
    Member,
    Ref,
    TypeRef,
)
from dynamodel.compiler.spec.read.base import describe_node
from dynamodel.compiler.spec.read.entity_options import EntityOptionReader
from dynamodel.compiler.spec.yamlnodes import YMap, YNode, YScalar, YSeq

_TYPE = re.compile(r"^\s*([a-z]+)\s*(?:\[\s*(.+?)\s*\])?\s*(\?)?\s*$")
_SET_ITEM_TYPES = ("str", "int", "decimal", "bytes")
# Names a pydantic model or the generated code reserves; an attribute may not shadow them.
_RESERVED_ATTRIBUTES = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "fields",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
    }
)
# Names the generated package defines or imports next to the entity models, and the Python
# keywords a PascalCase name can spell (`class None(BaseModel)` is a SyntaxError).
RESERVED_ENTITY_NAMES = frozenset(
    {
        "False",
        "None",
        "True",
        "Any",
        "AwareDatetime",
        "BaseModel",
        "ConfigDict",
        "Decimal",
        "EntitySchema",
        "Field",
        "Item",
        "Literal",
        "MemberSpec",
        "Page",
        "Repository",
        "SortCondition",
        "UniqueGuardSpec",
        "Unset",
        "ViewPartSpec",
    }
)
# Parameters of the generated repository methods, which take attributes as keywords too.
GENERATED_PARAMETERS = frozenset({"self", "limit", "cursor", "consistent", "expected_version"})


class EntityReader(EntityOptionReader):
    def entities(self, node: YNode) -> tuple[Entity, ...]:
        entities = self.mapping(node, "`entities`", "write `entities: {Name: {...}}`")
        if entities is None:
            return ()
        result = []
        for key, value in entities.entries:
            name = self.key_name(key, "entity name")
            if name is None:
                continue
            if not ENTITY_NAME.match(name):
                self.err(
                    key.pos,
                    f"invalid entity name `{name}`",
                    "use PascalCase letters and digits, e.g. `TicketComment`",
                )
                continue
            if name in RESERVED_ENTITY_NAMES:
                self.err(
                    key.pos,
                    f"entity name `{name}` clashes with a name the generated package uses",
                    "rename the entity",
                )
            elif constant_case(name) == name:  # `X`, `A1`: the model and its schema constant
                self.err(
                    key.pos,
                    f"entity name `{name}` clashes with its schema constant `{name}` in the "
                    "generated package",
                    "give it a lowercase letter too, e.g. `Thing`",
                )
            elif keyword.iskeyword(parameter := snake_case(name)) or parameter == "self":
                # `def create_pass(self, pass: Pass)` is a SyntaxError, and so is a second
                # `self` in `def create_self(self, self: Self)`.
                self.err(
                    key.pos,
                    f"entity name `{name}` becomes the parameter `{parameter}` of its generated "
                    f"methods (`create_{parameter}({parameter}: {name})`), which Python refuses",
                    f"rename the entity, e.g. `{name}Entry`",
                )
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
        unreadable: frozenset[str] | None = None  # None: every attribute name is unknown
        if attributes_node is None:
            self.err(body.pos, f"entity `{name}` has no `attributes`", "declare its attributes")
        elif isinstance(attributes_node, YMap):
            attributes = self.attributes(name, attributes_node)
            read = {a.name for a in attributes}
            unreadable = frozenset(k.raw for k, _ in attributes_node.entries if k.raw not in read)
        else:
            self.mapping(attributes_node, f"the attributes of `{name}`", "write `name: type`")
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
            well_formed = isinstance(id_node, YSeq) or (
                isinstance(id_node, YScalar) and id_node.value is None
            )
            if not identity and well_formed:
                self.err(id_node.pos, f"the id of `{name}` is empty", "list at least one attribute")
        collection = self.name_list(
            body.get("collection"), f"the collection of `{name}`", allow_scalar=True
        )
        counts = self.counts(name, body.get("counts"))
        unique = self.unique(name, body.get("unique"))
        version_node = body.get("version")
        version = None if version_node is None else self.boolean(version_node, "`version`", True)
        members = self.members(name, body.get("members"))
        write_rates_node = body.get("write_rates")
        return Entity(
            name=name,
            pos=pos,
            id=identity,
            attributes=attributes,
            unique=unique,
            version=version,
            version_pos=version_node.pos if version_node is not None else None,
            members=members,
            collection=collection,
            counts=counts,
            size=self.size(body.get("size"), f"`{name}`"),
            per_partition=self.per_partition(body.get("per_partition"), f"`{name}`"),
            write_rates=self.write_rates(write_rates_node, f"`{name}`"),
            write_rates_pos=write_rates_node.pos if write_rates_node is not None else None,
            unreadable=unreadable,
        )

    def attributes(self, entity: str, node: YNode) -> tuple[Attribute, ...]:
        body = self.mapping(node, f"the attributes of `{entity}`", "write `name: type`")
        if body is None:
            return ()
        result = []
        for key, value in body.entries:
            name = self.snake_name(
                key,
                "attribute name",
                rule=ATTRIBUTE_NAME,
                example="created_at",
                within=f" in `{entity}`",
            )
            if name is None:
                continue
            if name.startswith("model_") or name in _RESERVED_ATTRIBUTES:
                self.err(
                    key.pos,
                    f"attribute name `{name}` in `{entity}` is reserved by pydantic models",
                    "rename it; pydantic's BaseModel already has a member of that name",
                )
                continue
            if name in GENERATED_PARAMETERS:
                self.err(
                    key.pos,
                    f"attribute name `{name}` in `{entity}` clashes with a parameter of the "
                    "generated repository's methods",
                    "rename it; reserved: " + ", ".join(sorted(GENERATED_PARAMETERS)),
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
        body = self.mapping(
            node, f"attribute {where}", "write a type, e.g. `str`, or `{type: str}`"
        )
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
        if (
            auto is not None
            and auto_node is not None
            and type_ref.base not in fields.AUTO_KINDS[auto]
        ):
            allowed = " or ".join(fields.AUTO_KINDS[auto])
            self.err(
                auto_node.pos,
                f"`auto: {auto}` needs type {allowed}, but {where} is {type_ref.render()}",
                "use `auto: ulid` or `auto: uuid` on str ids and `auto: now` on datetimes",
            )
            auto = None
        ttl_node = body.get("ttl")
        ttl = self.boolean(ttl_node, "`ttl`", False)
        if ttl and ttl_node is not None and type_ref.base not in ("datetime", "int"):
            self.err(
                ttl_node.pos,
                f"the TTL attribute {where} is a {type_ref.render()}, but DynamoDB expires "
                "items by a time",
                "make it `datetime` (stored as epoch seconds) or `int` epoch seconds",
            )
            ttl = False
        derived = self.derivation(body.get("derived"), where)
        copy_of = self.copy_source(body.get("copy_of"), where)
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
            derived=derived,
            copy_of=copy_of,
        )

    def type_text(self, node: YNode, where: str) -> tuple[TypeRef, bool] | None:
        if not (isinstance(node, YScalar) and isinstance(node.value, str)):
            self.err(
                node.pos, f"the type of {where} must be a type name, got {describe_node(node)}"
            )
            return None
        match = _TYPE.match(node.value)
        type_ref = _type_from_match(match) if match else None
        if type_ref is None:
            self.err(
                node.pos,
                f"unknown type `{node.value}` for {where}",
                "use str, int, decimal, float, bool, datetime, date, bytes, list[T], "
                "set[str], set[int], set[decimal], set[bytes], dict, or `T?` for optional",
            )
            return None
        return type_ref, bool(match and match.group(3))

    def enum(self, node: YNode | None, type_ref: TypeRef, where: str) -> tuple[str, ...]:
        if node is None:
            return ()
        if type_ref.base != "str":
            self.err(
                node.pos,
                f"`enum` needs a str attribute, but {where} is {type_ref.render()}",
                "make the attribute `str`, or drop `enum`",
            )
            return ()
        if not isinstance(node, YSeq) or not node.items:
            self.err(node.pos, f"`enum` of {where} must be a non-empty list of strings")
            return ()
        values: dict[str, None] = {}  # ordered, and a duplicate is found in O(1)
        for item in node.items:
            if isinstance(item, YScalar) and isinstance(item.value, str) and item.value:
                if item.value in values:
                    self.err(item.pos, f"enum value `{item.value}` is listed twice in {where}")
                values[item.value] = None
            else:
                self.err(
                    item.pos,
                    f"enum values must be non-empty strings, got "
                    f"{describe_node(item, expect_text=True)} in {where}",
                    "quote values YAML reads as other types, e.g. `'yes'`, `'1'`",
                )
        return tuple(values)

    def unique(self, entity: str, node: YNode | None) -> tuple[tuple[Ref, ...], ...]:
        if node is None:
            return ()
        if not isinstance(node, YSeq):
            self.err(node.pos, f"`unique` of `{entity}` must be a list", "e.g. `unique: [email]`")
            return ()
        result = []
        singles: set[str] = set()  # the single-attribute entries so far, for duplicates
        for item in node.items:
            if isinstance(item, YSeq):
                composite = self.name_list(
                    item, f"a unique composite of `{entity}`", allow_scalar=False
                )
                if composite:
                    result.append(composite)
            elif isinstance(item, YScalar) and isinstance(item.value, str) and item.value:
                if item.value in singles:
                    self.err(item.pos, f"`{item.value}` is listed twice in `unique` of `{entity}`")
                    continue
                singles.add(item.value)
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
            field = self.snake_name(key, "member field", rule=ATTRIBUTE_NAME, example="items")
            if field is None:
                continue
            if isinstance(value, YSeq) and len(value.items) == 1:
                value = value.items[0]  # `[Entity]` reads naturally for a list of members
            if isinstance(value, YScalar) and isinstance(value.value, str):
                result.append(Member(field=field, entity=Ref(value.value, value.pos), pos=key.pos))
            else:
                self.err(
                    value.pos, f"member `{field}` must name an entity, got {describe_node(value)}"
                )
        return tuple(result)


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
