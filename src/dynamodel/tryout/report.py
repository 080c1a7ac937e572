"""The results of `dynamodel try` as text (for people) or JSON (for tools and tests)."""

from __future__ import annotations

import json
from typing import Any

from dynamodel.compiler.emit.capacity import show_bytes, show_units
from dynamodel.compiler.names import plural
from dynamodel.runtime.sizes import item_size
from dynamodel.tryout.recorder import RecordedRequest
from dynamodel.tryout.runner import PatternRun, TryRun

SHOWN_ITEMS = 3  # items printed per pattern; the count says how many came back
ITEM_WIDTH = 150


def _value(value: Any) -> str:
    """An AttributeValue as it reads: `"Ticket#w1"`, `7`, `true`."""
    if isinstance(value, dict) and len(value) == 1:
        ((kind, content),) = value.items()
        if kind == "S":
            return json.dumps(content, ensure_ascii=False)
        if kind == "N":
            return str(content)
        if kind == "BOOL":
            return "true" if content else "false"
    return json.dumps(value, default=str, ensure_ascii=False)


def _request_lines(request: RecordedRequest) -> list[str]:
    where = request.index or "table"
    read = "strongly consistent" if request.consistent else "eventually consistent"
    condition = request.key_condition or ""
    for name, attribute in sorted(request.names.items(), key=lambda n: -len(n[0])):
        condition = condition.replace(name, attribute)
    head = f"    {request.operation} on {where}"
    lines = [f"{head}: {condition}  ({read})" if condition else f"{head}  ({read})"]
    if request.values:
        shown = "  ".join(f"{name} = {_value(value)}" for name, value in request.values.items())
        lines.append(f"      {shown}")
    return lines


def _capacity_line(run: PatternRun) -> str:
    items = [item for request in run.requests for item in request.items]
    size = sum(item_size(item) for item in items)
    reported = run.reported_units
    parts = [
        f"reported {show_units(reported)}" if reported is not None else "not reported",
        f"{show_units(run.units_by_rules)} by DynamoDB's rules for the "
        f"{plural(len(items), 'item')} read ({show_bytes(size)})",
        f"design estimate {show_units(run.estimate)}",
    ]
    return "    read units: " + "; ".join(parts)


def _item_line(item: dict[str, Any]) -> str:
    text = json.dumps(item, ensure_ascii=False, separators=(", ", ": "))
    return "      " + (text if len(text) <= ITEM_WIDTH else text[: ITEM_WIDTH - 1] + "…")


def emit_try_text(run: TryRun) -> str:
    lines = [
        f"Table {run.table} on {run.backend}: seeded {plural(run.records, 'record')} "
        f"({plural(run.items, 'item')} with members and unique guards)",
    ]
    if "moto" in run.backend:
        lines.append(
            "  (moto reports fixed capacity figures; the units by DynamoDB's rules are what "
            "DynamoDB would charge)"
        )
    for failure in run.seed_failures:
        lines.append(f"  not written: {failure.entity} #{failure.record}: {failure.error}")
    for pattern in run.patterns:
        lines.append("")
        if pattern.skipped is not None:
            lines.append(f"{pattern.name}: skipped: {pattern.skipped}")
            continue
        lines.append(f"{pattern.call}  [{pattern.kind}; arguments from {pattern.source}]")
        for request in pattern.requests:
            lines.extend(_request_lines(request))
        lines.append(_capacity_line(pattern))
        if pattern.error is not None:
            lines.append(f"    raised {pattern.error}")
            continue
        count = len(pattern.returned)
        more = ", and a cursor to the next page" if pattern.has_more else ""
        lines.append(f"    returned {plural(count, 'item')}{more}")
        lines.extend(_item_line(item) for item in pattern.returned[:SHOWN_ITEMS])
        if count > SHOWN_ITEMS:
            lines.append(f"      … {count - SHOWN_ITEMS} more")
    lines.append("")
    ran = sum(1 for p in run.patterns if p.skipped is None and p.error is None)
    lines.append(
        f"{ran} of {plural(len(run.patterns), 'access pattern')} ran; "
        + (
            f"the table is kept at {run.endpoint_url or run.backend}"
            if run.kept
            else "the table was deleted"
        )
    )
    return "\n".join(lines) + "\n"


def try_document(run: TryRun) -> dict[str, Any]:
    return {
        "table": run.table,
        "backend": run.backend,
        "endpoint_url": run.endpoint_url,
        "records": run.records,
        "items": run.items,
        "seed_failures": [
            {"entity": f.entity, "record": f.record, "error": f.error} for f in run.seed_failures
        ],
        "patterns": [
            {
                "name": p.name,
                "kind": p.kind,
                "call": p.call,
                "arguments_from": p.source,
                "skipped": p.skipped,
                "error": p.error,
                "requests": [
                    {
                        "operation": r.operation,
                        "index": r.index,
                        "key_condition": r.key_condition,
                        "names": r.names,
                        "values": r.values,
                        "consistent": r.consistent,
                        "items_read": len(r.items),
                        "reported_units": r.reported_units,
                        "units_by_rules": r.units_by_rules,
                    }
                    for r in p.requests
                ],
                "returned": list(p.returned),
                "has_more": p.has_more,
                "estimate": p.estimate,
            }
            for p in run.patterns
        ],
        "kept": run.kept,
    }


def emit_try_json(run: TryRun) -> str:
    return json.dumps(try_document(run), indent=2, ensure_ascii=False, default=str) + "\n"
