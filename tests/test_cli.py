"""The command line as users run it: exit codes, outputs, files written, no tracebacks."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dynamodel.cli import app

ROOT = Path(__file__).resolve().parent.parent
TRACKER = ROOT / "examples" / "tracker" / "spec.yaml"
BAD = sorted((ROOT / "tests" / "bad").glob("*.yaml"))


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dynamodel", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_design_prints_the_design_and_exits_0() -> None:
    result = run("design", TRACKER)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (TRACKER.parent / "design.txt").read_text().replace(
        "spec.yaml:", f"{TRACKER}:"
    )


def test_design_json_matches_the_contract_shape() -> None:
    result = run("design", TRACKER, "--format", "json")
    assert result.returncode == 0, result.stderr
    design = json.loads(result.stdout)
    assert design["table"] == design["table"] | {
        "name": "Tracker",
        "partition_key": "PK",
        "sort_key": "SK",
    }
    assert design["indexes"][0] == {
        "name": "GSI1",
        "partition_key": "GSI1PK",
        "sort_key": "GSI1SK",
        "projection": "ALL",
    }
    assert set(design["entities"]["Ticket"]["keys"]["table"]) == {"PK", "SK"}
    assert set(design["entities"]["Ticket"]["keys"]["GSI1"]) == {"GSI1PK", "GSI1SK"}
    get_ticket = design["access_patterns"]["get_ticket"]
    assert {k: get_ticket[k] for k in ("operation", "index", "requests", "consistent")} == {
        "operation": "Query",
        "index": None,
        "requests": 1,
        "consistent": True,
    }
    assert get_ticket["filter"] is None
    assert get_ticket["key_condition"] == "PK = :pk"
    assert design["warnings"] == []
    for plan in design["access_patterns"].values():
        assert plan["operation"] in ("GetItem", "Query")
        assert plan["filter"] is None


def test_design_markdown_is_the_report() -> None:
    result = run("design", TRACKER, "--format", "markdown")
    assert result.returncode == 0
    assert result.stdout.startswith("# Tracker: table design")
    assert "| `tickets_by_status` |" in result.stdout


def test_design_out_writes_every_artifact(tmp_path: Path) -> None:
    result = run("design", TRACKER, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [
        "design.json",
        "report.html",
        "report.md",
        "template.yaml",
        "tracker",
        "workbench.json",
    ]
    for name in [n for n in written if "." in n]:
        assert (tmp_path / "out" / name).read_text() == (TRACKER.parent / name).read_text()
    for module in (TRACKER.parent / "generated" / "tracker").iterdir():
        if module.is_dir():  # __pycache__ of a run that imported the package from here
            continue
        assert (tmp_path / "out" / "tracker" / module.name).read_text() == module.read_text()


def test_design_html_is_the_report_page() -> None:
    result = run("design", TRACKER, "--format", "html")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")
    # The page names the spec as given on the command line; report.html names it spec.yaml.
    page = result.stdout.replace(html.escape(str(TRACKER)), "spec.yaml")
    assert page == (TRACKER.parent / "report.html").read_text()


def test_design_workbench_is_the_model() -> None:
    result = run("design", TRACKER, "--format", "workbench")
    assert result.returncode == 0, result.stderr
    model = json.loads(result.stdout)
    expected = json.loads((TRACKER.parent / "workbench.json").read_text())
    assert model["DataModel"] == expected["DataModel"]
    assert model["ModelMetadata"]["Version"] == "3.0"
    assert str(TRACKER) in model["ModelMetadata"]["Description"]


def test_cloudformation_yaml_and_json() -> None:
    as_yaml = run("cloudformation", TRACKER)
    as_json = run("cloudformation", TRACKER, "--format", "json")
    assert as_yaml.returncode == as_json.returncode == 0
    assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout)


def test_check_ok_and_schema() -> None:
    result = run("check", TRACKER)
    assert result.returncode == 0
    assert "ok" in result.stderr
    schema = run("schema")
    assert schema.returncode == 0
    assert json.loads(schema.stdout)["title"].startswith("dynamodel spec")


# A sample of the bad specs through every command in a real process (the entry point, its
# exit); every bad spec through `check` in this process (the same code path, a hundred
# Python start-ups fewer).
CASES = [
    (spec, command)
    for spec in BAD[::10]
    for command in ("check", "design", "cloudformation", "iam")
]


@pytest.mark.parametrize(("spec", "command"), CASES, ids=lambda p: getattr(p, "stem", p))
def test_bad_specs_exit_1_with_diagnostics_and_no_traceback(spec: Path, command: str) -> None:
    result = run(command, spec.name, cwd=spec.parent)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    expected = spec.with_suffix(".expected").read_text().splitlines()
    assert result.stderr.splitlines()[: len(expected)] == expected


@pytest.mark.parametrize("spec", BAD, ids=lambda p: p.stem)
def test_every_bad_spec_fails_check_with_its_diagnostics(
    spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(spec.parent)
    result = CliRunner().invoke(app, ["check", spec.name])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    expected = spec.with_suffix(".expected").read_text().splitlines()
    assert result.stderr.splitlines()[: len(expected)] == expected


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("design", tmp_path / "missing.yaml").returncode == 2
    assert run("design", TRACKER, "--format", "xml").returncode == 2
    assert run("no-such-command").returncode == 2
    assert run("design").returncode == 2


def test_non_utf8_spec_is_a_spec_error(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(b"version: 1\ntable: \xff\xfe\n")
    result = run("check", spec)
    assert result.returncode == 1
    assert "not UTF-8" in result.stderr
    assert "Traceback" not in result.stderr


def test_warnings_go_to_stderr_and_do_not_fail(tmp_path: Path) -> None:
    spec = ROOT / "tests" / "golden" / "hot_partitions" / "spec.yaml"
    result = run("design", spec, "--format", "json")
    assert result.returncode == 0
    assert result.stderr.count(": warning: ") == 4
    assert len(json.loads(result.stdout)["warnings"]) == 4


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("dynamodel ")
