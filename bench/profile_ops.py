"""Where a side's time goes: cProfile of one op loop, on the same canned responses as `ops.py`.

Run: `python bench/profile_ops.py [OP ...] [--side dynamodel] [--n 200] [--top 15]
[--sort cumulative]`. Prints, per operation, the top functions of the profile of N calls
(after a warm-up). cProfile's own overhead inflates small functions; read the shares, not the
absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
from collections.abc import Sequence

from canned import OPERATIONS, record_responses, setup_environment, shared_responses
from ops import N, prepare, warm_up
from sides import SIDES


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
    side = prepare([side_name], responses)[0]
    warm_up([side], ops)
    lines = []
    for op in ops:
        count = n or N[op]
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


def own_time_by_file(stats: pstats.Stats, top: int) -> list[str]:
    """Own (exclusive) time summed per source file: which modules the time is spent in."""
    per_file: dict[str, float] = {}
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, _, own, _, _) in raw.items():
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
    parser.add_argument("ops", nargs="*", default=list(OPERATIONS), choices=list(OPERATIONS))
    parser.add_argument("--side", default="dynamodel", choices=list(SIDES))
    parser.add_argument("--n", type=int, default=None, help="calls profiled (default: as ops)")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    args = parser.parse_args()
    print("\n".join(profile_lines(args.side, args.ops, n=args.n, top=args.top, sort=args.sort)))


if __name__ == "__main__":
    main()
