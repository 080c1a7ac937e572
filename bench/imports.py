"""Import benchmark: the cold-start cost of the generated package over boto3 + pydantic.

In fresh processes (`sys.executable -c ...`, interleaved, repeated), measures the in-process
wall time (`time.perf_counter`) of

- baseline: `import boto3; from pydantic import BaseModel; class M(BaseModel): x: int;
  boto3.client("dynamodb", region_name="us-east-1")`;
- tracker: `import tracker; tracker.TrackerRepository(...)` (the generated package on
  PYTHONPATH, the default client),

and reports the medians and their difference (target: at most 50 ms more). With `--importtime`
(or when over the target, from `run.py`) it also lists the slowest imports of the tracker
case from `python -X importtime`.

Run alone: `python bench/imports.py [--repeat 21] [--importtime]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from canned import REGION, TRACKER_PATH, setup_environment

TARGET_MS = 50.0
REPEAT = 21
_TIMED = """\
import time
start = time.perf_counter()
{body}
print(time.perf_counter() - start, imported - start)
"""
BASELINE = f"""\
import boto3
from pydantic import BaseModel
class M(BaseModel):
    x: int
imported = time.perf_counter()
boto3.client("dynamodb", region_name="{REGION}")
"""
TRACKER = """\
import tracker
imported = time.perf_counter()
tracker.TrackerRepository(table_name="Tracker", cursor_key="bench" * 7)
"""
CASES = {"baseline": BASELINE, "tracker": TRACKER}


@dataclass
class ImportResult:
    ms: dict[str, list[float]]  # total, per run
    import_ms: dict[str, list[float]]  # of which the imports (and the model class)

    def median(self, case: str) -> float:
        return statistics.median(self.ms[case])

    def split(self, case: str) -> str:
        imports = statistics.median(self.import_ms[case])
        total = self.median(case)
        return f"{total:.1f} ms ({imports:.1f} imports + {total - imports:.1f} client)"

    def differences(self) -> list[float]:
        """tracker - baseline, run by run (each pair ran back to back)."""
        return [t - b for t, b in zip(self.ms["tracker"], self.ms["baseline"], strict=True)]

    @property
    def difference(self) -> float:
        """The median of the paired differences: steadier than the difference of the medians
        when the machine's speed drifts."""
        return statistics.median(self.differences())


def _environment() -> dict[str, str]:
    """The benchmark's environment, with the generated package on PYTHONPATH and bytecode
    cached in a directory of its own: every module (boto3's as well as dynamodel's) is read
    from a .pyc compiled by the untimed first runs, as from an installed package, even where
    PYTHONDONTWRITEBYTECODE is set (it is on some machines, which would otherwise compile
    dynamodel's and tracker's sources on every start, but not boto3's, installed with .pyc)."""
    setup_environment()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "dynamodel-bench-pycache")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(TRACKER_PATH), env.get("PYTHONPATH", "")) if p
    )
    return env


def _run(code: str, env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *options, "-c", code], env=env, capture_output=True, text=True, check=True
    )


def run_imports(repeat: int = REPEAT) -> ImportResult:
    env = _environment()
    for body in CASES.values():  # write the .pyc files, untimed
        _run(_TIMED.format(body=body), env)
    result = ImportResult({case: [] for case in CASES}, {case: [] for case in CASES})
    for number in range(repeat):
        order = list(CASES) if number % 2 == 0 else list(reversed(CASES))
        for case in order:
            total, imported = _run(_TIMED.format(body=CASES[case]), env).stdout.split()[-2:]
            result.ms[case].append(1000 * float(total))
            result.import_ms[case].append(1000 * float(imported))
    return result


def importtime_top(count: int = 15) -> list[str]:
    """The slowest imports (cumulative) of the tracker case, from `-X importtime`, each with
    the module that imported it."""
    stderr = _run(_TIMED.format(body=TRACKER), _environment(), "-X", "importtime").stderr
    rows: list[tuple[int, int, int, str]] = []  # depth, own µs, cumulative µs, module
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        head, total, module = line.split("|", 2)
        depth = len(module) - len(module.lstrip())
        rows.append((depth, int(head.split(":")[1]), int(total), module.strip()))
    found: list[tuple[int, int, str, str]] = []
    for index, (depth, own, cumulative, name) in enumerate(rows):
        # importtime prints a module after everything it imported, one level shallower.
        parent = next((row[3] for row in rows[index + 1 :] if row[0] < depth), "-")
        found.append((cumulative, own, name, parent))
    found.sort(reverse=True)
    return [
        f"{cumulative / 1000:7.1f} ms cumulative, {own / 1000:6.1f} ms own: {name} (from {parent})"
        for cumulative, own, name, parent in found[:count]
    ]


def format_imports(result: ImportResult) -> list[str]:
    low, _, high = statistics.quantiles(result.differences(), n=4)
    return [
        f"baseline (boto3 + pydantic + client): {result.split('baseline')}",
        f"tracker (import + TrackerRepository): {result.split('tracker')}",
        f"difference: {result.difference:+.1f} ms, median of the paired differences "
        f"(IQR {low:+.1f} to {high:+.1f} ms; target: at most +{TARGET_MS:.0f} ms)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    result = run_imports(args.repeat)
    print("\n".join(format_imports(result)))
    if args.importtime or result.difference > TARGET_MS:
        print("\n".join(importtime_top()))


if __name__ == "__main__":
    main()
