"""Compile benchmark: `dynamodel design --out` on synthetic specs of 100, 1,000 and 10,000
entities, each run in a subprocess with a timeout.

Each entity has an optional attribute (`str?`, as real specs have) and 5 access patterns (a
get by id, a list by a tenant attribute sorted by a datetime, a unique lookup, a sparse `where`
list, a list by an enum plus tenant), and every tenth entity roots an aggregate with one
member. Entities share GSIs, so the design stays
within DynamoDB's 20-GSI limit at any size.

Run: `python bench/compile.py [--repeat N] [--sizes 100 1000 10000] [--timeout S]`. Each run
is the whole command a user runs — start Python, import, parse, check, design, write every
artifact and the Python package — timed from outside (wall) and by the child's CPU time. A run
that exceeds the timeout is killed and reported, so a hang or a quadratic blow-up fails the
benchmark instead of stalling it. Prints, per size, the best and median wall time, the median
CPU time and the CPU time per pattern (flat when growth is linear), then the targets.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

SIZES = (100, 1000, 10000)
# The targets for `design --out`, wall seconds on the project's 2-core machine.
TARGETS = {1000: 1.5, 10000: 15.0}


def synthetic_spec(entities: int) -> str:
    spec: dict[str, Any] = {"version": 1, "table": "Bench", "entities": {}, "access_patterns": {}}
    for number in range(entities):
        name = f"Thing{number}"
        key = f"thing{number}_id"
        spec["entities"][name] = {
            "id": [key],
            "attributes": {
                key: "str",
                "tenant_id": "str",
                "email": "str",
                "status": {"type": "str", "enum": ["open", "closed"]},
                "created_at": "datetime",
                "score": "int",
                "note": "str?",  # optional, as most real entities have some
            },
            "unique": ["email"],
        }
        if number % 10 == 0:
            member = f"Part{number}"
            spec["entities"][name]["members"] = {"parts": member}
            spec["entities"][member] = {
                "id": [key, "position"],
                "attributes": {key: "str", "position": "int", "text": "str"},
            }
        patterns = spec["access_patterns"]
        lower = f"thing{number}"
        patterns[f"get_{lower}"] = {"entity": name, "by": [key]}
        patterns[f"{lower}_by_tenant"] = {
            "entity": name,
            "by": ["tenant_id"],
            "sort": "created_at",
            "order": "desc",
        }
        patterns[f"{lower}_by_email"] = {"entity": name, "by": ["email"]}
        patterns[f"open_{lower}"] = {
            "entity": name,
            "by": ["tenant_id"],
            "where": {"status": "open"},
            "sort": "score",
        }
        patterns[f"{lower}_by_status"] = {
            "entity": name,
            "by": ["tenant_id", "status"],
            "sort": "score",
        }
    return yaml.safe_dump(spec, sort_keys=False)


class TimedOut(Exception):
    pass


def run_once(spec: Path, out: Path, timeout: float) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one `dynamodel design SPEC --out OUT`."""
    command = [sys.executable, "-m", "dynamodel", "design", str(spec), "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise TimedOut from None
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"design failed ({done.returncode}): {done.stderr.decode()[-1000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()}, load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'entities':>8} {'patterns':>8} {'best s':>7} {'median s':>8} {'cpu s':>6} {'ms/pattern':>10}"
    )
    results: dict[int, float] = {}
    failed = False
    with tempfile.TemporaryDirectory() as directory:
        for size in args.sizes:
            spec = Path(directory) / f"bench{size}.yaml"
            spec.write_text(synthetic_spec(size), encoding="utf-8")
            patterns = size * 5
            try:
                runs = [
                    run_once(spec, Path(directory) / f"out{size}", args.timeout)
                    for _ in range(args.repeat)
                ]
            except TimedOut:
                print(f"{size:>8} {patterns:>8} timed out after {args.timeout:.0f} s")
                failed = True
                continue
            walls = sorted(wall for wall, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            results[size] = walls[0]
            print(
                f"{size:>8} {patterns:>8} {walls[0]:>7.2f} {statistics.median(walls):>8.2f} "
                f"{cpu:>6.2f} {1000 * cpu / patterns:>10.3f}"
            )
    for size, limit in TARGETS.items():
        if size in results:
            verdict = "met" if results[size] < limit else "NOT met"
            print(f"- [{verdict}] {size:,} entities under {limit} s: best {results[size]:.2f} s")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
