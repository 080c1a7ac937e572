"""Wording shared by the human-readable emitters (text and markdown)."""

from __future__ import annotations

import datetime as dt

from dynamodel.compiler.design.ir import TABLE, Design, EntityDesign, EntityKey, PatternPlan
from dynamodel.compiler.spec.copies import lookup_name
from dynamodel.compiler.spec.model import Presence


def show_value(value: object) -> str:
    if isinstance(value, Presence):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def index_label(index: str | None) -> str:
    return "table" if index in (None, TABLE) else str(index)


def consistency(plan: PatternPlan) -> str:
    if plan.consistent:
        return "strong"
    if plan.consistent_allowed:
        return "eventual (strong on request)"
    return "eventual"


def requests(plan: PatternPlan) -> str:
    if plan.requests == 1:
        return "1 request"
    return f"{plan.requests} requests in parallel (one per shard)"


def order(plan: PatternPlan) -> str:
    return "asc" if plan.scan_forward else "desc"


def billing(design: Design) -> str:
    table = design.spec.table
    if table.billing == "provisioned":
        return f"provisioned ({table.read_capacity} RCU / {table.write_capacity} WCU)"
    return "on-demand"


def entity_summary(design: Design, entity: EntityDesign) -> str:
    parts = []
    if entity.members:
        parts.append("aggregate root of " + ", ".join(entity.members))
    if entity.aggregate_root:
        parts.append(f"member of the {entity.aggregate_root} aggregate")
    if entity.versioned:
        parts.append("versioned")
    if entity.ttl_attribute and entity.ttl_from_root:
        parts.append(f"TTL {entity.ttl_attribute} copied from {entity.aggregate_root}")
    elif entity.ttl_attribute:
        parts.append(f"TTL {entity.ttl_attribute}")
    spec_entity = design.spec.entity(entity.name)
    if spec_entity is not None:  # spec 1.1: what the key and the writes compute or keep
        if spec_entity.collection:
            names = ", ".join(r.name for r in spec_entity.collection)
            parts.append(f"collection {names} (in every key argument)")
        derived = [f"{a.name} = {a.derived.render()}" for a in spec_entity.attributes if a.derived]
        if derived:
            parts.append("derived " + ", ".join(derived))
        for parent, counted in spec_entity.counts:
            parts.append(f"counted in {parent.name}.{counted.name} (create +1, delete -1)")
        for child, counter in design.spec.counters_of(entity.name):
            parts.append(f"{counter} counts {child.name} items (kept by their writes)")
        for source, copies in design.spec.copies_in(spec_entity):
            pairs = [f"{source}.{a.copy_of[1].name} to {a.name}" for a in copies if a.copy_of]
            parts.append(
                f"copies {' and '.join(pairs)}, kept by copies.handler through "
                f"{lookup_name(entity.name, source)}"
            )
        holders = design.spec.copy_holders(entity.name)
        if holders:
            parts.append(f"copied into {', '.join(holders)}")
    return "; ".join(parts)


def key_summary(key: EntityKey) -> str:
    extras = []
    if key.slot:
        view, field = key.slot.split("@", 1)[1].split(".", 1)
        extras.append(f"role `{field}` of {view}")
    if key.where:
        extras.append("sparse: " + ", ".join(f"{a} = {show_value(v)}" for a, v in key.where))
    if key.sparse_attributes:
        extras.append("only with " + ", ".join(key.sparse_attributes))
    if key.shards:
        extras.append(f"{key.shards} write shards")
    if key.patterns:
        extras.append("serves " + ", ".join(key.patterns))
    return "; ".join(extras)


def arguments(plan: PatternPlan) -> str:
    args = list(plan.by)
    args += [f"{a}?" for a in plan.equality_sort]
    if plan.range_attribute:
        args += [f"{plan.range_attribute}_from?", f"{plan.range_attribute}_to?"]
    if plan.takes_prefix:
        args.append(f"{plan.range_attribute}_prefix?")
    if plan.kind == "page" or plan.pages_view:
        args += ["limit?", "cursor?"]
    return ", ".join(args)


def returns(plan: PatternPlan) -> str:
    if plan.kind == "view":
        return "view"
    if plan.kind == "aggregate":
        return f"{plan.entity} with members"
    if plan.kind in ("get", "one"):
        return f"{plan.entity} | None"
    return f"Page[{plan.entity}]"
