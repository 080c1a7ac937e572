"""Lay out generated Python exactly as `ruff format` (its defaults) would, without ruff.

A generated package is checked in next to code that `ruff format` keeps tidy; if the formatter
changed it, `dynamodel generate --check` would call it stale. The generators write most
lines as ruff would (quotes by `python.py`'s `py`, the shapes that grow long by `fit.py`);
`format_module` lays out the statements they could not (those a long name made too long),
with `lay_out`, a small formatter for the constructs generators use: it re-splits every
logical line from its tokens with the rules of ruff's (and Black's) stable style at 88
columns:

- a line that fits is joined on one line, unless a bracket in it ends with a magic trailing
  comma (a comma before a closing bracket, other than a one-element tuple's);
- otherwise the last bracket of the line is split: its contents on one indented line when
  they fit, else one element a line with a trailing comma (one element alone gets none);
  a comprehension is split before its `for` and `if` clauses; `def` splits its parameters;
- a line whose value is an `or`/`and` chain or a conditional expression is split before
  those operators (a statement puts the value in parentheses first), then comparisons,
  then `|`;
- strings take double quotes unless that needs more escapes (`ruff format`'s quote rule).

Lines it does not understand (comments inside brackets, multi-line strings) are kept as
written. `tests/test_generated.py` runs `ruff format --check` on every generated package and
`tests/test_codegen_layout.py` on those of random specs and of long names, so a construct
this module lays out differently from ruff fails there.
"""

from __future__ import annotations

import io
import tokenize

from dynamodel.compiler.codegen.layout_tree import (
    CLOSING,
    COMPARISONS,
    INDENT,
    OPENING,
    Group,
    Node,
    Tok,
    bracket_tree,
    fits,
    flat_text,
    magic,
    must_break,
    split_elements,
    string_literal,
)
from dynamodel.compiler.codegen.line_scan import split_module


def lay_out(source: str) -> str:
    """`source` (whole statements, whatever their layout) laid out as `ruff format` lays out
    the constructs generators use; lines it would keep as written are not tokenized
    (codegen/line_scan.py)."""
    out: list[str] = []
    lines = source.splitlines(keepends=True)
    for needs_layout, piece in split_module(lines, lay_out=_element_in_block):
        out.append(_format_tokens("".join(piece)) if needs_layout else "".join(piece))
    return "".join(out)


def _element_in_block(head: str, element: str, closer: str) -> list[str] | None:
    """One element of an exploded block (a magic trailing comma keeps each element on its own
    lines, laid out alone), laid out in a block of its own; None when the head or the
    closing line would not come back unchanged."""
    laid_out = _format_tokens(f"{head}\n{element}\n{closer}\n").splitlines()
    if len(laid_out) < 3 or laid_out[0] != head or laid_out[-1] != closer:
        return None
    return laid_out[1:-1]


def _format_tokens(source: str) -> str:
    """`source`, whole logical lines, laid out from its tokens."""
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    pending: list[tokenize.TokenInfo] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            continue
        if token.type == tokenize.NL and not pending:
            out.append(lines[token.start[0] - 1])  # a blank line or a comment line
            continue
        if token.type == tokenize.COMMENT and not pending:
            continue  # the NL after it copies the line
        pending.append(token)
        if token.type == tokenize.NEWLINE:
            out.extend(line + "\n" for line in _logical_line(pending, lines))
            pending = []
    return "".join(out)


def _logical_line(tokens: list[tokenize.TokenInfo], lines: list[str]) -> list[str]:
    first, last = tokens[0], tokens[-1]
    verbatim = [line.rstrip("\n") for line in lines[first.start[0] - 1 : last.end[0]]]
    significant = [t for t in tokens if t.type not in (tokenize.NL, tokenize.NEWLINE)]
    comment = ""
    if significant and significant[-1].type == tokenize.COMMENT:
        comment = "  " + significant.pop().string
    if any(t.type == tokenize.COMMENT for t in significant):
        return verbatim  # a comment inside brackets: not a construct generators write
    if any(t.type == tokenize.STRING and t.start[0] != t.end[0] for t in significant):
        return verbatim  # a docstring or another multi-line string
    indent = " " * first.start[1]
    toks: list[Tok] = []
    previous: tokenize.TokenInfo | None = None
    for token in significant:
        if previous is not None and previous.end[0] == token.start[0]:
            space = lines[token.start[0] - 1][previous.end[1] : token.start[1]]
        elif (
            previous is None
            or previous.string in OPENING
            or token.string in CLOSING
            or token.string == ","
        ):
            space = ""
        else:
            space = " "
        text = string_literal(token.string) if token.type == tokenize.STRING else token.string
        toks.append(Tok(text, space, name=token.type == tokenize.NAME))
        previous = token
    return _statement(indent, bracket_tree(toks), comment)


# -- laying out -------------------------------------------------------------------------------


def _statement(indent: str, nodes: list[Node], comment: str) -> list[str]:
    flat = indent + flat_text(nodes)
    if not nodes or (fits(flat, comment) and not must_break(nodes)):
        return [flat + comment]
    first = nodes[0]
    if isinstance(first, Tok) and first.text in ("def", "class"):
        groups = [i for i, n in enumerate(nodes) if isinstance(n, Group)]
        if groups:
            return _split_at(indent, nodes, groups[0], "", comment, parameters=True)
    head, value, tail = _value(nodes)
    if _operator_level(value) in ("if", "or", "and") and not _omits_parentheses(value):
        return _parenthesized(indent, head, value, tail, comment)
    at = _split_point(indent, nodes)
    if at is None:
        return [flat + comment]
    if (
        head
        and value
        and not tail
        and (at < len(head) or not fits(_head_line(indent, nodes, at)))
        and fits(indent + flat_text(head) + " (")
    ):
        # The value has no bracket to split, or the line before its bracket would be too
        # long: the value goes in parentheses instead (when the line before them fits).
        return _parenthesized(indent, head, value, tail, comment)
    return _split_at(indent, nodes, at, "", comment)


def _parenthesized(
    indent: str, head: list[Node], value: list[Node], tail: list[Node], comment: str
) -> list[str]:
    """`head (` value `)tail`: the value on one line inside when it fits, else split at its
    operators."""
    lines = [indent + flat_text([*head, Tok("(", " " if head else "")])]
    inner = indent + INDENT
    if not must_break(value) and fits(inner + flat_text(value)):
        lines.append(inner + flat_text(value))
    else:
        lines.extend(_element(inner, value, ""))
    return [*lines, indent + ")" + flat_text(tail, lead=True) + comment]


def _omits_parentheses(value: list[Node]) -> bool:
    """ruff's exception: one operator at the loosest level, and the value starts or ends
    with a bracket that is not a subscript's: the bracket is split instead."""
    level = _operator_level(value)
    pieces = _split_operators(value, level) if level else [value]
    if len(pieces) != 2:
        return False

    def bracketed(node: Node) -> bool:
        return isinstance(node, Group) and bool(node.items) and node.open.text != "["

    return bracketed(value[-1]) or bracketed(value[0])


def _value(nodes: list[Node]) -> tuple[list[Node], list[Node], list[Node]]:
    """A statement as (head, value, tail): `if` ... `:`, `return` ..., `x =` ..."""
    first = nodes[0]
    if isinstance(first, Tok) and first.text in ("if", "elif", "while") and len(nodes) > 2:
        return nodes[:1], nodes[1:-1], nodes[-1:]
    if isinstance(first, Tok) and first.text in ("return", "assert", "raise"):
        return nodes[:1], nodes[1:], []
    for position, node in enumerate(nodes):
        if isinstance(node, Tok) and node.text in ("=", "+=", "-=", "|=", ":="):
            return nodes[: position + 1], nodes[position + 1 :], []
    return [], nodes, []


def _operator_level(nodes: list[Node]) -> str | None:
    """The loosest operator at the top of `nodes` a line is split at, if any."""
    texts = [n.text for n in nodes[1:] if isinstance(n, Tok)]
    if _is_for_clause(nodes):
        texts.remove("in")
    if "lambda" in [n.text for n in nodes if isinstance(n, Tok)]:
        return None
    if "if" in texts and "else" in texts:
        return "if"
    for level in ("or", "and"):
        if level in texts:
            return level
    if any(t in COMPARISONS for t in texts if t != "not"):
        return "compare"
    if "|" in texts:
        return "|"
    return None


def _is_for_clause(nodes: list[Node]) -> bool:
    texts = [n.text for n in nodes if isinstance(n, Tok)]
    return bool(texts) and texts[0] == "for" and "in" in texts


def _split_operators(nodes: list[Node], level: str) -> list[list[Node]]:
    pieces: list[list[Node]] = [[]]
    own_in = _is_for_clause(nodes)
    for position, node in enumerate(nodes):
        text = node.text if isinstance(node, Tok) else None
        if own_in and text == "in":
            own_in = False
            text = None
        starts = position > 0 and (
            (level == "if" and text in ("if", "else"))
            or (level in ("or", "and", "|") and text == level)
            or (level == "compare" and text in COMPARISONS and not _continues(nodes, position))
        )
        if starts and pieces[-1]:
            pieces.append([])
        pieces[-1].append(node)
    return pieces


def _continues(nodes: list[Node], position: int) -> bool:
    """`not` of `is not`, `in` of `not in`: the second word of one comparison."""
    before = nodes[position - 1]
    return isinstance(before, Tok) and before.text in ("is", "not") and before.name


def _element(
    indent: str, nodes: list[Node], suffix: str, comment: str = "", *, operators: bool = True
) -> list[str]:
    """One line inside brackets (or, without `operators`, a statement split only at its
    last bracket: a statement cannot break at an operator outside brackets)."""
    text = indent + flat_text(nodes) + suffix
    if fits(text, comment) and not must_break(nodes):
        return [text + comment]
    lambdas = [i for i, n in enumerate(nodes) if isinstance(n, Tok) and n.text == "lambda"]
    if lambdas and operators:
        colon = next(
            i
            for i in range(lambdas[0], len(nodes))
            if isinstance(n := nodes[i], Tok) and n.text == ":"
        )
        head, value = nodes[: colon + 1], nodes[colon + 1 :]
        at = _split_point(indent, nodes)
        if _operator_level(value) in ("if", "or", "and") or (
            at is not None
            and at > colon
            and not fits(_head_line(indent, nodes, at))
            and fits(indent + flat_text(head) + " (")
        ):
            wrapped = _parenthesized(indent, head, value, [], "")
            wrapped[-1] += suffix + comment
            return wrapped
    level = _operator_level(nodes) if operators and not lambdas else None
    if level is not None:
        pieces = _split_operators(nodes, level)
        lines: list[str] = []
        for number, piece in enumerate(pieces):
            end = number == len(pieces) - 1
            lines.extend(_element(indent, piece, suffix if end else "", comment if end else ""))
        return lines
    at = _split_point(indent, nodes)
    if at is None:
        return [text + comment]
    return _split_at(indent, nodes, at, suffix, comment)


def _split_point(indent: str, nodes: list[Node]) -> int | None:
    """The bracket a line is split at: the last one, or, when the line before it would be
    too long, an earlier one of the trailers that end the line (`item["a"]["S"]` splits
    `["a"]`), the way ruff omits trailers."""
    groups = [i for i, n in enumerate(nodes) if isinstance(n, Group)]
    if not groups:
        return None
    at = groups[-1]
    while not fits(_head_line(indent, nodes, at)):
        # Only a call or subscript right after another bracket is a trailer to omit.
        trailer = nodes[at]
        before = nodes[at - 1] if at > 0 else None
        if not (isinstance(trailer, Group) and trailer.call and isinstance(before, Group)):
            return groups[-1]
        at -= 1
    return at


def _head_line(indent: str, nodes: list[Node], at: int) -> str:
    group = nodes[at]
    assert isinstance(group, Group)
    return indent + flat_text([*nodes[:at], group.open])


def _split_at(
    indent: str,
    nodes: list[Node],
    at: int,
    suffix: str,
    comment: str,
    *,
    parameters: bool = False,
) -> list[str]:
    group = nodes[at]
    assert isinstance(group, Group)
    earlier = [i for i in range(at) if isinstance(nodes[i], Group)]
    if earlier and not fits(_head_line(indent, nodes, at)):
        # The line before the bracket is too long even so: split an earlier bracket, and lay
        # out the rest after its closing one (`X: Schema[\n    T\n] = Schema(...)`).
        at = earlier[-1]
        group = nodes[at]
        assert isinstance(group, Group)
        rest = [group.close, *nodes[at + 1 :]]
        return [
            _head_line(indent, nodes, at),
            *_body(indent + INDENT, group),
            *_element(indent, rest, suffix, comment, operators=False),
        ]
    heads = [_head_line(indent, nodes, at)]
    body = _body(indent + INDENT, group, parameters=parameters)
    tail = indent + group.close.text + flat_text(nodes[at + 1 :], lead=True) + suffix + comment
    return [*heads, *body, tail]


def _body(indent: str, group: Group, *, parameters: bool = False) -> list[str]:
    items = group.items
    if not items:
        return []
    texts = [n.text for n in items if isinstance(n, Tok)]
    if "for" in texts[1:] and not magic(group):  # a comprehension
        if not must_break(items) and fits(indent + flat_text(items)):
            return [indent + flat_text(items)]
        clauses: list[list[Node]] = [[]]
        for node in items:
            if isinstance(node, Tok) and node.text in ("for", "if") and clauses[-1]:
                clauses.append([])
            clauses[-1].append(node)
        return [line for clause in clauses for line in _element(indent, clause, "")]
    elements, trailing = split_elements(items)
    if parameters and len(elements) == 1:
        trailing = True  # a lone parameter split off gets a comma, which then holds it there
    hugs = (group.call or len(elements) == 1) and not (parameters and trailing)
    if hugs and not magic(group) and not must_break(items) and fits(indent + flat_text(items)):
        return [indent + flat_text(items)]
    if len(elements) == 1 and not trailing:
        return _element(indent, elements[0], "")
    return [line for element in elements for line in _element(indent, element, ",")]
