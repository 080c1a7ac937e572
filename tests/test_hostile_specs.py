"""Specs built to hurt the compiler — deep nesting, alias bombs, self-referring aliases,
ladders of shared members — get diagnostics, never a traceback, and finish (each compile runs
in a subprocess with a timeout, so a hang fails the test instead of stalling the suite)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAD = "version: 1\ntable: Things\n"


def deep_sequence() -> str:
    return HEAD + "entities: " + "[" * 3000 + "]" * 3000 + "\n"


def deep_mapping() -> str:
    return HEAD + "entities: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"


def deep_type() -> str:
    nested = "list[" * 1500 + "str" + "]" * 1500
    return HEAD + f'entities:\n  Thing:\n    id: [x]\n    attributes: {{x: str, y: "{nested}"}}\n'


def alias_bomb() -> str:
    lines = [HEAD + "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 10)]
    return "\n".join(lines) + "\n"


def self_alias() -> str:
    return HEAD + "entities: &e {Thing: {id: [x], attributes: {x: str}, members: *e}}\n"


def member_diamonds(layers: int = 30) -> str:
    # Each layer's two entities both list the next layer's: exponential paths, linear spec.
    lines = [HEAD, "entities:"]
    for n in range(layers):
        ids = ", ".join(f"k{i}" for i in range(n + 1))
        for side in "AB":
            lines.append(f"  {side}{n}:")
            lines.append(f"    id: [{ids}]")
            lines.append("    attributes: {" + ", ".join(f"k{i}: str" for i in range(n + 1)) + "}")
            if n + 1 < layers:
                lines.append(f"    members: {{a{n}: A{n + 1}, b{n}: B{n + 1}}}")
    return "\n".join(lines) + "\n"


CASES = {
    "deep sequence": (deep_sequence, "nested too deeply"),
    "deep mapping": (deep_mapping, "nested too deeply"),
    "deep type": (deep_type, "nested too deeply"),
    "alias bomb": (alias_bomb, "aliases"),
    "self-referring alias": (self_alias, "aliases"),
    "member diamonds": (member_diamonds, "already a member"),
}

RUN = (
    "import json, sys\n"
    "from dynamodel.compiler.pipeline import compile_spec\n"
    "result = compile_spec(sys.stdin.read())\n"
    "print(json.dumps([d.message for d in result.diagnostics]))\n"
)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_spec_gets_diagnostics(name: str) -> None:
    build, expected = CASES[name]
    result = subprocess.run(
        [sys.executable, "-c", RUN],
        input=build(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    messages = json.loads(result.stdout)
    assert messages and any(expected in message for message in messages), messages[:3]
