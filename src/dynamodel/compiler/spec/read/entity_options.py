"""Reading an entity's spec 1.1 options: `counts: [Parent.attribute]`, `derived:` and
`copy_of:`."""

from __future__ import annotations

import re

from dynamodel.compiler.spec.model import DERIVATIONS, Derivation, Ref
from dynamodel.compiler.spec.read.base import describe_node
from dynamodel.compiler.spec.read.hints import HintReader
from dynamodel.compiler.spec.yamlnodes import YNode, YScalar

_DERIVED = re.compile(r"([a-z]+)\(\s*([a-z_][a-z0-9_]*)\s*(?:,\s*(\d+)\s*)?\)")


class EntityOptionReader(HintReader):
    def counts(self, entity: str, node: YNode | None) -> tuple[tuple[Ref, Ref], ...]:
        """`counts: [Parent.attribute, ...]`."""
        result = []
        for ref in self.name_list(node, f"`counts` of `{entity}`", allow_scalar=True):
            parent, _, attribute = ref.name.partition(".")
            if not parent or not attribute:
                self.err(
                    ref.pos,
                    f"`counts` of `{entity}` names `{ref.name}`, not `Entity.attribute`",
                    "write the counter as `Parent.count_attribute`, e.g. `Repo.star_count`",
                )
                continue
            result.append((Ref(parent, ref.pos), Ref(attribute, ref.pos)))
        return tuple(result)

    def copy_source(self, node: YNode | None, where: str) -> tuple[Ref, Ref] | None:
        """`copy_of: Entity.attribute`."""
        if node is None:
            return None
        text = node.value if isinstance(node, YScalar) else None
        source, _, attribute = text.partition(".") if isinstance(text, str) else ("", "", "")
        if not source or not attribute or "." in attribute:
            self.err(
                node.pos,
                f"`copy_of` of {where} must name `Entity.attribute`, got {describe_node(node)}",
                "e.g. `copy_of: Repo.description`",
            )
            return None
        return Ref(source, node.pos), Ref(attribute, node.pos)

    def derivation(self, node: YNode | None, where: str) -> Derivation | None:
        """`derived: "fn(attr)"` or `"prefix(attr, n)"`."""
        if node is None:
            return None
        text = node.value if isinstance(node, YScalar) else None
        match = _DERIVED.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None or match.group(1) not in DERIVATIONS:
            self.err(
                node.pos,
                f"`derived` of {where} must be a function of one attribute, got "
                f"{describe_node(node)}",
                "write one of "
                + ", ".join(f"`{f}(attr)`" for f in DERIVATIONS if f != "prefix")
                + " or `prefix(attr, n)`",
            )
            return None
        function, source, length = match.group(1), match.group(2), match.group(3)
        if (function == "prefix") != (length is not None) or (
            length is not None and int(length) < 1
        ):
            self.err(
                node.pos,
                f"`{function}` in `derived` of {where} "
                + (
                    "takes a length, `prefix(attr, n)` with n >= 1"
                    if function == "prefix"
                    else "takes one attribute"
                ),
                "e.g. `prefix(name, 3)`" if function == "prefix" else f"e.g. `{function}(title)`",
            )
            return None
        return Derivation(
            function=function,
            source=Ref(source, node.pos),
            length=int(length) if length is not None else None,
            pos=node.pos,
        )
