"""Prices of the cost estimates: the built-in regions (dated), `design --region`, `--prices
FILE` (its format, its diagnostics), the price date and region in every output, and what
point-in-time recovery and the template's KMS key cost."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from dynamodel.compiler.design.capacity import priced
from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.design.prices import (
    BUILT_IN,
    PRICE_KEYS,
    PRICES,
    REGIONS,
    SECONDS_PER_MONTH,
    price_data,
    read_prices,
    region_prices,
)
from dynamodel.compiler.emit.capacity import json_data, text_lines
from dynamodel.compiler.emit.cloudformation import emit_cloudformation, encryption_key
from dynamodel.compiler.pipeline import compile_spec
from tests.test_cli import ROOT, run

IOT = ROOT / "examples/iot/spec.yaml"  # provisioned, with rates
HINTS = ROOT / "tests/golden/capacity_hints/spec.yaml"


def _design(path: Path) -> Design:
    result = compile_spec(path.read_text(encoding="utf-8"), path=path.name)
    assert result.design is not None, result.rendered()
    return result.design


def test_the_built_in_regions_are_dated_and_us_east_1_is_the_default() -> None:
    assert PRICES is REGIONS["us-east-1"]
    assert (PRICES.read_per_million, PRICES.write_per_million) == (0.125, 0.625)
    assert (PRICES.read_unit_hour, PRICES.write_unit_hour) == (0.00013, 0.00065)
    assert (PRICES.storage_gb_month, PRICES.pitr_gb_month) == (0.25, 0.20)
    assert len(REGIONS) >= 3
    for name, prices in REGIONS.items():
        assert prices.region == name and prices.source == BUILT_IN
        assert len(prices.as_of) == 10 and prices.as_of.startswith("20")
        figures = [getattr(prices, field) for field in PRICE_KEYS.values()][2:]
        assert all(isinstance(f, float) and f > 0 for f in figures), name
    assert region_prices("us-west-2") is REGIONS["us-west-2"]
    assert "eu-west-1" not in REGIONS  # unchecked figures are not built in: --prices FILE
    with pytest.raises(ValueError, match=r"no built-in prices for region 'mars-1'.*--prices"):
        region_prices("mars-1")


def test_a_design_priced_elsewhere_keeps_its_units_and_scales_its_costs() -> None:
    design = _design(IOT)
    ireland = replace(PRICES, region="eu-west-1", read_per_million=0.1415)  # a prices file's
    moved = priced(design, ireland)
    assert moved.capacity.prices is ireland and design.capacity.prices is PRICES
    assert moved.warnings == design.warnings
    rated = 0
    for before, after in zip(design.capacity.reads, moved.capacity.reads, strict=True):
        assert after.read_units == before.read_units
        if before.rate is None:
            assert after.monthly_cost is None
            continue
        rated += 1
        expected = before.rate * SECONDS_PER_MONTH * before.read_units * 0.1415 / 1e6
        assert after.monthly_cost == pytest.approx(expected)
    assert rated > 0
    assert moved.capacity.monthly_cost is not None and design.capacity.monthly_cost is not None
    assert moved.capacity.monthly_cost > design.capacity.monthly_cost
    assert priced(design, PRICES) is design


def test_every_output_names_the_region_and_the_date_of_its_prices() -> None:
    design = priced(_design(IOT), REGIONS["us-west-2"])
    text = "\n".join(text_lines(design))
    assert "Prices: us-west-2 as of 2024-11-01 (built in; `--region` or `--prices FILE`" in text
    data = json_data(design)
    assert data["prices"] == price_data(REGIONS["us-west-2"])
    assert data["prices"]["as_of"] == "2024-11-01" and data["prices"]["region"] == "us-west-2"


def test_point_in_time_recovery_and_the_kms_key_are_priced() -> None:
    design = _design(IOT)
    text = " ".join(line.strip() for line in text_lines(design))
    assert "Point-in-time recovery: on in the template, $0.20 per GB-month of table data" in text
    assert "the AWS managed KMS key aws/dynamodb, not the free AWS owned key" in text
    assert "$0.03 per 10,000" in text
    data = json_data(design)
    assert data["point_in_time_recovery"] == {"enabled": True, "usd_per_gb_month": 0.2}
    assert data["encryption"] == {
        "key": "aws_managed",
        "usd_per_10000_kms_requests": 0.03,
        "usd_per_key_month": 0.0,
    }
    # The key named is the one the template selects: SSE on, no key of one's own.
    template = yaml.safe_load(emit_cloudformation(design, fmt="yaml"))
    sse = next(iter(template["Resources"].values()))["Properties"]["SSESpecification"]
    assert sse == {"SSEEnabled": True} and encryption_key() == "aws_managed"
    off = replace(
        design,
        spec=replace(design.spec, table=replace(design.spec.table, point_in_time_recovery=False)),
    )
    off_text = " ".join(line.strip() for line in text_lines(off))
    assert (
        "Point-in-time recovery: off (`point_in_time_recovery: false`); on, it costs $0.20"
        in off_text
    )
    assert json_data(off)["point_in_time_recovery"]["enabled"] is False


GOOD = """\
region: ap-south-1
as_of: 2026-12-01
read_request_units_per_million: 0.1
write_request_units_per_million: 0.5
read_capacity_unit_hour: 0.0001
write_capacity_unit_hour: 0.0005
storage_gb_month: 0.3
point_in_time_recovery_gb_month: 0.24
kms_requests_per_10000: 0.03
"""


def test_a_prices_file_in_yaml_or_json_is_read() -> None:
    prices, problems = read_prices(GOOD, source="prices.yaml")
    assert problems == () and prices is not None
    assert (prices.region, prices.as_of, prices.source) == (
        "ap-south-1",
        "2026-12-01",
        "prices.yaml",
    )
    assert prices.write_per_million == 0.5 and prices.pitr_gb_month == 0.24
    # The JSON design's `capacity.prices` is a prices file: it reads back as the same prices.
    data = json.dumps(price_data(prices))
    again, problems = read_prices(data, source="prices.json")
    assert problems == () and again == replace(prices, source="prices.json")


def test_a_bad_prices_file_gets_every_diagnostic_at_once() -> None:
    bad = (
        GOOD.replace("as_of: 2026-12-01", "as_of: yesterday")
        .replace("0.5\n", "-1\n")
        .replace("read_capacity_unit_hour: 0.0001", "read_capacity_unit_hour: true")
        .replace("storage_gb_month", "storage_gb_mnoth")
    ) + "seconds_per_month: 3600\n"
    prices, problems = read_prices(bad, source="p.yaml")
    assert prices is None
    assert [d.render("p.yaml") for d in problems] == [
        "p.yaml:1:1: error: the prices file lacks `storage_gb_month` (a prices file has "
        + ", ".join(f"`{key}`" for key in PRICE_KEYS)
        + ")",
        "p.yaml:2:8: error: `as_of` must be the date the prices were read, as YYYY-MM-DD "
        "(for example `as_of: 2026-12-01`)",
        "p.yaml:4:34: error: `write_request_units_per_million` must not be negative",
        "p.yaml:5:26: error: `read_capacity_unit_hour` must be a number of US dollars, such "
        "as 0.25",
        "p.yaml:7:1: error: unknown key `storage_gb_mnoth` in the prices file (did you mean "
        "`storage_gb_month`?)",
        "p.yaml:10:20: error: `seconds_per_month` is 2628000 (730 hours, as AWS bills) "
        "(leave it out)",
    ]
    for text, message in (
        ("", "the prices file is empty"),
        ("[1, 2]", "a prices file is one object (a mapping)"),
        ("region: [", "invalid YAML"),
    ):
        prices, problems = read_prices(text, source="p.yaml")
        assert prices is None and message in problems[0].message, problems


def test_cli_region_prices_every_output_and_both_processes_of_out(tmp_path: Path) -> None:
    result = run("design", IOT, "--region", "us-west-2", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "Prices: us-west-2 as of 2024-11-01" in result.stdout
    design_json = json.loads((tmp_path / "out" / "design.json").read_text())
    assert design_json["capacity"]["prices"]["region"] == "us-west-2"
    assert "Prices: us-west-2 as of 2024-11-01" in (tmp_path / "out" / "report.md").read_text()
    # report.html is written by the forked child: it prices the same way.
    assert "Prices: us-west-2 as of 2024-11-01" in (tmp_path / "out" / "report.html").read_text()
    default = run("design", IOT, "-f", "json")
    assert json.loads(default.stdout)["capacity"]["prices"]["region"] == "us-east-1"


def test_cli_prices_file(tmp_path: Path) -> None:
    (tmp_path / "prices.yaml").write_text(GOOD)
    result = run("design", HINTS, "--prices", tmp_path / "prices.yaml", "-f", "markdown")
    assert result.returncode == 0, result.stderr
    assert "Prices: ap-south-1 as of 2026-12-01 (from prices.yaml)" in result.stdout


def test_cli_price_options_that_cannot_be_used_exit_2_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"region": "x", "as_of": "2026-13-01"}')
    for arguments, message in (
        (("--region", "mars-1"), "no built-in prices for region 'mars-1'"),
        (("--region", "us-west-2", "--prices", "p.yaml"), "exclude each other"),
        (("--prices", "missing.yaml"), "cannot read missing.yaml"),
        (("--prices", "bad.json"), "bad.json:1:26: error: `as_of` must be the date"),
    ):
        result = run("design", IOT, *arguments, cwd=tmp_path)
        assert result.returncode == 2, (arguments, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert result.stdout == ""
    assert "2 errors in bad.json" in run("design", IOT, "--prices", "bad.json", cwd=tmp_path).stderr
