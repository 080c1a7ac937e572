"""The capacity and cost estimates (`Design.capacity`, see compiler/design/capacity.py) as
text, Markdown and JSON, in the same words everywhere."""

from __future__ import annotations

import textwrap
from typing import Any

from dynamodel.compiler.design.capacity import (
    PRICES,
    SECONDS_PER_MONTH,
    provisioned_monthly_cost,
)
from dynamodel.compiler.design.ir import CapacityEstimate, Design, ReadEstimate, WriteEstimate

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
    return (
        f"Provisioned: {table.read_capacity} read and {table.write_capacity} write units on the "
        f"table and on {_each_gsi(len(design.indexes))} cost {show_cost(cost)} per month "
        f"(${PRICES.read_unit_hour:g} and ${PRICES.write_unit_hour:g} per unit-hour), against "
        "the on-demand figures above"
    )


def _each_gsi(count: int) -> str:
    if count == 0:
        return "no GSI"
    return "its GSI" if count == 1 else f"each of its {count} GSIs"


def total_line(capacity: CapacityEstimate) -> str:
    calls = len(capacity.reads) + len(capacity.writes)
    rated = sum(1 for r in capacity.reads if r.rate is not None)
    rated += sum(1 for w in capacity.writes if w.rate is not None)
    prices = (
        f"on demand in {PRICES.region} at ${PRICES.read_per_million:g} per million read and "
        f"${PRICES.write_per_million:g} per million write request units"
    )
    if capacity.monthly_cost is None:
        return (
            f"Monthly cost: give `rate:` to patterns and `write_rates:` to entities for an "
            f"estimate ({prices})"
        )
    return (
        f"Monthly cost: {show_cost(capacity.monthly_cost)} for the {rated} of {calls} calls "
        f"with a rate ({prices})"
    )


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
    for line in (total_line(capacity), provisioned_line(design)):
        if line is not None:
            lines.extend(_wrapped(line))
    return lines


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
    out.append("")
    out.append(total_line(capacity) + ".")
    provisioned = provisioned_line(design)
    if provisioned is not None:
        out.append("")
        out.append(provisioned + ".")
    return out


def json_data(design: Design) -> dict[str, Any]:
    capacity = design.capacity
    return {
        "prices": {
            "region": PRICES.region,
            "read_request_units_per_million": PRICES.read_per_million,
            "write_request_units_per_million": PRICES.write_per_million,
            "seconds_per_month": SECONDS_PER_MONTH,
        },
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
    }


def _rounded(cost: float | None) -> float | None:
    return None if cost is None else round(cost, 4)
