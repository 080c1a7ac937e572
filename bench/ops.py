"""Operations benchmark: client-side CPU time of each side per operation, in one process.

Every request is answered with a canned response recorded from moto (`canned.py`,
`record.py`), so the time is the client's own: building the request, serialising, signing,
checksumming, parsing, and (for the libraries) converting models and values.

Rounds are interleaved: in each round every side runs the operation N times in turn (the order
rotates from round to round), timed with `time.process_time_ns`. Per round, each side's time
per operation is divided by the raw client's; the report gives the median over the rounds of
those ratios (with their interquartile range) and the median µs per operation.

Run alone: `python bench/ops.py [--rounds 25] [--scale 1.0] [--ops create get query transact]
[--sides fair dynamodel plain tuned ...]` (raw, the reference, always runs).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from canned import OPERATIONS, Responses, install_replay, record_responses, setup_environment
from canned import shared_responses as share
from sides import LABELS, SIDES, Side, build, pynamodb_available

# Operations per side per round: single-item calls are cheaper than pages and transactions.
N: dict[str, int] = {"create": 200, "get": 200, "query": 50, "transact": 50}
ROUNDS = 25
WARMUP = 30


@dataclass
class OpResult:
    """Per side, the µs per operation of every round (rounds in the same order for all)."""

    op: str
    n: int
    us: dict[str, list[float]] = field(default_factory=dict)

    def median_us(self, side: str) -> float:
        return statistics.median(self.us[side])

    def ratios(self, side: str, reference: str = "raw") -> list[float]:
        return [a / b for a, b in zip(self.us[side], self.us[reference], strict=True)]

    def ratio(self, side: str, reference: str = "raw") -> float:
        """Median over rounds of (side time / reference time) in the same round."""
        return statistics.median(self.ratios(side, reference))

    def spread(self, side: str, reference: str = "raw") -> tuple[float, float]:
        """The interquartile range of the per-round ratios."""
        q1, _, q3 = statistics.quantiles(self.ratios(side, reference), n=4)
        return q1, q3


def side_names() -> list[str]:
    if pynamodb_available():
        return list(SIDES)
    print("PynamoDB not installed (pip install '.[bench]')")
    return [name for name in SIDES if name != "pynamodb"]


def prepare(names: Sequence[str], responses: Responses) -> list[Side]:
    """Build every side in this process and answer its requests with its canned responses."""
    sides = []
    for name in names:
        side = build(name)
        install_replay(side.clients, responses[name])
        sides.append(side)
    return sides


def warm_up(sides: Sequence[Side], ops: Sequence[str]) -> None:
    for side in sides:
        for op in ops:
            for _ in range(WARMUP):
                result = side.ops[op]()
            side.check(op, result)


def measure(sides: Sequence[Side], op: str, n: int, rounds: int) -> OpResult:
    result = OpResult(op, n, {side.name: [] for side in sides})
    for number in range(rounds):
        shift = number % len(sides)
        for side in [*sides[shift:], *sides[:shift]]:
            call = side.ops[op]
            start = time.process_time_ns()
            for _ in range(n):
                call()
            elapsed = time.process_time_ns() - start
            result.us[side.name].append(elapsed / n / 1000)
    return result


def run_operations(
    ops: Sequence[str] = tuple(OPERATIONS),
    rounds: int = ROUNDS,
    scale: float = 1.0,
    *,
    names: Sequence[str] | None = None,
) -> tuple[dict[str, OpResult], Responses]:
    """Record, prepare, warm up and measure; returns the results and the responses used."""
    setup_environment()
    names = list(names) if names is not None else side_names()
    responses = share(record_responses(names))
    sides = prepare(names, responses)
    warm_up(sides, ops)
    results = {op: measure(sides, op, max(1, round(N[op] * scale)), rounds) for op in ops}
    return results, responses


def describe_responses(responses: Responses) -> list[str]:
    """One line per operation: which canned response each side got."""
    lines = []
    for op, operation in OPERATIONS.items():
        groups: dict[int, list[str]] = {}
        for side, ops in responses.items():
            if op in ops:
                groups.setdefault(id(ops[op]), []).append(side)
        parts = []
        for sides in groups.values():
            canned = responses[sides[0]][op]
            parts.append(f"{'/'.join(sides)}: {canned.summary()}")
        lines.append(f"{op} ({operation}): " + "; ".join(parts))
    return lines


def format_results(results: dict[str, OpResult]) -> list[str]:
    """A Markdown table: µs/op and the median ratio to raw (with its IQR) per side, and
    dynamodel's ratio to the fair baseline (raw with validation off) when it ran."""
    names = [name for name in SIDES if name in next(iter(results.values())).us]
    fair = "fair" in names and "dynamodel" in names
    header = ["operation", "N"] + [f"{LABELS[n]} µs" for n in names]
    header += [f"{LABELS[n]} ×raw" for n in names if n != "raw"]
    header += ["dynamodel ×fair"] if fair else []
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for op, result in results.items():
        cells = [f"{op} ({OPERATIONS[op]})", str(result.n)]
        cells += [f"{result.median_us(n):.0f}" for n in names]
        for name in names:
            if name != "raw":
                low, high = result.spread(name)
                cells.append(f"{result.ratio(name):.2f} ({low:.2f}–{high:.2f})")
        if fair:
            low, high = result.spread("dynamodel", "fair")
            cells.append(f"{result.ratio('dynamodel', 'fair'):.2f} ({low:.2f}–{high:.2f})")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies N per round")
    parser.add_argument("--ops", nargs="*", default=list(OPERATIONS), choices=list(OPERATIONS))
    parser.add_argument("--sides", nargs="*", default=None, choices=list(SIDES))
    args = parser.parse_args()
    names = args.sides if args.sides else None
    if names is not None and "raw" not in names:
        names = ["raw", *names]  # the reference of every ratio
    results, responses = run_operations(args.ops, args.rounds, args.scale, names=names)
    print("\n".join(describe_responses(responses)))
    print("\n".join(format_results(results)))


if __name__ == "__main__":
    main()
