"""Where a side's time goes: cProfile of one op loop, on the same canned responses as `ops.py`.

Run: `python bench/profile_ops.py [OP ...] [--side dynamodel] [--n 200] [--top 15]
[--sort cumulative]`. Prints, per operation, the top functions of the profile of N calls
(after a warm-up) and the own time per source file. cProfile's own overhead inflates small
functions; read the shares, not the absolute times.

For dynamodel it first splits the operation's time, without the profiler: the raw client
sending the raw side's request, dynamodel's client (validation off, fast parser) sending
dynamodel's own request (captured, then replayed directly), and the whole repository call;
the difference between the last two is the runtime's own time outside botocore.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import pstats
import re
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from canned import OPERATIONS, record_responses, setup_environment, shared_responses
from ops import N, prepare, warm_up
from sides import SIDES, Side

SPLIT_ROUNDS = 15


def profile_lines(
    side_name: str = "dynamodel",
    ops: Sequence[str] = tuple(OPERATIONS),
    *,
    n: int | None = None,
    top: int = 15,
    sort: str = "cumulative",
) -> list[str]:
    setup_environment()
    names = ["raw", side_name] if side_name != "raw" else ["raw"]
    responses = shared_responses(record_responses(names))
    sides = prepare(names, responses)
    side = sides[-1]
    warm_up(sides, ops)
    lines = []
    for op in ops:
        count = n or N[op]
        if side_name == "dynamodel":
            lines += split_lines(sides[0], side, op, count)
        call = side.ops[op]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            call()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        by_file = own_time_by_file(stats, top)
        stats.strip_dirs().sort_stats(sort).print_stats(top)
        lines.append(f"### {side_name} {op} ({OPERATIONS[op]}), {count} calls, by {sort}")
        body = out.getvalue().splitlines()
        start = next((i for i, line in enumerate(body) if "ncalls" in line), 0)
        lines += [line for line in body[start:] if line.strip()]
        lines += by_file
    return lines


def _captured_call(side: Side, op: str) -> Callable[[], object]:
    """The low-level client call the side's operation makes, with the same parameters."""
    from botocore import xform_name

    client = side.clients[0]
    captured: list[tuple[str, dict[str, Any]]] = []

    def capture(params: dict[str, Any], model: Any, **_: Any) -> None:
        captured.append((model.name, copy.deepcopy(params)))

    client.meta.events.register("before-parameter-build.dynamodb.*", capture, unique_id="cap")
    side.ops[op]()
    client.meta.events.unregister("before-parameter-build.dynamodb.*", unique_id="cap")
    name, params = captured[-1]
    method = getattr(client, xform_name(name))
    return lambda: method(**params)


def split_lines(raw: Side, side: Side, op: str, count: int) -> list[str]:
    """Median µs per call (interleaved rounds, CPU time) of the three calls described above."""
    calls = {
        "raw client, raw request": raw.ops[op],
        f"{side.name}'s client, its request": _captured_call(side, op),
        f"{side.name} {op}": side.ops[op],
    }
    us: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(SPLIT_ROUNDS):
        for name, call in calls.items():
            start = time.process_time_ns()
            for _ in range(count):
                call()
            us[name].append((time.process_time_ns() - start) / count / 1000)
    medians = {name: statistics.median(values) for name, values in us.items()}
    client, whole = list(medians.values())[1:]
    shown = ", ".join(f"{name} {value:.0f} µs" for name, value in medians.items())
    return [f"split: {shown}; runtime outside botocore {whole - client:.0f} µs"]


def own_time_by_file(stats: pstats.Stats, top: int) -> list[str]:
    """Own (exclusive) time summed per source file: which modules the time is spent in."""
    per_file: dict[str, float] = {}
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, _, own, _, _) in entries.items():
        per_file[filename] = per_file.get(filename, 0.0) + own
    total = sum(per_file.values()) or 1.0
    ranked = sorted(per_file.items(), key=lambda entry: entry[1], reverse=True)[:top]
    lines = [f"own time by file (of {total * 1000:.1f} ms profiled):"]
    lines += [f"  {100 * own / total:5.1f}%  {_short(name)}" for name, own in ranked]
    return lines


def _short(filename: str) -> str:
    """`botocore/useragent.py` rather than the whole site-packages path."""
    if filename == "~":
        return "(built-in functions: str, dict, hashlib, json, ...)"
    for marker in ("site-packages/", "/src/", "/generated/", "/bench/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return re.sub(r".*/python3\.\d+/", "(stdlib) ", filename)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ops", nargs="*", help=f"of {', '.join(OPERATIONS)} (default: all)")
    parser.add_argument("--side", default="dynamodel", choices=list(SIDES))
    parser.add_argument("--n", type=int, default=None, help="calls profiled (default: as ops)")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    args = parser.parse_args()
    unknown = set(args.ops) - set(OPERATIONS)
    if unknown:
        parser.error(f"unknown operations: {', '.join(sorted(unknown))}")
    args.ops = args.ops or list(OPERATIONS)
    print("\n".join(profile_lines(args.side, args.ops, n=args.n, top=args.top, sort=args.sort)))


if __name__ == "__main__":
    main()
