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
from itertools import compress

from dynamodel.compiler.codegen.layout import lay_out
from dynamodel.compiler.codegen.layout_tree import LINE_LENGTH


def format_module(source: str) -> str:
    """`source`, a generated module, laid out as `ruff format` lays it out: a run that holds
    a line over 88 columns, a single quote, a backslash or a non-ASCII character is laid out
    by `lay_out`; the rest is kept as written. `tests/test_codegen_layout.py` holds the runs
    kept to the tokenizer's layout and to ruff, on the examples, the goldens and random specs
    with long names."""
    if _module_laid_out(source):
        return source
    out: list[str] = []
    for run in _runs(source):
        out.append(run if _laid_out(run) else lay_out(run + "\n")[:-1])
    return "\n\n".join(out)


def _module_laid_out(source: str) -> bool:
    """Whether a whole module is laid out already, as `_laid_out` tells of a run, its
    docstring aside: the usual case, checked without cutting the module into runs (nor
    copying or splitting it: at 10,000 entities a module holds 60 MB)."""
    start = source.find('"""', 3) + 3 if source.startswith('"""') else 0
    if not source.isascii() or source.find("\\") != -1 or source.find("'", start) != -1:
        return False
    first_line = source.find("\n") if start == 0 else 0  # not after a newline: its own test
    return first_line <= LINE_LENGTH and _LONG_LINE.search(source, start) is None


# A line over 88 columns, other than a docstring's first line, after the module's docstring.
_LONG_LINE = re.compile(r'\n(?![ ]*""")[^\n]{89}')


def _laid_out(run: str) -> bool:
    """Whether a run of generated statements is laid out already: it holds
    no line over 88 columns (other than a docstring's first line: `ruff format` does not wrap
    docstrings), no single quote or backslash (quotes to settle), and only ASCII (columns to
    count). Substring tests and `len`: a regular expression scanning every position of a
    package of a thousand entities cost more than generating it."""
    if "'" in run or "\\" in run or not run.isascii():
        return False
    lines = run.split("\n")
    if max(map(len, lines)) <= LINE_LENGTH:
        return True
    long_lines = compress(lines, map(LINE_LENGTH.__lt__, map(len, lines)))  # looped in C
    return all(line.lstrip().startswith('"""') for line in long_lines)


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
