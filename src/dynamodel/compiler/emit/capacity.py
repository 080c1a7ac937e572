"""The capacity and cost estimates (`Design.capacity`, see compiler/design/capacity.py) as
text, Markdown and JSON, in the same words everywhere: per call, the monthly totals, the
prices with their region and date, and what point-in-time recovery and the template's
encryption key cost besides."""

from __future__ import annotations

import textwrap
from typing import Any

from dynamodel.compiler.design.capacity import provisioned_monthly_cost
from dynamodel.compiler.design.ir import CapacityEstimate, Design, ReadEstimate, WriteEstimate
from dynamodel.compiler.design.prices import BUILT_IN, Prices, price_data
from dynamodel.compiler.emit.cloudformation import encryption_key
from dynamodel.compiler.names import plural

TITLE = "Capacity per call (estimates; see docs/capacity.md)"
READ_HEADER = ("pattern", "index", "items", "read units", "rate/s", "$/month")
WRITE_HEADER = ("write", "operation", "items", "read units", "write units", "rate/s", "$/month")


def show_bytes(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} KB"


def show_units(units: float) -> str:
    return f"{units:g}"


def show_cost(cost: float | None) -> str:
    if cost is None:
        return "-"
    if 0 < cost < 0.01:
        return "<$0.01"
    return f"${cost:,.2f}"


def show_price(usd: float) -> str:
    """A unit price as AWS lists it: `$0.20`, `$0.125`, `$0.00013`."""
    text = f"{usd:g}"
    if "." in text and "e" not in text and len(text.split(".")[1]) == 1:
        text += "0"
    return f"${text}"


def show_rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:g}"


def show_write_units(write: WriteEstimate) -> str:
    """Table units, plus the units of the GSI copies: `22 + 3`."""
    if not write.index_units:
        return show_units(write.table_units)
    indexes = sum(units for _, units in write.index_units)
    return f"{show_units(write.table_units)} + {show_units(indexes)}"


def size_notes(design: Design) -> list[str]:
    """One entry per entity: its item size and where it comes from."""
    notes = []
    for size in design.capacity.sizes:
        source = "size hint" if size.hinted else "estimated"
        entity = design.entity(size.entity)
        count = f", {size.per_partition} per partition" if entity.aggregate_root else ""
        notes.append(f"{size.entity} {show_bytes(size.bytes)} ({source}{count})")
    return notes


def read_row(read: ReadEstimate) -> tuple[str, ...]:
    return (
        read.pattern,
        read.index,
        str(read.items),
        show_units(read.read_units),
        show_rate(read.rate),
        show_cost(read.monthly_cost),
    )


def write_row(write: WriteEstimate) -> tuple[str, ...]:
    return (
        write.method,
        write.operation,
        str(write.actions),
        show_units(write.read_units) if write.read_units else "-",
        show_write_units(write),
        show_rate(write.rate),
        show_cost(write.monthly_cost),
    )


def provisioned_line(design: Design) -> str | None:
    cost = provisioned_monthly_cost(design)
    if cost is None:
        return None
    table = design.spec.table
    prices = design.capacity.prices
    return (
        f"Provisioned: {table.read_capacity} read and {table.write_capacity} write units on the "
        f"table and on {_each_gsi(len(design.indexes))} cost {show_cost(cost)} per month "
        f"({show_price(prices.read_unit_hour)} and {show_price(prices.write_unit_hour)} per unit-hour), against "
        "the on-demand figures above"
    )


def _each_gsi(count: int) -> str:
    if count == 0:
        return "no GSI"
    return "its GSI" if count == 1 else f"each of its {count} GSIs"


def prices_line(prices: Prices) -> str:
    """Where and when the prices are from: every estimate is only as current as they are."""
    origin = (
        "built in; `--region` or `--prices FILE` to change"
        if prices.source == BUILT_IN
        else f"from {prices.source}"
    )
    return (
        f"Prices: {prices.region} as of {prices.as_of} ({origin}): on demand "
        f"{show_price(prices.read_per_million)} per million read and {show_price(prices.write_per_million)} per "
        f"million write request units; storage {show_price(prices.storage_gb_month)} per GB-month"
    )


def total_line(capacity: CapacityEstimate) -> str:
    calls = len(capacity.reads) + len(capacity.writes)
    rated = sum(1 for r in capacity.reads if r.rate is not None)
    rated += sum(1 for w in capacity.writes if w.rate is not None)
    if capacity.monthly_cost is None:
        return (
            "Monthly cost: give `rate:` to patterns and `write_rates:` to entities for an "
            "estimate (on demand)"
        )
    return (
        f"Monthly cost: {show_cost(capacity.monthly_cost)} on demand for {rated} of "
        f"{plural(calls, 'call')} with a rate"
    )


def backup_line(design: Design) -> str:
    """Point-in-time recovery: on unless the spec turns it off; billed by the table's size."""
    price = f"{show_price(design.capacity.prices.pitr_gb_month)} per GB-month of table data"
    if design.spec.table.point_in_time_recovery:
        return f"Point-in-time recovery: on in the template, {price}, besides storage"
    return f"Point-in-time recovery: off (`point_in_time_recovery: false`); on, it costs {price}"


# What each KMS key the template may select costs, in words and as JSON.
_KEYS = {
    "aws_owned": ("the AWS owned key", "free"),
    "aws_managed": (
        "the AWS managed KMS key aws/dynamodb, not the free AWS owned key",
        "no monthly key fee; DynamoDB's requests to KMS cost {kms} per 10,000 (it caches the "
        "table key, so they are few)",
    ),
    "customer_managed": (
        "a customer managed KMS key",
        "$1 per key-month, and {kms} per 10,000 requests",
    ),
}


def encryption_line(design: Design) -> str:
    key = encryption_key()
    what, cost = _KEYS[key]
    kms = f"{show_price(design.capacity.prices.kms_per_10k_requests)}"
    return f"Encryption at rest: the template uses {what}: {cost.format(kms=kms)}"


def text_lines(design: Design) -> list[str]:
    capacity = design.capacity
    lines = [TITLE, *_wrapped("item sizes: " + ", ".join(size_notes(design)))]
    for header, rows in (
        (READ_HEADER, [read_row(r) for r in capacity.reads]),
        (WRITE_HEADER, [write_row(w) for w in capacity.writes]),
    ):
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            cells = [
                cell.ljust(width) if column < 2 else cell.rjust(width)
                for column, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  " + "  ".join(cells).rstrip())
    for line in closing_lines(design):
        lines.extend(_wrapped(line))
    return lines


def closing_lines(design: Design) -> list[str]:
    """After the tables: the prices, the totals, backups and encryption."""
    capacity = design.capacity
    lines = [prices_line(capacity.prices), total_line(capacity)]
    provisioned = provisioned_line(design)
    if provisioned is not None:
        lines.append(provisioned)
    return [*lines, backup_line(design), encryption_line(design)]


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(
        text, width=96, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False
    )


def markdown_lines(design: Design) -> list[str]:
    capacity = design.capacity
    out = ["## Capacity and cost", ""]
    out.append(
        "Estimates per call, from the item sizes below (see docs/capacity.md for the rules): "
        "read units per 4 KB (half for eventually consistent reads), write units per 1 KB, "
        "transactions counting double, GSI copies counted as writes."
    )
    out.append("")
    out.extend(f"- {note}" for note in size_notes(design))
    for header, rows in (
        (READ_HEADER, [read_row(r) for r in capacity.reads]),
        (WRITE_HEADER, [write_row(w) for w in capacity.writes]),
    ):
        out.append("")
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            out.append(
                "| " + " | ".join(f"`{row[0]}`" if i == 0 else c for i, c in enumerate(row)) + " |"
            )
    for line in closing_lines(design):
        out.append("")
        out.append(line + ".")
    return out


def json_data(design: Design) -> dict[str, Any]:
    capacity = design.capacity
    return {
        "prices": price_data(capacity.prices),
        "item_sizes": {
            s.entity: {"bytes": s.bytes, "hinted": s.hinted, "per_partition": s.per_partition}
            for s in capacity.sizes
        },
        "reads": {
            r.pattern: {
                "index": r.index,
                "operation": r.operation,
                "requests": r.requests,
                "items": r.items,
                "bytes": r.bytes,
                "consistent": r.consistent,
                "read_units": r.read_units,
                "rate": r.rate,
                "monthly_cost": _rounded(r.monthly_cost),
            }
            for r in capacity.reads
        },
        "writes": {
            w.method: {
                "entity": w.entity,
                "kind": w.kind,
                "operation": w.operation,
                "items": w.actions,
                "read_units": w.read_units,
                "table_write_units": w.table_units,
                "index_write_units": dict(w.index_units),
                "write_units": w.write_units,
                "rate": w.rate,
                "monthly_cost": _rounded(w.monthly_cost),
            }
            for w in capacity.writes
        },
        "monthly_cost": _rounded(capacity.monthly_cost),
        "provisioned_monthly_cost": _rounded(provisioned_monthly_cost(design)),
        "point_in_time_recovery": {
            "enabled": design.spec.table.point_in_time_recovery,
            "usd_per_gb_month": capacity.prices.pitr_gb_month,
        },
        "encryption": {
            "key": encryption_key(),
            "usd_per_10000_kms_requests": (
                0.0 if encryption_key() == "aws_owned" else capacity.prices.kms_per_10k_requests
            ),
            "usd_per_key_month": 1.0 if encryption_key() == "customer_managed" else 0.0,
        },
    }


def _rounded(cost: float | None) -> float | None:
    return None if cost is None else round(cost, 4)
