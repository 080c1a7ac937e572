"""Which lines of a generated module the formatter must lay out (codegen/layout.py).

Tokenizing every line cost more than generating it: at 1,000 entities a package holds
millions of tokens. Many generated lines are already what `ruff format` writes, or differ
only in their quotes (generators write `repr()`s, with single quotes). `split_module` passes
those through, with the quotes `ruff format` prefers:

- a line alone: one physical line that fits in 88 columns, with no comment, backslash or
  string the quote rule cannot settle by itself, and no comma before a closing bracket;
- a block a generator already exploded: `head(` or `x = {`, then one element a line, each
  ending with a comma (a magic trailing comma, so `ruff format` keeps the block exploded),
  indented one level deeper, nested blocks laid out the same way, and the closing bracket
  back at the head's indentation;
- blank and comment-only lines, which the formatter copies as written.

Every other logical line, however many physical lines it spans, goes to the tokenizer whole.
Brackets and strings are tracked with regular expressions, so a bracket inside a string is
not counted. `tests/test_codegen_layout.py` checks that this gives what the tokenizer would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from dynamodel.compiler.codegen.layout_tree import INDENT, LINE_LENGTH

# One lexical piece a bracket count must see through: a triple quote (which opens or closes a
# multi-line string), a one-line string in either quote, a comment, or a bracket.
_PIECES = re.compile(r'"""|\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|#.*|[()\[\]{}]')
# A line's strings for the quote rule: double-quoted ones without escapes stay, single-quoted
# ones without escapes or double quotes become double-quoted (unless a prefix letter comes
# first: f-strings and raw strings go to the tokenizer). Anything else the rule or the layout
# would look at (a stray quote, a backslash, a comment) makes the line not simple.
_STRINGS = re.compile(r'(?P<double>"[^"\\\n]*")|(?P<single>\'[^\'"\\\n]*\')|(?P<other>[\'"\\#])')
_MAGIC = re.compile(r",\s*[)\]}]")
_DOUBLE_QUOTED = re.compile(r'"[^"]*"')
# The heads of blocks passed through as exploded: `def f(`, `from m import (`, and an
# optional `return `, `target = ` (`target: annotation = `), `"key": ` or `keyword=` before a
# dotted callee (or none) and its bracket.
_HEAD = re.compile(
    r"(?:def \w+|class \w+|from [\w.]+ import |"
    r'(?:return |[\w.]+(?:\["[^"]*"\])?(?:: [\w.\[\], |"]+)? = |"[^"]*": |\w+=)?[\w.]*)'
    r"[(\[{]$"
)
_OPENERS = "([{"
_CLOSERS = ")]}"
_PAIRS = {"(": ")", "[": "]", "{": "}"}
# (head line, element line, closing line) -> the element laid out in that block, or None
ElementLayout = Callable[[str, str, str], list[str] | None]


def _normalized(line: str) -> str | None:
    """`line` (without its newline) with `ruff format`'s quotes, or None when it is not a
    plain one-line text this module can vouch for."""
    if not line.isascii() or line != line.rstrip() or len(line) > LINE_LENGTH:
        return None
    stripped = line.lstrip()
    if stripped.startswith('"""') and stripped.endswith('"""') and len(stripped) >= 6:
        body = stripped[3:-3]  # a one-line docstring: kept as written
        return line if '"' not in body and "\\" not in body else None
    if (
        "'" not in line
        and "\\" not in line
        and "#" not in line
        and '"""' not in line
        and line.count('"') % 2 == 0
    ):
        return line  # double-quoted strings only (or none), in pairs: nothing to turn
    out: list[str] = []
    position = 0
    for match in _STRINGS.finditer(line):
        if match.group("other") is not None:
            return None
        start = match.start()
        if start > 0 and (line[start - 1].isalnum() or line[start - 1] == "_"):
            return None  # a prefixed string: f"…{x}…", r'…'
        out.append(line[position:start])
        text = match.group()
        out.append(text if match.group("double") else '"' + text[1:-1] + '"')
        position = match.end()
    out.append(line[position:])
    return "".join(out)


def _depth(code: str) -> tuple[int, int] | None:
    """(depth at the end, lowest depth reached) of a normalized line's brackets, strings
    removed; None when the brackets do not pair (`(]`)."""
    stack: list[str] = []
    lowest = 0
    closed = 0
    for char in _DOUBLE_QUOTED.sub("", code):
        if char in _OPENERS:
            stack.append(char)
        elif char in _CLOSERS:
            if stack:
                if _PAIRS[stack.pop()] != char:
                    return None
            else:
                closed += 1
                lowest = min(lowest, -closed)
    return len(stack) - closed, lowest


def _simple(line: str) -> str | None:
    code = _normalized(line)
    if code is None or _MAGIC.search(code):
        return None
    # A whole statement at its block's level: its brackets balance (valid Python never
    # closes one it did not open, so counting them is enough).
    bare = _DOUBLE_QUOTED.sub("", code) if '"' in code else code
    for opener, closer in _PAIRS.items():
        if bare.count(opener) != bare.count(closer):
            return None
    return code


def _exploded(lines: list[str], start: int, lay_out: ElementLayout) -> tuple[list[str], int] | None:
    """The block of a generator-exploded bracket that starts at `lines[start]` (normalized,
    with the index after it), or None when the lines are not such a block. An element on one
    line that is not simple (too long, say) is laid out by `lay_out`, alone in its block."""
    head = _normalized(lines[start].rstrip("\n"))
    if head is None or head.rstrip()[-1:] not in _OPENERS or _MAGIC.search(head):
        return None
    if _depth(head) != (1, 0):
        return None
    opener = head.rstrip()[-1]
    before = head.rstrip()[:-1]
    call = before[-1:].isalnum() or before[-1:] in "_]" or before.lstrip().startswith("from ")
    if not _HEAD.match(head.lstrip()):
        return None  # an operator before the bracket: `ruff format` may split there first
    # A parenthesized tuple's trailing comma is magic only after two elements or more.
    least = 1 if opener != "(" or call else 2
    indent = head[: len(head) - len(head.lstrip())]
    inner = indent + INDENT
    out = [head]
    index = start + 1
    elements = 0
    while index < len(lines):
        text = lines[index].rstrip("\n")
        if text.startswith(indent + _PAIRS[opener]) and not text.startswith(inner):
            code = _normalized(text)
            if code is None or _MAGIC.search(code) or elements < least:
                return None
            if _depth(code) != (-1, -1):
                return None
            return [*out, code], index + 1
        if not text.startswith(inner) or text[len(inner) : len(inner) + 1] == " ":
            return None
        code = _simple(text)
        if code is not None and code.endswith(","):
            out.append(code)
            index += 1
        elif _open_after(text, 0, None) == (0, None) and text.endswith(","):
            laid_out = lay_out(head, text, indent + _PAIRS[opener])
            if laid_out is None:
                return None
            out.extend(laid_out)
            index += 1
        elif (nested := _exploded(lines, index, lay_out)) and nested[0][-1].endswith(","):
            out.extend(nested[0])
            index = nested[1]
        else:  # an element over several lines that does not pass through: laid out alone
            end = index + 1
            depth, string = _open_after(text, 0, None)
            while end < len(lines) and (depth > 0 or string is not None):
                depth, string = _open_after(lines[end], depth, string)
                end += 1
            element = "".join(lines[index:end]).rstrip("\n")
            if depth != 0 or string is not None or not element.endswith(","):
                return None
            laid_out = lay_out(head, element, indent + _PAIRS[opener])
            if laid_out is None:
                return None
            out.extend(laid_out)
            index = end
        elements += 1
    return None


def _open_after(line: str, depth: int, string: str | None) -> tuple[int, str | None]:
    """The bracket depth and the open triple-quoted string (its quote) after `line`."""
    position = 0
    while position < len(line):
        if string is not None:
            end = line.find(string, position)
            if end < 0:
                return depth, string
            position, string = end + 3, None
            continue
        piece = _PIECES.search(line, position)
        if piece is None:
            break
        text = piece.group()
        position = piece.end()
        if text in ('"""', "'''"):
            string = text
        elif text in _OPENERS:
            depth += 1
        elif text in _CLOSERS:
            depth -= 1
    return depth, string


def split_module(lines: list[str], *, lay_out: ElementLayout) -> Iterator[tuple[bool, list[str]]]:
    """(needs the formatter, lines) in order: lines already laid out (with their newlines),
    and whole logical lines for the formatter. `lay_out(head, element, closer)` lays out one
    element of an exploded block as the formatter does there (its lines, or None)."""
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            yield False, [line]
            index += 1
            continue
        code = _simple(line.rstrip("\n"))
        if code is not None:
            yield False, [code + "\n"]
            index += 1
            continue
        block = _exploded(lines, index, lay_out)
        if block is not None:
            yield False, [text + "\n" for text in block[0]]
            index = block[1]
            continue
        piece = [line]
        depth, string = _open_after(line, 0, None)
        index += 1
        while index < len(lines) and (
            depth > 0 or string is not None or piece[-1].rstrip("\n").endswith("\\")
        ):
            piece.append(lines[index])
            depth, string = _open_after(lines[index], depth, string)
            index += 1
        first, last = piece[0].strip(), piece[-1].strip()
        if first.startswith('"""') and last.endswith('"""') and first != '"""':
            yield False, piece  # a multi-line docstring alone: the formatter keeps it as written
        else:
            yield True, piece
