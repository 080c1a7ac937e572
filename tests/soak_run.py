"""One proxy soak, end to end: create the tracker and iot tables on a backend, run the workers
(tests/soak_workers.py) through the fault proxy (tests/proxy.py), let the proxy drain, scan
both tables straight from the backend and check them against the log
(tests/soak_invariants.py). Each run's summary line goes to `tests.soak_figures.SOAK_FIGURES`
for the terminal summary (tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.backends import client_for
from tests.consistency import scan_items
from tests.proxy import FaultProxy, FaultRates
from tests.soak_figures import SOAK_FIGURES
from tests.soak_invariants import SoakReport, check_soak
from tests.soak_workers import (
    CURSOR_KEY,
    WORKERS,
    Call,
    FleetRepository,
    Tables,
    TrackerRepository,
    fleet_schema,
    run_workers,
    tracker_schema,
)

__all__ = ["SOAK_FIGURES", "SoakRun", "run_soak"]

_FIGURES_LOCK = threading.Lock()


@dataclass
class SoakRun:
    """A finished soak: its log, the faults the proxy injected and the check's report."""

    name: str
    seed: int
    seconds: float
    calls: list[Call]
    faults: Counter[str]
    requests: int
    report: SoakReport
    upstream_lost: int = 0  # requests whose backend connection broke (not injected)
    elapsed: float = 0.0
    by_operation: Counter[tuple[str, str]] = field(default_factory=Counter)

    def summary(self) -> str:
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(self.faults.items()))
        outcomes = ", ".join(f"{kind} {n}" for kind, n in sorted(self.report.outcomes.items()))
        return (
            f"proxy soak {self.name} (seed {self.seed}, {self.seconds:.0f} s, {WORKERS} workers): "
            f"{self.report.operations} operations ({outcomes}), {self.requests} requests, "
            f"{sum(self.faults.values())} faults injected ({faults}), "
            f"{self.report.invariants_checked} invariants checked, "
            f"{len(self.report.violations)} violations"
        )

    def details(self, most: int = 20) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in self.report.kinds().most_common())
        shown = "\n  ".join(self.report.violations[:most])
        return (
            f"{self.summary()}\nbackend connections lost: {self.upstream_lost}\n"
            f"violations by kind: {kinds}\n  {shown}"
        )


def run_soak(
    backend: str,
    endpoint_url: str,
    table_prefix: str,
    *,
    seed: int,
    seconds: float,
    rates: FaultRates | None = None,
    name: str = "",
    log_path: Path | None = None,
) -> SoakRun:
    """Run one soak against the backend at `endpoint_url` (see the module docstring); with
    `log_path`, write every call there as one JSON object a line."""
    began = time.monotonic()
    direct: Any = client_for(backend, endpoint_url)
    tables = Tables(tracker=f"{table_prefix}-tracker", fleet=f"{table_prefix}-fleet")
    TrackerRepository(direct, tables.tracker, cursor_key=CURSOR_KEY).create_table()
    FleetRepository(direct, tables.fleet, cursor_key=CURSOR_KEY).create_table()
    proxy = FaultProxy(endpoint_url, seed=seed, rates=rates).start()
    try:
        calls = run_workers(proxy.url, tables, seed=seed, seconds=seconds)
    finally:
        proxy.close()  # every forwarded request answered: nothing lands after the scan
    if log_path is not None:
        write_log(calls, log_path)
    tracker_items, _ = scan_items(direct, tables.tracker)
    fleet_items, _ = scan_items(direct, tables.fleet)
    report = check_soak(
        calls,
        tracker_items,
        fleet_items,
        tracker_schema=tracker_schema,
        fleet_schema=fleet_schema,
    )
    run = SoakRun(
        name=name or backend,
        seed=seed,
        seconds=seconds,
        calls=calls,
        faults=proxy.faults(),
        requests=proxy.counts["requests"],
        upstream_lost=proxy.counts["upstream_lost"],
        report=report,
        elapsed=time.monotonic() - began,
        by_operation=proxy.by_operation,
    )
    with _FIGURES_LOCK:
        SOAK_FIGURES.append(run.summary())
    return run


def write_log(calls: list[Call], path: Path) -> None:
    """The calls as JSON lines (what a failed soak is debugged from)."""
    with path.open("w") as out:
        for call in calls:
            entry = dataclasses.asdict(call)
            entry["result"] = repr(call.result)[:500]
            out.write(json.dumps(entry, default=repr) + "\n")
