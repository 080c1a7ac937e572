"""Import benchmark: the cold-start cost of the generated package over boto3 + pydantic.

In fresh processes (`sys.executable -c ...`, interleaved, repeated), measures the in-process
wall time (`time.perf_counter`) of

- baseline: `import boto3; from pydantic import BaseModel; class M(BaseModel): x: int;
  boto3.client("dynamodb", region_name="us-east-1")`;
- tracker: `import tracker; tracker.TrackerRepository(...)` (the generated package on
  PYTHONPATH, the default client),

and reports the medians and their difference (target: at most 15 ms more), and the cost of
an extra repository (a second `TrackerRepository(...)` in the tracker case; target: at most
5 ms). With `--importtime` (or when over the target, from `run.py`) it also lists the slowest
imports of the tracker case from `python -X importtime`.

`--setup` picks where the packages come from:

- `current` (default): this interpreter's environment, bytecode cached in a directory of
  its own (see `_environment`);
- `bundle`: a Lambda-style bundle, `pip install --target .backends/bench-bundle` of the
  boto3, botocore and pydantic versions installed here and of this tree's runtime (`runtime/`,
  `--no-deps`, reinstalled every run),
  precompiled by pip, first on PYTHONPATH;
- `lean`: a virtualenv `.backends/bench-lean` holding only those packages and the runtime.

The bundle and the virtualenv are made on first use (pip, from the package index).

Run alone: `python bench/imports.py [--repeat 31] [--setup current|bundle|lean] [--importtime]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from canned import REGION, ROOT, TRACKER_PATH, setup_environment

RUNTIME = ROOT / "runtime"  # the dynamodel-runtime project: what a function ships

TARGET_MS = 15.0
EXTRA_TARGET_MS = 5.0
REPEAT = 31
SETUPS = ("current", "bundle", "lean")
_TIMED = """\
import time
start = time.perf_counter()
{body}
end = time.perf_counter()
{after}
first = time.perf_counter()
{first}
first = time.perf_counter() - first
print(end - start, imported - start, extra, first)
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
# The first object validated, after the timed part: the generated models build their
# validators on first use (defer_build), where the baseline's model built its own at import.
FIRST = {"baseline": "M(x=1)", "tracker": "tracker.Workspace(name='bench')"}
AFTER = {
    "baseline": "extra = 0.0",
    # A second repository in the same process: what each extra one costs at cold start.
    "tracker": (
        "tracker.TrackerRepository(table_name='Tracker-2', cursor_key='bench' * 7)\n"
        "extra = time.perf_counter() - end"
    ),
}


@dataclass
class ImportResult:
    ms: dict[str, list[float]]  # total, per run
    import_ms: dict[str, list[float]]  # of which the imports (and the model class)
    extra_ms: list[float] = field(default_factory=list)  # a second repository, per run
    first_ms: dict[str, list[float]] = field(default_factory=dict)  # first object validated
    setup: str = "current"

    @property
    def extra(self) -> float:
        return statistics.median(self.extra_ms) if self.extra_ms else 0.0

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

    @property
    def difference_with_first_use(self) -> float:
        """As `difference`, with each side's first validated object added (run by run)."""
        pairs = zip(
            self.ms["tracker"],
            self.first_ms["tracker"],
            self.ms["baseline"],
            self.first_ms["baseline"],
            strict=True,
        )
        return statistics.median((t + tf) - (b + bf) for t, tf, b, bf in pairs)


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


def _run(
    code: str, env: dict[str, str], *options: str, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, *options, "-c", code], env=env, capture_output=True, text=True, check=True
    )


def _timed(case: str) -> str:
    return _TIMED.format(body=CASES[case], after=AFTER[case], first=FIRST[case])


def _pins() -> list[str]:
    from importlib import metadata

    return [f"{name}=={metadata.version(name)}" for name in ("boto3", "botocore", "pydantic")]


def _pip(python: str, *arguments: str) -> None:
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *arguments],
        check=True,
    )


def prepare_setup(setup: str, env: dict[str, str]) -> str:
    """Make the setup's packages (once) and point `env` at them; returns the interpreter."""
    backends = ROOT / ".backends"
    if setup == "bundle":
        bundle = backends / "bench-bundle"
        if not (bundle / "pydantic").is_dir():
            _pip(sys.executable, "--target", str(bundle), *_pins())
        # The runtime of this tree, every run (what a function ships: dynamodel-runtime only).
        _pip(sys.executable, "--no-deps", "--upgrade", "--target", str(bundle), str(RUNTIME))
        env["PYTHONPATH"] = os.pathsep.join([str(bundle), str(TRACKER_PATH)])
        env.pop("PYTHONPYCACHEPREFIX", None)  # the bundle's own .pyc files, as in a Lambda
        return sys.executable
    if setup == "lean":
        venv = backends / "bench-lean"
        python = str(venv / "bin" / "python")
        if not Path(python).exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            _pip(python, *_pins())
        _pip(python, "--no-deps", "--force-reinstall", str(RUNTIME))
        env["PYTHONPATH"] = str(TRACKER_PATH)
        return python
    return sys.executable


def run_imports(repeat: int = REPEAT, setup: str = "current") -> ImportResult:
    env = _environment()
    python = prepare_setup(setup, env)
    for case in CASES:  # write the .pyc files, untimed
        _run(_timed(case), env, python=python)
    result = ImportResult({case: [] for case in CASES}, {case: [] for case in CASES}, setup=setup)
    result.first_ms = {case: [] for case in CASES}
    for number in range(repeat):
        order = list(CASES) if number % 2 == 0 else list(reversed(CASES))
        for case in order:
            out = _run(_timed(case), env, python=python).stdout.split()[-4:]
            total, imported, extra, first = (1000 * float(value) for value in out)
            result.ms[case].append(total)
            result.first_ms[case].append(first)
            result.import_ms[case].append(imported)
            if case == "tracker":
                result.extra_ms.append(extra)
    return result


def importtime_top(count: int = 15) -> list[str]:
    """The slowest imports (cumulative) of the tracker case, from `-X importtime`, each with
    the module that imported it."""
    stderr = _run(_timed("tracker"), _environment(), "-X", "importtime").stderr
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
        f"setup: {result.setup}",
        f"baseline (boto3 + pydantic + client): {result.split('baseline')}",
        f"tracker (import + TrackerRepository): {result.split('tracker')}",
        f"difference: {result.difference:+.1f} ms, median of the paired differences "
        f"(IQR {low:+.1f} to {high:+.1f} ms; target: at most +{TARGET_MS:.0f} ms)",
        f"an extra repository: {result.extra:.2f} ms, median "
        f"(target: at most {EXTRA_TARGET_MS:.0f} ms)",
        f"with each side's first object validated (the baseline's M, the tracker's Workspace): "
        f"{result.difference_with_first_use:+.1f} ms",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--importtime", action="store_true")
    parser.add_argument("--setup", nargs="*", default=["current"], choices=SETUPS)
    args = parser.parse_args()
    for setup in args.setup[:-1]:
        print("\n".join(format_imports(run_imports(args.repeat, setup))))
    result = run_imports(args.repeat, args.setup[-1])
    print("\n".join(format_imports(result)))
    if args.importtime or result.difference > TARGET_MS:
        print("\n".join(importtime_top()))


if __name__ == "__main__":
    main()
