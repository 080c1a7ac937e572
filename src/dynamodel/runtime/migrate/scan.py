"""The driver every migration and backfill runs on: a strongly consistent scan of the table
for one kind of item per phase, page by page, optionally one segment of a parallel scan,
held to a capacity budget, with a cursor to resume from.

A kind of rewrite (`items.py`, `counted.py`, ...) gives its phases: the items each one scans
for (`_type`, and for guards `_entity`) and what to do with each item found. The driver
does the rest the same way for all of them: `segment` / `total_segments` (DynamoDB's
`Segment`, `TotalSegments`: run every segment, in any processes, to cover the table; each
has its own cursor, refused for another segment), `page_size`, `max_pages`, `on_page` (the
report after every page, with the cursor to resume from should the process stop) and
`max_units_per_second` (a pause whenever the units used so far exceed the budget for the
time elapsed).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dynamodel.runtime.errors import InvalidCursorError
from dynamodel.runtime.migrate.report import MigrationReport
from dynamodel.runtime.schema import TYPE_ATTRIBUTE, Item
from dynamodel.runtime.sizes import item_size
from dynamodel.runtime.table import Table

MAX_SEGMENTS = 1_000_000  # DynamoDB's limit of TotalSegments


@dataclass
class Budget:
    """Capacity units used since the run started, and the pause that keeps them within
    `per_second` on average (no pause without a budget)."""

    per_second: float | None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    used: float = 0.0
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def charge(self, response: Mapping[str, Any], *, estimate: float = 0.0) -> None:
        """Add the units a response reports (`ReturnConsumedCapacity`), else `estimate`."""
        reported = response.get("ConsumedCapacity", {}).get("CapacityUnits")
        self.used += float(reported) if reported is not None else estimate

    def spend(self, units: float) -> None:
        """Add units the run estimated itself (writes that report none)."""
        self.used += units

    def pace(self) -> None:
        """Wait until the units used so far fit in the time elapsed."""
        if self.per_second is None:
            return
        wait = self.used / self.per_second - (self.clock() - self.started)
        if wait > 0:
            self.sleep(wait)


# What a phase does with one item it found: the report after it. It charges the budget with
# the units of its own requests (the scan's are charged by the driver).
Handler = Callable[[Item, MigrationReport, Budget], MigrationReport]


@dataclass(frozen=True)
class Phase:
    """One scan over the table: the items whose attributes equal `match` (`_type`, and for
    a guard its entity), each handed to `handle`."""

    name: str
    match: Mapping[str, str]
    handle: Handler


def write_units(item: Item, *, per_kb: float = 1.0) -> float:
    """The estimated write units of writing `item` (`per_kb` 2 in a transaction)."""
    return per_kb * max(1, math.ceil(item_size(item) / 1024))


def check_options(
    page_size: int, segment: int | None, total_segments: int | None, per_second: float | None
) -> tuple[int, int] | None:
    """Refuse bad options before anything is read; the (segment, total) part, if any."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    if (segment is None) != (total_segments is None):
        raise ValueError("give segment and total_segments together")
    if total_segments is not None and not (
        1 <= total_segments <= MAX_SEGMENTS and 0 <= (segment or 0) < total_segments
    ):
        raise ValueError(
            f"segment must be in 0..total_segments-1 and total_segments in 1..{MAX_SEGMENTS}"
        )
    if per_second is not None and per_second <= 0:
        raise ValueError("max_units_per_second must be positive")
    if segment is not None and total_segments is not None:
        return segment, total_segments
    return None


def run_phases(
    table: Table,
    report: MigrationReport,
    phases: Sequence[Phase],
    *,
    cursor: str | None,
    page_size: int,
    max_pages: int | None,
    on_page: Callable[[MigrationReport], None] | None,
    part: tuple[int, int] | None,
    budget: Budget,
) -> MigrationReport:
    """Scan for each phase's items in turn, from `cursor`; see the module docstring."""
    names = [p.name for p in phases]
    position, start = decode_cursor(cursor, part, names)
    pages = 0
    while max_pages is None or pages < max_pages:
        phase = phases[position]
        request = _scan_request(table, phase, page_size, start, part)
        response = table.call(table.client.scan, **request)
        pages += 1
        budget.charge(response)
        for item in response.get("Items", []):
            report = phase.handle(item, report, budget)
        report = replace(report, units=budget.used)
        budget.pace()
        start = response.get("LastEvaluatedKey")
        if start is None:
            if position + 1 < len(phases):
                position += 1  # the next page starts the next phase from the beginning
            else:
                report = replace(report, cursor=None)
                if on_page is not None:
                    on_page(report)
                return report
        report = replace(report, cursor=encode_cursor(names[position], start, part))
        if on_page is not None:
            on_page(report)
    return report


def _scan_request(
    table: Table, phase: Phase, page_size: int, start: Item | None, part: tuple[int, int] | None
) -> dict[str, Any]:
    tests = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    for position, (name, value) in enumerate(phase.match.items()):
        tests.append(f"#m{position} = :m{position}")
        names[f"#m{position}"] = name
        values[f":m{position}"] = {"S": value}
    request: dict[str, Any] = {
        "TableName": table.name,
        "Limit": page_size,
        "ConsistentRead": True,
        "FilterExpression": " AND ".join(tests),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ReturnConsumedCapacity": "TOTAL",
    }
    if start is not None:
        request["ExclusiveStartKey"] = start
    if part is not None:
        request["Segment"], request["TotalSegments"] = part
    return request


def type_match(entity: str) -> dict[str, str]:
    """The `match` of a phase over one entity's items."""
    return {TYPE_ATTRIBUTE: entity}


def encode_cursor(phase: str, key: Item | None, part: tuple[int, int] | None) -> str:
    state: dict[str, Any] = {"phase": phase, "key": key}
    if part is not None:
        state["segment"] = list(part)
    text = json.dumps(state, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(
    cursor: str | None, part: tuple[int, int] | None, phases: Sequence[str]
) -> tuple[int, Item | None]:
    """(position of the phase, the start key) a cursor resumes; (0, None) without one."""
    if cursor is None:
        return 0, None
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        phase, key = state["phase"], state["key"]
        theirs = state.get("segment")
        if theirs is not None and not (
            isinstance(theirs, list) and len(theirs) == 2 and all(type(n) is int for n in theirs)
        ):
            raise ValueError("a bad segment")
        valid = (
            phase in phases
            and (key is None or (isinstance(key, dict) and set(key) == {"PK", "SK"}))
            and all(
                isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str)
                for v in (key or {}).values()
            )
        )
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error):
        valid = False
    if not valid:
        raise InvalidCursorError("not a migration cursor (pass back the report's cursor)")
    if (tuple(theirs) if theirs is not None else None) != part:
        shown = "the whole table" if theirs is None else f"segment {theirs[0]} of {theirs[1]}"
        raise InvalidCursorError(f"this cursor resumes {shown}: pass the same segment")
    return list(phases).index(phase), key
