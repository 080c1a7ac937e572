"""What DynamoDB costs, by region: the prices the capacity estimates are priced at.

A small built-in table (`REGIONS`) holds a few regions' list prices of the standard table
class, with the date they hold from; `dynamodel design --region R` picks one and
`--prices FILE` reads others (`read_prices`, a JSON or YAML object with the keys of
`PRICE_KEYS`, the same as `capacity.prices` in the JSON design). The default is us-east-1.
Prices change: the date is printed with every estimate, so a reader knows how old they are.
"""

from __future__ import annotations

import datetime
import difflib
import math
from dataclasses import dataclass

from dynamodel.compiler.diagnostics import Diagnostic, Pos, error
from dynamodel.compiler.spec.yamlnodes import YMap, YNode, YScalar, parse_yaml

SECONDS_PER_MONTH = 730 * 3600  # a month is 730 hours, as AWS bills
DEFAULT_REGION = "us-east-1"
BUILT_IN = "built-in"


@dataclass(frozen=True, slots=True)
class Prices:
    """USD, standard table class. On demand per million request units; provisioned per
    capacity unit-hour; storage and point-in-time recovery per GB-month; KMS per 10,000
    requests (a customer or AWS managed key; the AWS owned key is free)."""

    region: str
    as_of: str  # ISO date: when these prices were read (or the date they hold from)
    read_per_million: float
    write_per_million: float
    read_unit_hour: float
    write_unit_hour: float
    storage_gb_month: float
    pitr_gb_month: float
    kms_per_10k_requests: float
    source: str = BUILT_IN  # or the name of the `--prices` file


# AWS's list prices after the on-demand price reduction effective 2024-11-01 (on demand
# halved; provisioned, storage and backups unchanged). Per region: on-demand read and write
# per million units, provisioned read and write per unit-hour, storage and point-in-time
# recovery per GB-month, KMS per 10,000 requests. Only the US regions that share one price
# list are built in: the figures of other regions could not be checked against AWS's page
# here, and a wrong price is worse than none (`--prices FILE` gives any region's).
_PRICE_LIST_DATE = "2024-11-01"
_TABLE: dict[str, tuple[float, float, float, float, float, float, float]] = {
    "us-east-1": (0.125, 0.625, 0.00013, 0.00065, 0.25, 0.20, 0.03),
    "us-east-2": (0.125, 0.625, 0.00013, 0.00065, 0.25, 0.20, 0.03),
    "us-west-2": (0.125, 0.625, 0.00013, 0.00065, 0.25, 0.20, 0.03),
}
REGIONS: dict[str, Prices] = {
    region: Prices(region, _PRICE_LIST_DATE, *figures) for region, figures in _TABLE.items()
}
PRICES = REGIONS[DEFAULT_REGION]


def region_prices(region: str) -> Prices:
    """The built-in prices of a region; ValueError (saying what to do) for another."""
    try:
        return REGIONS[region]
    except KeyError:
        raise ValueError(
            f"no built-in prices for region {region!r} (built in: {', '.join(REGIONS)}); "
            "give them with --prices FILE (see docs/capacity.md#prices)"
        ) from None


# The keys of a prices file, as the JSON design's `capacity.prices` spells them, and the
# fields they set. `seconds_per_month` may be given (the JSON design has it) but not changed.
PRICE_KEYS: dict[str, str] = {
    "region": "region",
    "as_of": "as_of",
    "read_request_units_per_million": "read_per_million",
    "write_request_units_per_million": "write_per_million",
    "read_capacity_unit_hour": "read_unit_hour",
    "write_capacity_unit_hour": "write_unit_hour",
    "storage_gb_month": "storage_gb_month",
    "point_in_time_recovery_gb_month": "pitr_gb_month",
    "kms_requests_per_10000": "kms_per_10k_requests",
}
_IGNORED_KEYS = ("source", "seconds_per_month")


def price_data(prices: Prices) -> dict[str, object]:
    """The prices as the JSON design and prices files spell them."""
    data: dict[str, object] = {key: getattr(prices, field) for key, field in PRICE_KEYS.items()}
    data["source"] = prices.source
    data["seconds_per_month"] = SECONDS_PER_MONTH
    return data


def read_prices(text: str, *, source: str) -> tuple[Prices | None, tuple[Diagnostic, ...]]:
    """A prices file (JSON, or YAML: JSON is YAML) read, or every diagnostic at once."""
    tree, parse_problems = parse_yaml(text)
    if tree is None:
        if parse_problems and parse_problems[0].message == "the spec is empty":
            return None, (error(Pos(1, 1), "the prices file is empty", _FILE_HINT),)
        return None, parse_problems
    if not isinstance(tree, YMap):
        return None, (error(tree.pos, "a prices file is one object (a mapping)", _FILE_HINT),)
    found: dict[str, str | float] = {}
    problems: list[Diagnostic] = []
    for key, node in tree.entries:
        name = str(key.value)
        if name in _IGNORED_KEYS:
            if name == "seconds_per_month" and _value(node) != SECONDS_PER_MONTH:
                problems.append(
                    error(
                        node.pos,
                        f"`seconds_per_month` is {SECONDS_PER_MONTH} (730 hours, as AWS bills)",
                        "leave it out",
                    )
                )
            continue
        field = PRICE_KEYS.get(name)
        if field is None:
            close = difflib.get_close_matches(name, PRICE_KEYS, n=1)
            hint = f"did you mean `{close[0]}`?" if close else _keys()
            problems.append(error(key.pos, f"unknown key `{name}` in the prices file", hint))
            continue
        value, problem = _field_value(name, node)
        if problem is not None:
            problems.append(problem)
        else:
            found[field] = value
    given = {str(key.value) for key, _ in tree.entries}
    missing = [key for key in PRICE_KEYS if key not in given]
    if missing:
        names = ", ".join(f"`{key}`" for key in missing)
        problems.append(error(tree.pos, f"the prices file lacks {names}", _keys()))
    if problems:
        return None, tuple(sorted(problems, key=lambda d: (d.pos, d.message)))
    number = {field: float(value) for field, value in found.items() if isinstance(value, float)}
    return Prices(
        region=str(found["region"]),
        as_of=str(found["as_of"]),
        read_per_million=number["read_per_million"],
        write_per_million=number["write_per_million"],
        read_unit_hour=number["read_unit_hour"],
        write_unit_hour=number["write_unit_hour"],
        storage_gb_month=number["storage_gb_month"],
        pitr_gb_month=number["pitr_gb_month"],
        kms_per_10k_requests=number["kms_per_10k_requests"],
        source=source,
    ), ()


_FILE_HINT = "see docs/capacity.md#prices for the format"


def _keys() -> str:
    return "a prices file has " + ", ".join(f"`{key}`" for key in PRICE_KEYS)


def _value(node: YNode) -> object:
    return node.value if isinstance(node, YScalar) else None


def _field_value(name: str, node: YNode) -> tuple[str | float, Diagnostic | None]:
    value = _value(node)
    if name == "region":
        if isinstance(value, str) and value.strip():
            return value.strip(), None
        return "", error(node.pos, "`region` must be a region name, such as `eu-west-1`")
    if name == "as_of":
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value.isoformat(), None
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value.strip()).isoformat(), None
            except ValueError:
                pass
        return "", error(
            node.pos,
            "`as_of` must be the date the prices were read, as YYYY-MM-DD",
            "for example `as_of: 2026-12-01`",
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0.0, error(node.pos, f"`{name}` must be a number of US dollars, such as 0.25")
    if value < 0:
        return 0.0, error(node.pos, f"`{name}` must not be negative")
    return float(value), None
