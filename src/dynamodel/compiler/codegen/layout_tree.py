"""The pieces `codegen/layout.py` lays lines out with: tokens, the tree of brackets they
form, ruff's quote rule for one-line strings, and the width of a line."""

from __future__ import annotations

import keyword
import unicodedata
from dataclasses import dataclass

LINE_LENGTH = 88
INDENT = "    "

OPENING = {"(": ")", "[": "]", "{": "}"}
CLOSING = set(OPENING.values())
# The comparison operators (`not` of `not in`, `is not`): one level of splitting.
COMPARISONS = {"<", ">", "==", ">=", "<=", "!=", "in", "not", "is"}
PRAGMAS = ("# type:", "# noqa", "# pyright:", "# pylint:")
# Names after which `(` / `[` opens an expression, not a call or subscript.
KEYWORDS = frozenset(keyword.kwlist)


@dataclass
class Tok:
    text: str
    space: str  # the whitespace before it on one line
    name: bool = False  # a NAME token (identifier or keyword)


@dataclass
class Group:
    open: Tok
    items: list[Node]
    close: Tok
    call: bool  # `f(...)`, `x[...]`: a call or subscript, not a tuple, list or dict


Node = Tok | Group


# -- strings ---------------------------------------------------------------------------------


def string_literal(text: str) -> str:
    """A one-line string literal with ruff's preferred quotes: double, unless the body holds
    more double quotes than single ones."""
    position = 0
    while text[position] not in "'\"":
        position += 1
    prefix, quote, body = text[:position], text[position], text[position + 1 : -1]
    if text[position : position + 3] in ('"""', "'''") or ("{" in body and "f" in prefix.lower()):
        return text
    singles = doubles = 0
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            char = body[index + 1]
            index += 1
        singles += char == "'"
        doubles += char == '"'
        index += 1
    wanted = "'" if doubles > singles else '"'
    if wanted == quote:
        return text
    if "r" in prefix.lower():
        return text if wanted in body else prefix + wanted + body + wanted
    other = quote
    result = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            escaped = body[index + 1]
            result.append(escaped if escaped == other else char + escaped)
            index += 2
            continue
        result.append("\\" + char if char == wanted else char)
        index += 1
    return prefix + wanted + "".join(result) + wanted


# -- the tree of brackets ------------------------------------------------------------------


def bracket_tree(toks: list[Tok]) -> list[Node]:
    stack: list[list[Node]] = [[]]
    opens: list[Tok] = []
    for tok in toks:
        if tok.text in OPENING:
            opens.append(tok)
            stack.append([])
        elif tok.text in CLOSING and opens:
            items = stack.pop()
            opener = opens.pop()
            parent = stack[-1]
            before = parent[-1] if parent else None
            call = opener.space == "" and (
                isinstance(before, Group)
                or (isinstance(before, Tok) and before.name and before.text not in KEYWORDS)
                or (isinstance(before, Tok) and before.text in CLOSING)
            )
            parent.append(Group(opener, items, tok, call))
        else:
            stack[-1].append(tok)
    return stack[0]


def is_comma(node: Node) -> bool:
    return isinstance(node, Tok) and node.text == ","


def split_elements(items: list[Node]) -> tuple[list[list[Node]], bool]:
    """The items between commas, and whether a comma ends them."""
    elements: list[list[Node]] = [[]]
    for node in items:
        if is_comma(node):
            elements.append([])
        else:
            elements[-1].append(node)
    trailing = len(elements) > 1 and not elements[-1]
    if trailing:
        elements.pop()
    return elements, trailing


def magic(group: Group) -> bool:
    elements, trailing = split_elements(group.items)
    if not trailing:
        return False
    one_tuple = group.open.text == "(" and not group.call and len(elements) == 1
    return not one_tuple


def must_break(nodes: list[Node]) -> bool:
    return any(isinstance(n, Group) and (magic(n) or must_break(n.items)) for n in nodes)


def flat_text(nodes: list[Node], *, lead: bool = False) -> str:
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, Tok):
            parts.append(node.space + node.text)
        else:
            parts.append(node.open.space + node.open.text)
            parts.append(flat_text(node.items))
            parts.append(node.close.text)
    text = "".join(parts)
    return text if lead or not nodes else text[len(space_before(nodes[0])) :]


def space_before(node: Node) -> str:
    return node.space if isinstance(node, Tok) else node.open.space


def width(text: str) -> int:
    if text.isascii():  # nearly every line: one column per character
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fits(text: str, comment: str = "") -> bool:
    counted = "" if comment.lstrip().startswith(PRAGMAS) else comment
    return width(text + counted) <= LINE_LENGTH
