"""Reading the capacity hints of a spec: an entity's item `size`, its `per_partition` count and
`write_rates`, a pattern's `rate`. They change no key or index; they feed the capacity and
cost estimates of the design (`compiler/design/capacity.py`).
"""

from __future__ import annotations

import math
import re

from dynamodel.compiler.spec import fields
from dynamodel.compiler.spec.read.base import ReaderBase, describe_node
from dynamodel.compiler.spec.yamlnodes import YNode, YScalar

MAX_ITEM_BYTES = 400 * 1024  # DynamoDB's item size limit
# A size as text: a number and a unit. KB is 1,024 bytes here, as DynamoDB counts.
# (No regex flags: the JSON Schema reuses the pattern.)
SIZE_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([Bb]|[Kk][Bb]|[Kk][Ii][Bb])\s*$")
_UNITS = {"b": 1, "kb": 1024, "kib": 1024}
# Rates above this are surely a typo (a table's default quota is 40,000 units per second).
MAX_RATE = 1_000_000.0


class HintReader(ReaderBase):
    def size(self, node: YNode | None, where: str) -> int | None:
        """An item size in bytes: an integer, or text such as `1.5 KB` or `800 B`."""
        if node is None:
            return None
        value = node.value if isinstance(node, YScalar) else None
        size: float | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            size = value
        elif isinstance(value, str) and (match := SIZE_TEXT.match(value)):
            size = float(match.group(1)) * _UNITS[match.group(2).lower()]
        if size is not None and 1 <= size <= MAX_ITEM_BYTES:
            return math.ceil(size)
        self.err(
            node.pos,
            f"`size` of {where} must be a size from 1 B to 400 KB, got {describe_node(node)}",
            "write bytes (`size: 1200`) or text with a unit (`size: 1.5 KB`)",
        )
        return None

    def rate(self, node: YNode | None, what: str, *, example: str = "rate: 20") -> float | None:
        """Requests per second: a number >= 0."""
        if node is None:
            return None
        value = node.value if isinstance(node, YScalar) else None
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and 0 <= value <= MAX_RATE
        ):
            return float(value)
        self.err(
            node.pos,
            f"{what} must be a number of requests per second from 0 to {MAX_RATE:,.0f}, "
            f"got {describe_node(node)}",
            f"give an average per second, e.g. `{example}`",
        )
        return None

    def write_rates(self, node: YNode | None, where: str) -> tuple[tuple[str, float], ...]:
        """`{create: 2, update: 10, ...}`: writes per second by kind of write method."""
        if node is None:
            return ()
        body = self.mapping(
            node, f"`write_rates` of {where}", "write `write_rates: {create: 2, update: 10}`"
        )
        if body is None:
            return ()
        self.known_keys(body, fields.WRITE_KINDS, f"`write_rates` of {where}")
        rates: list[tuple[str, float]] = []
        for key, value in body.entries:
            if key.raw not in fields.WRITE_KINDS:
                continue
            rate = self.rate(value, f"`write_rates.{key.raw}` of {where}", example=f"{key.raw}: 2")
            if rate is not None:
                rates.append((key.raw, rate))
        return tuple(sorted(rates, key=lambda entry: list(fields.WRITE_KINDS).index(entry[0])))

    def per_partition(self, node: YNode | None, where: str) -> int | None:
        if node is None:
            return None
        return self.integer(node, f"`per_partition` of {where}", 1)
