"""The design as plain text: what `dynamodel design` prints by default."""

from __future__ import annotations

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit import capacity, describe


def emit_text(design: Design, *, path: str = "spec.yaml") -> str:
    lines: list[str] = []
    count = len(design.indexes)
    lines.append(
        f"Table {design.table_name}: {design.partition_key} (partition) / {design.sort_key} "
        f"(sort), {describe.billing(design)}, {count} GSI{'s' if count != 1 else ''}"
    )
    if design.ttl_attribute:
        lines.append(f"  TTL attribute: {design.ttl_attribute}")
    for index in design.indexes:
        lines.append(
            f"  {index.name}: {index.partition_key} / {index.sort_key}, projection {index.projection}"
        )
    lines.append("")
    lines.append("Entities")
    for entity in design.entities:
        summary = describe.entity_summary(design, entity)
        lines.append(f"  {entity.name}" + (f"  ({summary})" if summary else ""))
        width = max(len(k.index) for k in entity.keys)
        for key in entity.keys:
            lines.append(
                f"    {key.index.ljust(width)}  {key.partition_key} = {key.partition.render()}"
                f"  {key.sort_key} = {key.sort.render()}"
            )
            extra = describe.key_summary(key)
            if extra:
                lines.append(f"    {''.ljust(width)}  {extra}")
        for guard in entity.unique_guards:
            lines.append(
                f"    unique {', '.join(guard.attributes)}: guard item "
                f"{design.partition_key} = {guard.partition.render()}  "
                f"{design.sort_key} = {guard.sort.render()}"
            )
    lines.append("")
    lines.append("Access patterns")
    for plan in design.patterns:
        lines.append(f"  {plan.name}({describe.arguments(plan)}) -> {describe.returns(plan)}")
        lines.append(
            f"    {plan.operation} on {describe.index_label(plan.index)}: {plan.key_condition}"
        )
        if plan.range_condition:
            lines.append(f"    with a range: {plan.range_condition}")
        sk = f", sk = {plan.sort.render()}" if plan.sort else ""
        lines.append(f"    pk = {plan.partition.render()}{sk}")
        ordered = f"order {describe.order(plan)}, " if plan.kind in ("page", "one", "view") else ""
        lines.append(
            f"    {ordered}{describe.consistency(plan)}, {describe.requests(plan)}, no filter"
        )
        for note in plan.notes:
            lines.append(f"    note: {note}")
    lines.append("")
    lines.extend(capacity.text_lines(design))
    lines.append("")
    if design.warnings:
        lines.append("Warnings")
        lines.extend(f"  {w.render(path)}" for w in design.warnings)
    else:
        lines.append("Warnings: none")
    return "\n".join(lines) + "\n"
