"""Read positioned YAML nodes into the typed spec, reporting every structural error at once.

This stage checks shapes and local values (types, keywords, key names); checks that relate
parts of the spec to each other live in `check.py`. Entities and patterns are read by the
mixins in `read_entities.py` and `read_patterns.py`.
"""

from __future__ import annotations

from dynamodel.compiler.diagnostics import Diagnostic
from dynamodel.compiler.spec import fields
from dynamodel.compiler.spec.model import (
    TABLE_NAME,
    AccessPattern,
    Entity,
    FunctionGroup,
    Spec,
    Table,
)
from dynamodel.compiler.spec.read.base import describe_node
from dynamodel.compiler.spec.read.entities import EntityReader
from dynamodel.compiler.spec.read.functions import FunctionReader
from dynamodel.compiler.spec.read.patterns import PatternReader
from dynamodel.compiler.spec.yamlnodes import YMap, YNode, YScalar

_TABLE_NAME_HINT = "use 3-200 letters, digits, `_`, `-` or `.`"


class Reader(EntityReader, PatternReader, FunctionReader):
    def spec(self, root: YNode) -> Spec | None:
        top = self.mapping(root, "the spec", "start with `version: 1`")
        if top is None:
            return None
        self.known_keys(top, fields.TOP_LEVEL, "the spec")
        version_node = top.get("version")
        if version_node is None:
            self.err(top.pos, "missing `version`", "add `version: 1` at the top")
        elif not (
            isinstance(version_node, YScalar)
            and type(version_node.value) is int
            and version_node.value == 1
        ):
            self.err(
                version_node.pos,
                f"unsupported spec version {describe_node(version_node)}",
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
            if isinstance(entities_node, YMap) and not entities_node.entries:
                self.err(entities_node.pos, "`entities` is empty", "declare at least one entity")
        patterns_node = top.get("access_patterns")
        patterns: tuple[AccessPattern, ...] = ()
        if patterns_node is not None:
            patterns = self.patterns(patterns_node)
        functions_node = top.get("functions")
        functions: tuple[FunctionGroup, ...] = ()
        if functions_node is not None:
            functions = self.functions(functions_node)
        if table is None:
            return None
        return Spec(
            version=1, table=table, entities=entities, patterns=patterns, functions=functions
        )

    def table(self, node: YNode) -> Table | None:
        if isinstance(node, YScalar) and node.value is None:
            self.err(node.pos, "`table` has no name", "write `table: MyTable`")
            return None
        if isinstance(node, YScalar):
            if isinstance(node.value, str) and TABLE_NAME.match(node.value):
                return Table(name=node.value, pos=node.pos)
            self.err(node.pos, f"invalid table name {describe_node(node)}", _TABLE_NAME_HINT)
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
            self.err(
                name_node.pos, f"invalid table name {describe_node(name_node)}", _TABLE_NAME_HINT
            )
        billing = self.choice(table.get("billing"), "`billing`", fields.BILLING_MODES)
        read = self.integer(table.get("read_capacity"), "`read_capacity`", 1)
        write = self.integer(table.get("write_capacity"), "`write_capacity`", 1)
        if billing == "provisioned":
            billing_node = table.get("billing")
            for key, value in (("read_capacity", read), ("write_capacity", write)):
                if value is None and table.get(key) is None:
                    self.err(
                        billing_node.pos if billing_node is not None else table.pos,
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
        tenant = self.tenant(table.get("tenant"))
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
            tenant=tenant,
        )


def read_spec(root: YNode) -> tuple[Spec | None, tuple[Diagnostic, ...]]:
    reader = Reader()
    spec = reader.spec(root)
    return spec, tuple(reader.diagnostics)
