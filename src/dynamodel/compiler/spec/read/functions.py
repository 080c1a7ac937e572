"""Reading what `dynamodel iam` needs: `table.tenant` and the top-level `functions:` groups.

Only shapes and names here; whether the names exist (attributes, patterns, write methods) is
checked in `check_functions.py`.
"""

from __future__ import annotations

from dynamodel.compiler.spec import fields
from dynamodel.compiler.spec.model import ATTRIBUTE_NAME, PATTERN_NAME, FunctionGroup, Ref
from dynamodel.compiler.spec.read.base import ReaderBase, describe_node
from dynamodel.compiler.spec.yamlnodes import YNode, YScalar, YSeq


class FunctionReader(ReaderBase):
    def tenant(self, node: YNode | None) -> Ref | None:
        if node is None:
            return None
        if (
            isinstance(node, YScalar)
            and isinstance(node.value, str)
            and ATTRIBUTE_NAME.match(node.value)
        ):
            return Ref(node.value, node.pos)
        self.err(
            node.pos,
            f"`tenant` must name an attribute, got {describe_node(node, expect_text=True)}",
            "write the snake_case attribute that identifies a tenant, e.g. `tenant: workspace_id`",
        )
        return None

    def functions(self, node: YNode) -> tuple[FunctionGroup, ...]:
        body = self.mapping(
            node, "`functions`", "write `functions: {name: {patterns: [...], writes: [...]}}`"
        )
        if body is None:
            return ()
        groups = []
        for key, value in body.entries:
            name = self.snake_name(key, "function name", rule=PATTERN_NAME, example="api_reader")
            if name is None:
                continue
            group = self.mapping(
                value, f"function `{name}`", "write `{patterns: [...], writes: [...]}`"
            )
            if group is None:
                continue
            self.known_keys(group, fields.FUNCTION, f"function `{name}`")
            description_node = group.get("description")
            description = None
            if description_node is not None:
                if isinstance(description_node, YScalar) and isinstance(
                    description_node.value, str
                ):
                    description = description_node.value
                else:
                    self.err(
                        description_node.pos,
                        f"`description` of function `{name}` must be text, "
                        f"got {describe_node(description_node)}",
                    )
            lists = {}
            unreadable = False
            for field in ("patterns", "writes"):
                listed = group.get(field)
                lists[field] = self.name_list(
                    listed, f"`{field}` of function `{name}`", allow_scalar=True
                )
                # Present but unreadable (already reported): not "names nothing" as well.
                if listed is not None and not lists[field] and not isinstance(listed, YSeq):
                    unreadable = True
            groups.append(
                FunctionGroup(
                    name=name,
                    pos=key.pos,
                    patterns=lists["patterns"],
                    writes=lists["writes"],
                    description=description,
                    unreadable=unreadable,
                )
            )
        return tuple(groups)
