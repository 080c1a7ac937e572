"""Lay out a generated module: only the runs of statements the generators could not write
laid out already go to the formatter (codegen/layout.py).

The generators write what `ruff format` writes (double quotes by `python.py`'s `py`,
exploded brackets with a magic trailing comma, the shapes that grow long by `fit.py`) except
where a long name makes a line too long. Laying out every line cost more than generating it
(at a thousand entities a package holds 400,000 lines), so `format_module` cuts the module at
its blank lines into runs of whole statements and lays out only the runs that need it.
"""

from __future__ import annotations

import re

from dynamodel.compiler.codegen.layout import lay_out
from dynamodel.compiler.codegen.layout_tree import LINE_LENGTH


def format_module(source: str) -> str:
    """`source`, a generated module, laid out as `ruff format` lays it out: a run that holds
    a line over 88 columns, a single quote, a backslash or a non-ASCII character is laid out
    by `lay_out`; the rest is kept as written. `tests/test_codegen_layout.py` holds the runs
    kept to the tokenizer's layout and to ruff, on the examples, the goldens and random specs
    with long names."""
    # The module's docstring aside (`ruff format` keeps its text as written): the usual
    # case, a module laid out already, is checked whole, without cutting it into runs.
    docstring_end = source.find('"""', 3) + 3 if source.startswith('"""') else 0
    if _laid_out(source, docstring_end):
        return source
    out: list[str] = []
    for run in _runs(source):
        out.append(run if _laid_out(run) else lay_out(run + "\n")[:-1])
    return "\n\n".join(out)


def _laid_out(text: str, start: int = 0) -> bool:
    """Whether generated statements (from `start` in `text`) are laid out already: no line
    over 88 columns (other than a docstring's first line: `ruff format` does not wrap
    docstrings), no single quote or backslash (quotes to settle), only ASCII (columns to
    count). Substring tests and one regular expression, no copy and no split: at 10,000
    entities a module holds 60 MB, and scanning it line by line cost more than generating it."""
    if not text.isascii() or text.find("\\", start) != -1 or text.find("'", start) != -1:
        return False
    return _LONG_FIRST_LINE.match(text, start) is None and _LONG_LINE.search(text, start) is None


# A line over 88 columns that is not a docstring's first line: the first line of the text,
# and every line after a newline.
_LONG_FIRST_LINE = re.compile(rf'(?![ ]*""")[^\n]{{{LINE_LENGTH + 1}}}')
_LONG_LINE = re.compile(rf'\n(?![ ]*""")[^\n]{{{LINE_LENGTH + 1}}}')


def _runs(source: str) -> list[str]:
    """`source` cut at its blank lines (`"\\n\\n".join` gives it back), never inside a
    triple-quoted string. Generators write no blank line inside brackets, so each run is
    whole statements."""
    runs: list[str] = []
    pending: list[str] = []
    quotes = 0  # triple quotes in the pending pieces: odd inside a string
    for piece in source.split("\n\n"):
        pending.append(piece)
        quotes += piece.count('"""')
        if quotes % 2 == 0:
            runs.append("\n\n".join(pending))
            pending = []
    if pending:
        runs.append("\n\n".join(pending))
    return runs
