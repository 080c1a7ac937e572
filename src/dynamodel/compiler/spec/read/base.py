"""Shared helpers of the spec reader: typed access to YAML nodes, with diagnostics."""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Mapping

from dynamodel.compiler.diagnostics import Diagnostic, Pos, error
from dynamodel.compiler.spec.model import Ref
from dynamodel.compiler.spec.yamlnodes import YMap, YNode, YScalar, YSeq


def describe_node(node: YNode, *, expect_text: bool = False) -> str:
    """How to show a node in a message; `expect_text` explains values YAML retyped."""
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    if node.value is None and not node.raw:
        return "nothing"
    if expect_text and node.retyped:
        return f"`{node.raw}` (which YAML reads as {yaml_kind(node.value)})"
    return f"`{node.shown()}`"


def yaml_kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    if hasattr(value, "isoformat"):
        return "a date"
    return "a " + type(value).__name__


def suggest(node: YNode, options: tuple[str, ...]) -> str:
    if isinstance(node, YScalar) and isinstance(node.value, str):
        close = difflib.get_close_matches(node.value, list(options), n=1, cutoff=0.5)
        close = close or [o for o in options if node.value.startswith(o)][:1]
        if close:
            return f"did you mean `{close[0]}`?"
    return ""


class ReaderBase:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    # -- helpers -----------------------------------------------------------------------
    def err(self, pos: Pos, message: str, hint: str = "") -> None:
        self.diagnostics.append(error(pos, message, hint))

    def mapping(self, node: YNode, what: str, hint: str = "") -> YMap | None:
        if isinstance(node, YMap):
            return node
        self.err(node.pos, f"{what} must be a mapping, got {describe_node(node)}", hint)
        return None

    def key_name(self, key: YScalar, what: str, *, within: str = "") -> str | None:
        """A mapping key used as a name; YAML turns some words (`no`, `on`, `1`) into values."""
        if isinstance(key.value, str):
            return key.value
        self.err(
            key.pos,
            f"{what} `{key.raw}`{within} is read by YAML as {yaml_kind(key.value)}, not a name",
            f'quote it: `"{key.raw}"`',
        )
        return None

    def snake_name(
        self, key: YScalar, what: str, *, rule: re.Pattern[str], example: str, within: str = ""
    ) -> str | None:
        """A snake_case identifier that is no Python keyword (it becomes a Python name)."""
        name = self.key_name(key, what, within=within)
        if name is None:
            return None
        if rule.match(name) and not keyword.iskeyword(name):
            return name
        reason = "a Python keyword" if keyword.iskeyword(name) else "not snake_case"
        self.err(
            key.pos,
            f"invalid {what} `{name}`{within} ({reason})",
            f"use a snake_case Python identifier that is not a keyword, e.g. `{example}`",
        )
        return None

    def known_keys(self, node: YMap, allowed: Mapping[str, str], where: str) -> None:
        for key, _ in node.entries:
            name = key.raw or str(key.value)
            if name in allowed:
                continue
            close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.5)
            hint = f"did you mean `{close[0]}`?" if close else "allowed: " + ", ".join(allowed)
            self.err(key.pos, f"unknown key `{name}` in {where}", hint)

    def boolean(self, node: YNode | None, what: str, default: bool) -> bool:
        if node is None:
            return default
        if isinstance(node, YScalar) and isinstance(node.value, bool):
            return node.value
        self.err(node.pos, f"{what} must be true or false, got {describe_node(node)}")
        return default

    def integer(self, node: YNode | None, what: str, minimum: int) -> int | None:
        if node is None:
            return None
        value = node.value if isinstance(node, YScalar) else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return value
        self.err(node.pos, f"{what} must be an integer >= {minimum}, got {describe_node(node)}")
        return None

    def choice(self, node: YNode | None, what: str, options: tuple[str, ...]) -> str | None:
        if node is None:
            return None
        if isinstance(node, YScalar) and node.value in options:
            return str(node.value)
        self.err(
            node.pos,
            f"{what} must be one of {', '.join(options)}, got {describe_node(node)}",
            suggest(node, options) or "use one of " + ", ".join(options),
        )
        return None

    def name_list(self, node: YNode | None, what: str, *, allow_scalar: bool) -> tuple[Ref, ...]:
        """A list of names; `allow_scalar` also takes a single name (as `sort: x` does)."""
        if node is None:
            return ()
        if isinstance(node, YScalar) and node.value == "":
            self.err(node.pos, f"{what} is an empty name", "give a name, or a list of names")
            return ()
        if isinstance(node, YScalar) and allow_scalar and isinstance(node.value, str):
            return (Ref(node.value, node.pos),)
        if isinstance(node, YScalar) and node.value is None:
            return ()
        if not isinstance(node, YSeq):
            form = "a name or a list of names" if allow_scalar else "a list of names"
            self.err(node.pos, f"{what} must be {form}, got {describe_node(node)}", "e.g. `[a, b]`")
            return ()
        refs: list[Ref] = []
        listed: set[str] = set()  # a set, so a long list is checked in linear time
        for item in node.items:
            if isinstance(item, YScalar) and isinstance(item.value, str) and item.value:
                if item.value in listed:
                    self.err(item.pos, f"`{item.value}` is listed twice in {what}")
                    continue
                listed.add(item.value)
                refs.append(Ref(item.value, item.pos))
            else:
                self.err(item.pos, f"{what} must list names, got {describe_node(item)}")
        return tuple(refs)
