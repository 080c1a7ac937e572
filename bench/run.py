"""Run every benchmark and print one report: the machine, every figure, and each target.

`python bench/run.py` runs, in this order:

1. the operations benchmark (`ops.py`): client-side CPU time of dynamodel's generated tracker
   repository vs the raw boto3 client (= 1.0), boto3's resource API and PynamoDB, on create
   (PutItem), get (GetItem), a 25-item page (Query) and a 10-item aggregate
   (TransactWriteItems), against canned responses recorded from moto;
2. the import benchmark (`imports.py`): cold-start import + repository vs boto3 + pydantic;
3. the compile benchmark (`compile.py --repeat 3`, in a subprocess).

`--quick` scales everything down (a smoke test, not figures to publish); `--profile` adds a
cProfile breakdown of dynamodel's time for every operation target that is not met.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata

from canned import BENCH, OPERATIONS
from imports import (
    EXTRA_TARGET_MS,
    REPEAT,
    TARGET_MS,
    ImportResult,
    format_imports,
    importtime_top,
    run_imports,
)
from ops import ROUNDS, OpResult, describe_responses, format_results, run_operations
from profile_ops import profile_lines

# dynamodel's time as a fraction of the raw client's, per operation.
RATIO_TARGETS = {"create": 0.8, "get": 0.8, "query": 0.5, "transact": 0.6}
# ... and of the fair baseline's: the raw client with validation off, as dynamodel's has it.
FAIR_TARGETS = {"create": 0.8, "get": 0.8, "query": 0.4, "transact": 0.8}
# A repository on a user's client given to `tune_client`, as a fraction of that client's raw
# calls.
TUNED_TARGET = 1.05
PYNAMODB_QUERY_SPEEDUP = 3.0


@dataclass
class Target:
    text: str
    figure: str
    met: bool | None  # None: not measured

    def line(self) -> str:
        verdict = {True: "met", False: "NOT MET", None: "skipped"}[self.met]
        return f"- [{verdict}] {self.text}: {self.figure}"


def machine_lines() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    versions = []
    for package in ("botocore", "boto3", "pydantic", "pynamodb", "moto"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} not installed")
    return [
        f"- date: {datetime.date.today().isoformat()}",
        f"- machine: {platform.platform()}, {cpu}, {os.cpu_count()} cores",
        f"- Python {platform.python_version()} ({platform.python_implementation()})",
        f"- {', '.join(versions)}",
    ]


def compile_lines(quick: bool) -> list[str]:
    sizes = ["--sizes", "100", "1000"] if quick else []
    command = [sys.executable, str(BENCH / "compile.py"), "--repeat", "3", *sizes]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 and "entities" not in done.stdout:
        return [f"compile benchmark failed: {done.stderr.strip()[-500:]}"]
    lines = [
        "| entities | patterns | best s | median s | CPU s | CPU ms per pattern |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in done.stdout.splitlines():
        cells = row.split()
        if len(cells) == 6 and cells[0].isdigit():
            lines.append("| " + " | ".join(cells) + " |")
        elif row.startswith("- ["):
            lines.append(row)
        elif "timed out" in row:  # a size over compile.py's timeout (it then exits 1)
            lines.append(f"- [NOT met] {row.split()[0]} entities: {row.split(maxsplit=2)[2]}")
    return lines


def targets(results: dict[str, OpResult], imports: ImportResult) -> list[Target]:
    found: list[Target] = []
    for op, limit in RATIO_TARGETS.items():
        if op not in results:
            continue
        ratio = results[op].ratio("dynamodel")
        low, high = results[op].spread("dynamodel")
        figure = f"{ratio:.2f}x (IQR {low:.2f}–{high:.2f})"
        found.append(Target(f"{op} ({OPERATIONS[op]}) <= {limit}x raw", figure, ratio <= limit))
    for op, limit in FAIR_TARGETS.items():
        if op not in results or "fair" not in results[op].us:
            continue
        ratio = results[op].ratio("dynamodel", "fair")
        low, high = results[op].spread("dynamodel", "fair")
        figure = f"{ratio:.2f}x (IQR {low:.2f}–{high:.2f})"
        found.append(
            Target(
                f"{op} ({OPERATIONS[op]}) <= {limit}x raw with validation off",
                figure,
                ratio <= limit,
            )
        )
    tuned = {op: result for op, result in results.items() if "tuned" in result.us}
    if tuned:
        ratios = {op: result.ratio("tuned") for op, result in tuned.items()}
        found.append(
            Target(
                f"a repository on a tuned plain client <= {TUNED_TARGET}x that client's raw calls",
                ", ".join(f"{op} {ratio:.2f}x" for op, ratio in ratios.items()),
                all(ratio <= TUNED_TARGET for ratio in ratios.values()),
            )
        )
    query = results.get("query")
    if query is not None and "pynamodb" in query.us:
        speedup = query.ratio("pynamodb", "dynamodel")
        low, high = query.spread("pynamodb", "dynamodel")
        found.append(
            Target(
                f"query at least {PYNAMODB_QUERY_SPEEDUP:.0f}x faster than PynamoDB",
                f"{speedup:.2f}x faster (IQR {low:.2f}–{high:.2f})",
                speedup >= PYNAMODB_QUERY_SPEEDUP,
            )
        )
    elif query is not None:
        found.append(Target("query at least 3x faster than PynamoDB", "not installed", None))
    against = {op: result.ratio("dynamodel", "resource") for op, result in results.items()}
    spreads = {op: result.spread("dynamodel", "resource") for op, result in results.items()}
    found.append(
        Target(
            "faster than the boto3 resource API on all four (dynamodel time / resource time)",
            ", ".join(
                f"{op} {ratio:.2f}x (IQR {spreads[op][0]:.2f}–{spreads[op][1]:.2f})"
                for op, ratio in against.items()
            ),
            all(ratio < 1 for ratio in against.values()) and len(against) == len(OPERATIONS),
        )
    )
    found.append(
        Target(
            f"cold start at most +{TARGET_MS:.0f} ms over boto3 + pydantic + a model + a client",
            f"{imports.difference:+.1f} ms",
            imports.difference <= TARGET_MS,
        )
    )
    found.append(
        Target(
            f"an extra repository at most {EXTRA_TARGET_MS:.0f} ms",
            f"{imports.extra:.2f} ms",
            imports.extra <= EXTRA_TARGET_MS,
        )
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: fewer, shorter runs")
    parser.add_argument("--profile", action="store_true", help="profile unmet op targets")
    args = parser.parse_args()
    rounds, scale, repeat = (5, 0.25, 5) if args.quick else (ROUNDS, 1.0, REPEAT)

    print("running the operations benchmark ...", file=sys.stderr, flush=True)
    results, responses = run_operations(rounds=rounds, scale=scale)
    print("running the import benchmark ...", file=sys.stderr, flush=True)
    imports = run_imports(repeat)
    print("running the compile benchmark ...", file=sys.stderr, flush=True)
    compiled = compile_lines(args.quick)
    found = targets(results, imports)

    out = ["# dynamodel benchmarks", "", *machine_lines(), ""]
    out += [
        f"## Operations: client-side CPU µs/op (median of {rounds} interleaved rounds) and "
        "dynamodel's, resource's and PynamoDB's time ×raw (median of per-round ratios, IQR)",
        "",
        *format_results(results),
        "",
        "Canned responses (recorded from moto, one request per operation):",
        *(f"- {line}" for line in describe_responses(responses)),
        "",
        f"## Imports: fresh processes, median of {repeat}, in-process wall time",
        "",
        *(f"- {line}" for line in format_imports(imports)),
    ]
    if imports.difference > TARGET_MS:
        out += ["", "Slowest imports of the tracker case (`python -X importtime`):", "```"]
        out += [*importtime_top(), "```"]
    out += ["", "## Compile (bench/compile.py --repeat 3), wall time", "", *compiled]
    out += ["", "## Targets", "", *(target.line() for target in found)]
    unmet = [op for op, limit in RATIO_TARGETS.items() if results[op].ratio("dynamodel") > limit]
    if args.profile and unmet:
        out += ["", "## Where dynamodel's time goes (cProfile, top 15 by cumulative)", "```"]
        out += [*profile_lines("dynamodel", unmet), "```"]
    print("\n".join(out))


if __name__ == "__main__":
    main()
