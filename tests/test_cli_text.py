"""The command line echoes user text verbatim: positions such as `spec.yaml:100:13` (rich read
`:100:` as an emoji), and emoji codes and markup in file names, attribute names, descriptions
and enum values. Also: flags show no `<bool>` type in help, counts have correct plurals,
`check --format json`, and shell completion. Everything through real invocations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dynamodel.cli import app
from tests.test_cli import ROOT, TRACKER, run

EMOJI = ("💯", "🔢", "😄")


def _padded_spec() -> str:
    """Two unknown types, at 100:13 and 1234:13 (`:100:` and `:1234:` are emoji codes)."""
    lines = ["version: 1", "table: Things", "entities:", "  Thing:", "    id: [thing_id]"]
    lines += ["    attributes:", "      thing_id: str"]
    lines += ["      # padding"] * (99 - len(lines)) + ["      x123: nosuch"]
    lines += ["      # padding"] * (1233 - len(lines)) + ["      y123: nosuch"]
    lines += ["access_patterns:", "  get_thing: {entity: Thing, by: [thing_id]}"]
    return "\n".join(lines) + "\n"


def test_positions_at_lines_100_and_1234_print_as_numbers(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(_padded_spec())
    result = run("check", "spec.yaml", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("spec.yaml:100:13: error: unknown type `nosuch` for `Thing.x123`")
    assert lines[1].startswith("spec.yaml:1234:13: error: unknown type `nosuch` for `Thing.y123`")
    assert lines[2] == "2 errors in spec.yaml"
    assert not any(emoji in result.stderr for emoji in EMOJI)


HOSTILE = """\
version: 1
table: Things
entities:
  Thing:
    description: "[bold]A thing:smile: :100: [/bold]"
    id: [thing_id]
    attributes:
      thing_id: str
      "[bold]x:smile:": str
      status: {type: str, enum: [":smile:", "[bold]open[/bold]"], default: ":100:"}
access_patterns:
  get_thing: {entity: Thing, by: [thing_id]}
"""


def test_emoji_codes_and_markup_in_file_names_and_values_are_printed_verbatim(
    tmp_path: Path,
) -> None:
    name = "s:100:2 [bold]:smile:.yaml"
    (tmp_path / name).write_text(HOSTILE)
    result = run("check", name, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{name}:9:7: error: ") and "`[bold]x:smile:`" in lines[0]
    assert lines[1] == (
        f"{name}:10:7: error: default `:100:` of `Thing.status` is not in its enum "
        "(use one of :smile:, [bold]open[/bold])"
    )
    assert lines[-1] == f"2 errors in {name}"
    assert not any(emoji in result.stderr for emoji in EMOJI)


def test_a_clean_spec_under_a_hostile_name_reports_and_writes_verbatim(tmp_path: Path) -> None:
    name = "t:100:2 [red]:smile:.yaml"
    spec = HOSTILE.replace('      "[bold]x:smile:": str\n', "").replace('default: ":100:"', "")
    (tmp_path / name).write_text(spec.replace("{type: str, enum", "{type: str, enum", 1))
    checked = run("check", name, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == (f"{name}: ok (1 entity, 1 access pattern, 0 GSIs, 0 warnings)\n")
    out = "o:1234:5 [bold]x"
    designed = run("design", name, "--out", out, cwd=tmp_path)
    assert designed.returncode == 0, designed.stderr
    assert designed.stderr == f"wrote the design artifacts to {out}\n"
    models = (tmp_path / out / "things" / "models.py").read_text()
    assert 'Literal[":smile:", "[bold]open[/bold]"]' in models
    assert not any(emoji in designed.stdout + designed.stderr for emoji in EMOJI)


def test_the_console_of_every_message_has_markup_and_emoji_off() -> None:
    from dynamodel.cli.common import stderr

    console = stderr()
    with console.capture() as captured:
        console.print("spec.yaml:100:13: [bold]x[/bold] :smile:")
    assert captured.get() == "spec.yaml:100:13: [bold]x[/bold] :smile:\n"


def test_typer_errors_echo_user_text_verbatim() -> None:
    runner = CliRunner()
    bad_format = runner.invoke(app, ["design", str(TRACKER), "-f", "[bold]x:100:"])
    assert bad_format.exit_code == 2
    assert "'[bold]x:100:'" in bad_format.output
    bad_command = runner.invoke(app, [":smile:[red]"])
    assert bad_command.exit_code == 2 and "':smile:[red]'" in bad_command.output
    assert not any(emoji in bad_format.output + bad_command.output for emoji in EMOJI)


COMMANDS = ("design", "generate", "check", "cloudformation", "schema", "diff", "iam", "try")


@pytest.mark.parametrize("command", (None, *COMMANDS))
def test_help_shows_no_type_for_flags(command: str | None) -> None:
    arguments = ["--help"] if command is None else [command, "--help"]
    result = CliRunner().invoke(app, arguments, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "--help" in result.output


def test_help_still_shows_the_type_of_options_that_take_a_value() -> None:
    result = CliRunner().invoke(app, ["try", "--help"], env={"COLUMNS": "200"})
    assert "<text|json>" in result.output and "<str>" in result.output
    keep = next(line for line in result.output.splitlines() if "--keep" in line)
    assert "<" not in keep.split("Leave")[0]


@pytest.mark.parametrize(
    ("spec", "summary"),
    [
        (
            TRACKER,
            "ok (6 entities, 12 access patterns, 3 GSIs, 0 warnings)",
        ),
        (
            ROOT / "tests/golden/provisioned_stream_ttl/spec.yaml",
            "ok (1 entity, 2 access patterns, 1 GSI, 0 warnings)",
        ),
    ],
)
def test_check_counts_with_correct_plurals(spec: Path, summary: str) -> None:
    result = run("check", spec)
    assert result.returncode == 0, result.stderr
    if spec == TRACKER:  # other work may add entities to the example: check the words
        words = result.stderr.split("ok (", 1)[1]
        assert "entities," in words and "GSIs," in words and "warnings)" in words
    else:
        assert result.stderr == f"{spec}: {summary}\n"


def test_one_warning_is_one_warning(tmp_path: Path) -> None:
    spec = tmp_path / "warn.yaml"
    spec.write_text(
        "version: 1\ntable: Warned\nentities:\n  Order:\n    id: [order_id]\n"
        "    attributes: {order_id: str, status: {type: str, enum: [open, closed]}}\n"
        "access_patterns:\n  get_order: {entity: Order, by: [order_id]}\n"
        "  orders_by_status: {entity: Order, by: [status]}\n"
    )
    result = run("check", "warn.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == (
        "warn.yaml: ok (1 entity, 2 access patterns, 1 GSI, 1 warning)"
    )


def test_the_workbench_description_counts_with_correct_plurals() -> None:
    path = ROOT / "tests/golden/provisioned_stream_ttl/spec.yaml"
    result = run("design", path, "--format", "workbench")
    description = json.loads(result.stdout)["ModelMetadata"]["Description"]
    assert ": 1 entity, 2 access patterns, 1 GSI." in description


def test_check_json_lists_every_diagnostic_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(_padded_spec())
    result = run("check", "spec.yaml", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == ""
    found = json.loads(result.stdout)
    assert [(d["file"], d["line"], d["col"], d["severity"]) for d in found] == [
        ("spec.yaml", 100, 13, "error"),
        ("spec.yaml", 1234, 13, "error"),
    ]
    assert set(found[0]) == {"file", "line", "col", "severity", "code", "message", "hint"}
    assert found[0]["code"] is None
    assert found[0]["message"] == "unknown type `nosuch` for `Thing.x123`"
    assert found[0]["hint"].startswith("use str, int")


def test_check_json_of_a_clean_spec_is_its_warnings_and_exit_0(tmp_path: Path) -> None:
    clean = run("check", TRACKER, "-f", "json")
    assert clean.returncode == 0 and json.loads(clean.stdout) == [] and clean.stderr == ""
    warned = run("check", ROOT / "tests/golden/hot_partitions/spec.yaml", "-f", "json")
    assert warned.returncode == 0
    assert {d["severity"] for d in json.loads(warned.stdout)} == {"warning"}


def test_check_json_of_a_file_that_is_not_text_or_not_there(tmp_path: Path) -> None:
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00")
    binary = run("check", "bin.yaml", "-f", "json", cwd=tmp_path)
    assert binary.returncode == 1
    (diagnostic,) = json.loads(binary.stdout)
    assert (diagnostic["line"], diagnostic["col"], diagnostic["severity"]) == (1, 1, "error")
    assert diagnostic["message"].startswith("the spec is not UTF-8 text")
    missing = run("check", "missing.yaml", "-f", "json", cwd=tmp_path)
    assert missing.returncode == 2 and missing.stdout == ""
    assert "cannot read missing.yaml" in missing.stderr and "Traceback" not in missing.stderr


def test_shell_completion_options_exist_and_print_a_script() -> None:
    help_text = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    assert "--install-completion" in help_text and "--show-completion" in help_text
    result = subprocess.run(
        [sys.executable, "-m", "dynamodel", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env={**os.environ, "SHELL": "/bin/bash"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Named after the installed command, also under `python -m dynamodel`.
    assert "complete -o default -F _dynamodel_completion dynamodel" in result.stdout
    assert "_DYNAMODEL_COMPLETE=complete_bash" in result.stdout


def test_completion_completes_commands_and_options() -> None:
    def complete(words: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, "-m", "dynamodel"],
            capture_output=True,
            text=True,
            env={
                **os.environ,
                "_DYNAMODEL_COMPLETE": "complete_bash",
                "COMP_WORDS": words,
                "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
            },
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert complete("dynamodel de") == ["design"]
    assert "--format" in complete("dynamodel check spec.yaml --f")
