"""Lines the generators write already laid out as `ruff format` lays them out.

The layout pass (codegen/layout.py) keeps a run of statements as written unless a line in it
is over 88 columns; laying one out costs more than generating it, and at a thousand entities
the long names of a spec make thousands of such lines. So the generators write the shapes
that often grow long (a signature, a call, a keyword argument holding a conditional) through
these helpers, which apply ruff's rules when every piece fits on a line of its own. When one
does not, they return the one-line form and the layout pass lays it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dynamodel.compiler.codegen.layout_tree import INDENT, LINE_LENGTH
from dynamodel.compiler.codegen.python import py


@dataclass(frozen=True)
class Call:
    """A call written as an element of another bracket: split like its caller when its line
    is too long (`keys.join(` ... `)`)."""

    head: str
    elements: tuple[str | Call, ...]
    tail: str = ")"

    def __str__(self) -> str:
        return self.head + ", ".join(map(str, self.elements)) + self.tail


def bracketed(
    indent: str, head: str, elements: Sequence[str | Call], tail: str, *, call: bool = True
) -> list[str]:
    """`head` (ending with its opening bracket), the comma-separated `elements`, and `tail`
    (starting with the closing bracket): on one line when it fits; else the elements on one
    line between the brackets when it fits and the bracket is a call's or a signature's;
    else one element a line, each with a trailing comma (a `Call` too long for its line split
    the same way)."""
    texts = [str(e) for e in elements]
    one_line = f"{indent}{head}{', '.join(texts)}{tail}"
    if len(one_line) <= LINE_LENGTH or not elements:
        return [one_line]
    if max(len(indent + head), len(indent + tail)) > LINE_LENGTH:
        return [one_line]  # ruff would split an earlier bracket first
    inner = indent + INDENT
    hugs = call or len(elements) == 1
    if hugs and len(hugged := inner + ", ".join(texts)) <= LINE_LENGTH:
        return [indent + head, hugged, indent + tail]
    if len(elements) < 2:
        return [one_line]
    lines = [indent + head]
    for element, text in zip(elements, texts, strict=True):
        if len(inner + text) < LINE_LENGTH:
            lines.append(f"{inner}{text},")
            continue
        if not isinstance(element, Call):
            return [one_line]
        split = bracketed(inner, element.head, element.elements, element.tail + ",")
        if len(split) == 1:
            return [one_line]
        lines += split
    return [*lines, indent + tail]


def signature(indent: str, name: str, parameters: list[str], returns: str) -> list[str]:
    """`def name(parameters) -> returns:` laid out: ruff splits a signature's brackets like a
    call's, except that a lone parameter split off goes on its own line with a comma."""
    head, tail = f"def {name}(", f") -> {returns}:"
    lone = f"{indent}{INDENT}{parameters[0]}," if len(parameters) == 1 else ""
    if lone and len(f"{indent}{head}{parameters[0]}{tail}") > LINE_LENGTH:
        fits = max(len(lone), len(indent + head), len(indent + tail)) <= LINE_LENGTH
        return [indent + head, lone, indent + tail] if fits else [indent + head + lone + tail]
    return bracketed(indent, head, parameters, tail)


def conditional(indent: str, head: str, value: str, test: str, other: str, tail: str) -> list[str]:
    """`head value if test else other tail` (a keyword argument or a dict entry, `tail` its
    comma): on one line when it fits, else split before `if` and `else`."""
    one_line = f"{indent}{head}{value} if {test} else {other}{tail}"
    if len(one_line) <= LINE_LENGTH:
        return [one_line]
    lines = [f"{indent}{head}{value}", f"{indent}if {test}", f"{indent}else {other}{tail}"]
    return lines if all(len(line) <= LINE_LENGTH for line in lines) else [one_line]


def literal_lines(indent: str, head: str, value: object, tail: str) -> list[str]:
    """`head`, a constant made of dicts, lists and scalars, and `tail`: on one line when it
    fits, else its outer bracket opened, one entry a line with a trailing comma (a lone entry
    without one), each laid out the same way."""
    flat = f"{indent}{head}{py(value)}{tail}"
    if len(flat) <= LINE_LENGTH or not isinstance(value, dict | list) or not value:
        return [flat]
    if isinstance(value, dict):
        opener, closer, items = "{", "}", [(f"{py(k)}: ", v) for k, v in value.items()]
    else:
        opener, closer, items = "[", "]", [("", v) for v in value]
    inner = indent + INDENT
    if len(items) == 1:
        body = literal_lines(inner, items[0][0], items[0][1], "")
    else:
        body = [line for key, item in items for line in literal_lines(inner, key, item, ",")]
    return [f"{indent}{head}{opener}", *body, f"{indent}{closer}{tail}"]
