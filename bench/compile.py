"""Compile benchmark: design and emit synthetic specs of 10, 100 and 1,000 entities.

Each entity has 5 access patterns (a get by id, a list by a tenant attribute sorted by a
datetime, a unique lookup, a sparse `where` list, a list by an enum plus tenant), and every
tenth entity roots an aggregate with one member. Entities share GSIs, so the design stays
within DynamoDB's 20-GSI limit at any size.

Run: `python bench/compile.py [--repeat N]`. Prints a table with the median wall time of
parse + check + design + every emitter, per size, and the time per pattern (to show growth
is close to linear).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from typing import Any

import yaml

from dynamodel.compiler.emit.artifacts import design_artifacts
from dynamodel.compiler.emit.text import emit_text
from dynamodel.compiler.pipeline import compile_spec

SIZES = (10, 100, 1000)


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


def compile_once(text: str) -> float:
    start = time.perf_counter()
    result = compile_spec(text, path="bench.yaml")
    if not result.ok or result.design is None:
        raise SystemExit("\n".join(result.rendered()[:10]))
    design_artifacts(result.design)
    emit_text(result.design)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per size (median)")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {platform.system()}")
    print(f"{'entities':>8} {'patterns':>8} {'median s':>9} {'ms/pattern':>10}")
    for size in args.sizes:
        text = synthetic_spec(size)
        patterns = size * 5
        times = [compile_once(text) for _ in range(args.repeat)]
        median = statistics.median(times)
        print(f"{size:>8} {patterns:>8} {median:>9.3f} {1000 * median / patterns:>10.3f}")


if __name__ == "__main__":
    main()
