"""The shapes generators write already laid out (`codegen/fit.py`): what they return is what
the layout pass (`lay_out`) and `ruff format` make of the same statement on one line, or,
when a piece would not fit on a line of its own, that one line for the layout pass."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.compiler.codegen.fit import bracketed, conditional, signature
from dynamodel.compiler.codegen.layout import lay_out
from tests.test_codegen_layout import ruff_format_check

names = st.from_regex(r"[a-z][a-z0-9_]{0,30}", fullmatch=True)
elements = st.one_of(
    names,
    st.builds(lambda a, b: f"{a}={b}", names, names),
    st.builds(lambda a, b: f"{a}: {b} | None = None", names, names),
    st.builds(lambda f, a, b: f"{f}({a}, attribute={b!r})".replace("'", '"'), names, names, names),
)
parameters = st.one_of(
    names,
    st.builds(lambda a, b: f"{a}: {b}", names, names),
    st.builds(lambda a, b: f"{a}: {b} | None = None", names, names),
)
indents = st.sampled_from(["", "    ", "        ", "            "])


def _check(lines: list[str], one_line: str) -> None:
    text = "\n".join(lines) + "\n"
    assert lay_out(text) == text  # kept as written
    assert lay_out(one_line + "\n") == text  # and the layout of the statement on one line


def _body(indent: str, lines: list[str]) -> list[str]:
    """A block around indented lines, so they are statements of their own."""
    return [f"{indent[:-4]}if x:", *lines] if indent else lines


@settings(max_examples=100, deadline=None)
@given(indent=indents, callee=names, items=st.lists(elements, min_size=1, max_size=6))
def test_a_call_is_laid_out_as_the_formatter_does(
    indent: str, callee: str, items: list[str]
) -> None:
    lines = bracketed(indent, f"{callee}(", items, ")")
    one_line = f"{indent}{callee}({', '.join(items)})"
    if lines == [one_line] and len(one_line) > 88:
        return  # left to the layout pass
    _check(_body(indent, lines), "\n".join(_body(indent, [one_line])))


@settings(max_examples=100, deadline=None)
@given(indent=indents, name=names, items=st.lists(parameters, min_size=1, max_size=6), ret=names)
def test_a_signature_is_laid_out_as_the_formatter_does(
    indent: str, name: str, items: list[str], ret: str
) -> None:
    lines = signature(indent, name, items, ret)
    one_line = f"{indent}def {name}({', '.join(items)}) -> {ret}:"
    if lines == [one_line] and len(one_line) > 88:
        return
    pass_line = f"{indent}    pass"
    _check(_body(indent, [*lines, pass_line]), "\n".join(_body(indent, [one_line, pass_line])))


@settings(max_examples=100, deadline=None)
@given(key=names, value=names, test=names, other=elements)
def test_a_conditional_argument_is_laid_out_as_the_formatter_does(
    key: str, value: str, test: str, other: str
) -> None:
    lines = conditional("    ", f"{key}=", value, f"{test} is None", other, ",")
    one_line = f"    {key}={value} if {test} is None else {other},"
    if lines == [one_line] and len(one_line) > 88:
        return
    _check(["f(", *lines, ")"], "\n".join(["f(", one_line, ")"]))


def test_the_shapes_are_what_ruff_writes(tmp_path: Path) -> None:
    # ruff itself is the oracle for a fixed sample of each shape, short and long.
    chooser = random.Random(14)

    def name() -> str:
        return "n" + "".join(chooser.choice("abcdefgh_") for _ in range(chooser.randrange(30)))

    def laid_out(lines: list[str]) -> bool:  # not left to the layout pass
        return len(lines) > 1 or len(lines[0]) <= 88

    snippets: list[list[str]] = []
    for _ in range(150):
        items = [f"{name()}={name()}" for _ in range(chooser.randrange(1, 6))]
        call = bracketed("    ", f"{name()}(", items, ")")
        parameters = ["self", "*", *(f"{name()}: {name()}" for _ in range(chooser.randrange(1, 5)))]
        method = signature("    ", name(), parameters, name())
        bound = conditional("        ", f"{name()}=", "None", f"{name()} is None", name(), ",")
        snippets += [call] if laid_out(call) else []
        snippets += [[*method, "        pass"]] if laid_out(method) else []
        snippets += [["    g(", *bound, "    )"]] if laid_out(bound) else []
    assert len(snippets) > 300
    assert sum(len(lines) > 3 for lines in snippets) > 50  # long ones, split
    text = "def f():\n" + "\n\n".join("\n".join(lines) for lines in snippets) + "\n"
    (tmp_path / "shapes.py").write_text(text)
    checked = ruff_format_check(tmp_path)
    assert checked.returncode == 0, checked.stdout
