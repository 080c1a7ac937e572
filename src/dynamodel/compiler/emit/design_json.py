"""The design as JSON (contract section 2): for machines, CI diffs and other tools."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from dynamodel.compiler.design.ir import TABLE, Design, EntityKey, PatternPlan
from dynamodel.compiler.diagnostics import Diagnostic
from dynamodel.compiler.emit import capacity
from dynamodel.compiler.emit.json_text import dumps_indented
from dynamodel.compiler.spec.fields import STREAM_VIEWS
from dynamodel.compiler.spec.model import Presence


def _value(value: object) -> Any:
    if isinstance(value, Presence):  # as written in the spec: null, or {"not": null}
        return {"not": None} if value.present else None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _key(key: EntityKey) -> dict[str, Any]:
    return {key.partition_key: key.partition.render(), key.sort_key: key.sort.render()}


def _key_details(key: EntityKey) -> dict[str, Any]:
    details: dict[str, Any] = {
        "partition_attributes": list(key.partition_attributes),
        "sort_attributes": list(key.sort_attributes),
        "tiebreak_attributes": list(key.tiebreak_attributes),
        "patterns": list(key.patterns),
    }
    if key.where:
        details["where"] = {a: _value(v) for a, v in key.where}
    if key.sparse_attributes:
        details["sparse_attributes"] = list(key.sparse_attributes)
    if key.shards:
        details["shards"] = key.shards
    return details


def _arguments(plan: PatternPlan) -> dict[str, Any]:
    args: dict[str, Any] = {"by": list(plan.by)}
    if plan.fixed_sort:  # leading sort parts fixed by `by` or `where` (begins_with)
        args["sort_fixed"] = list(plan.fixed_sort)
    if plan.kind in ("page",):
        args["sort_equality"] = list(plan.equality_sort)
        args["range"] = (
            [f"{plan.range_attribute}_from", f"{plan.range_attribute}_to"]
            if plan.range_attribute
            else []
        )
        if plan.takes_prefix:
            args["prefix"] = [f"{plan.range_attribute}_prefix"]
        args["paging"] = ["limit", "cursor"]
    return args


def _plan(plan: PatternPlan) -> dict[str, Any]:
    data: dict[str, Any] = {
        "operation": plan.operation,
        "index": plan.index,
        "requests": plan.requests,
        "consistent": plan.consistent,
        "filter": plan.filter,
        "key_condition": plan.key_condition,
        "range_key_condition": plan.range_condition,
        "scan_index_forward": plan.scan_forward,
        "returns": plan.kind,
        "entity": plan.entity,
        "consistent_allowed": plan.consistent_allowed,
        "partition_key": plan.partition.render(),
        "sort_key": plan.sort.render() if plan.sort else None,
        "arguments": _arguments(plan),
        "limit": plan.limit,
        "notes": list(plan.notes),
    }
    if plan.where:
        data["where"] = {a: _value(v) for a, v in plan.where}
    if plan.view:
        data["view"] = {
            p.field: {"entity": p.entity, "many": p.many, "sort_key_prefix": p.sort_prefix}
            for p in plan.view
        }
    return data


def _diagnostic(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "line": diagnostic.pos.line,
        "column": diagnostic.pos.col,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
    }


def design_document(design: Design) -> dict[str, Any]:
    table = design.spec.table
    return {
        "table": {
            "name": design.table_name,
            "partition_key": design.partition_key,
            "sort_key": design.sort_key,
            "billing": table.billing,
            "stream": STREAM_VIEWS.get(table.stream or ""),
            "ttl_attribute": design.ttl_attribute,
            "index_strategy": table.indexes,
        },
        "indexes": [
            {
                "name": index.name,
                "partition_key": index.partition_key,
                "sort_key": index.sort_key,
                "projection": index.projection,
            }
            for index in design.indexes
        ],
        "entities": {
            entity.name: {
                "keys": {key.label: _key(key) for key in entity.keys},
                "key_details": {key.label: _key_details(key) for key in entity.keys},
                "aggregate_root": entity.aggregate_root,
                "members": list(entity.members),
                "versioned": entity.versioned,
                "ttl_attribute": entity.ttl_attribute,
                "ttl_from_root": entity.ttl_from_root,
                "unique_guards": [
                    {
                        "attributes": list(guard.attributes),
                        design.partition_key: guard.partition.render(),
                        design.sort_key: guard.sort.render(),
                    }
                    for guard in entity.unique_guards
                ],
            }
            for entity in design.entities
        },
        "access_patterns": {plan.name: _plan(plan) for plan in design.patterns},
        "capacity": capacity.json_data(design),
        "warnings": [_diagnostic(w) for w in design.warnings],
    }


def emit_design_json(design: Design) -> str:
    return dumps_indented(design_document(design), ensure_ascii=False) + "\n"


__all__ = ["TABLE", "design_document", "emit_design_json"]
