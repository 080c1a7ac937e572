"""Specs built to hurt the compiler — deep nesting, alias bombs, self-referring aliases,
ladders of shared members — get diagnostics, never a traceback, and finish (each compile runs
in a subprocess with a timeout, so a hang fails the test instead of stalling the suite)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dynamodel.compiler.pipeline import compile_spec

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


# Hostile values, not shapes: each once crashed a stage (exit 3, "internal error") or was
# written into artifacts DynamoDB would refuse. Through the real command line, since the crash
# was outside the compile (in codegen's `str(int)`) as often as in it.
VALUE_SPEC = """\
version: 1
table: Things
entities:
  Thing:
    id: [thing_id]
    attributes:
      thing_id: str
      tenant: str
      status: {{type: str, enum: [{enum}]}}
      count: {{type: int, default: {count}}}
      ratio: {{type: float, default: {ratio}}}
      day: {{type: date, default: {day}}}
access_patterns:
  get_thing: {{entity: Thing, by: [thing_id]}}
"""
PLAIN = {"enum": "open, closed", "count": "1", "ratio": "0.5", "day": "2024-01-01"}
HOSTILE_VALUES = {
    "lone surrogate in an enum": ({"enum": '"open\\ud800", closed'}, "lone surrogate"),
    "5,000-digit int default": ({"count": "9" * 5000}, "too long to read"),
    "5,000-digit hex int default": ({"count": "0x" + "f" * 5000}, "too long to read"),
    "base-60 int of 3,000 places": ({"count": "1" + ":59" * 3000}, "too long to read"),
    "39-digit int default": ({"count": "9" * 39}, "number range"),
    "float past 1E+126": ({"ratio": "1.0e+300"}, "number range"),
    "float under 1E-130": ({"ratio": "1.0e-200"}, "number range"),
    "month 13": ({"day": "2024-13-45"}, "is not a date"),
}


@pytest.mark.parametrize("name", list(HOSTILE_VALUES))
@pytest.mark.parametrize("command", ["check", "design"])
def test_hostile_value_exits_1_with_a_diagnostic(name: str, command: str, tmp_path: Path) -> None:
    values, expected = HOSTILE_VALUES[name]
    spec = tmp_path / "spec.yaml"
    spec.write_text(VALUE_SPEC.format(**{**PLAIN, **values}), encoding="utf-8")
    extra = ["--out", str(tmp_path / "out")] if command == "design" else []
    result = subprocess.run(
        [sys.executable, "-m", "dynamodel", command, str(spec), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "spec.yaml:" in result.stderr and expected in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_plain_values_of_the_hostile_value_spec_compile() -> None:
    """The spec the hostile values go into is itself fine, so each case tests only its value."""
    assert compile_spec(VALUE_SPEC.format(**PLAIN)).ok
