"""The design as one self-contained HTML page (`design --format html`, `report.html`).

The page has no external resources and needs no script: inline CSS (`html_style.py`), the
base table and every GSI as item grids of sample data (`html_grid.py`, the items exactly as
the generated repository writes them, from `dynamodel.compiler.samples`), the access-pattern
matrix, the capacity estimates, the key templates per entity and the design's warnings. Every text from the spec or
the samples goes through `html.escape`. The output is deterministic: same design, same page.
The capacity estimates (`emit/capacity.py`) appear as a matrix column and a section.

The matrix is a tuple of `MatrixColumn`s: a column is a header and a function from the design
and a plan to the cell's text, so adding one is one more entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dynamodel.compiler.design.ir import TABLE, Design, EntityDesign, PatternPlan
from dynamodel.compiler.emit import capacity, describe
from dynamodel.compiler.emit.html_grid import escape, grid_items, item_grid, shown_items
from dynamodel.compiler.emit.html_style import entity_colours, stylesheet
from dynamodel.compiler.names import pascal_case, plural
from dynamodel.compiler.samples import SampleData, sample_data

Cell = str | tuple[str, ...]  # one line, or several (shown one under the other)


@dataclass(frozen=True)
class MatrixColumn:
    header: str
    cell: Callable[[Design, PatternPlan], Cell]
    code: bool = False  # set in monospace
    nowrap: bool = False
    wide: bool = False  # prose that should not be squeezed into a narrow column


def _served(design: Design, plan: PatternPlan) -> Cell:
    if plan.view:
        return tuple(
            f"{part.field}: {'[' + part.entity + ']' if part.many else part.entity}"
            for part in plan.view
        )
    return plan.entity or ""


def _key_condition(design: Design, plan: PatternPlan) -> Cell:
    lines = [plan.key_condition]
    if plan.range_condition:
        lines.append(f"range: {plan.range_condition}")
    keys = f"pk = {plan.partition.render()}"
    if plan.sort is not None:
        keys += f", sk = {plan.sort.render()}"
    lines.append(keys)
    return tuple(lines)


def _method(design: Design, plan: PatternPlan) -> Cell:
    returns = pascal_case(plan.name) if plan.kind == "view" else describe.returns(plan)
    return f"{plan.name}({describe.arguments(plan)}) -> {returns}"


def _capacity(design: Design, plan: PatternPlan) -> Cell:
    """Read units per call (and items read); with a rate, the monthly cost."""
    read = design.capacity.read_of(plan.name)
    units = capacity.show_units(read.read_units)
    items = "1 item" if read.items == 1 else f"{read.items} items"
    lines = [f"{units} read unit{'' if read.read_units == 1 else 's'}, {items}"]
    if read.rate is not None:
        lines.append(
            f"{capacity.show_rate(read.rate)}/s: {capacity.show_cost(read.monthly_cost)}/month"
        )
    return tuple(lines)


MATRIX_COLUMNS: tuple[MatrixColumn, ...] = (
    MatrixColumn("pattern", lambda d, p: p.name, code=True, nowrap=True),
    MatrixColumn("reads", _served),
    MatrixColumn("operation", lambda d, p: p.operation),
    MatrixColumn("index", lambda d, p: describe.index_label(p.index)),
    MatrixColumn("key condition", _key_condition, code=True),
    MatrixColumn("consistency", lambda d, p: describe.consistency(p)),
    MatrixColumn("requests", lambda d, p: describe.requests(p)),
    MatrixColumn("order", lambda d, p: describe.order(p)),
    MatrixColumn("capacity per call", _capacity, nowrap=True),
    MatrixColumn("method", _method, code=True),
    MatrixColumn("notes", lambda d, p: tuple(p.notes), wide=True),
)


def _cell_html(value: Cell) -> str:
    lines = (value,) if isinstance(value, str) else value
    return "<br>".join(escape(line) for line in lines)


def _cell_opening(column: MatrixColumn) -> str:
    flags = (("mono", column.code), ("nowrap", column.nowrap), ("wide", column.wide))
    kinds = [k for k, on in flags if on]
    return f'<td class="{" ".join(kinds)}">' if kinds else "<td>"


def _matrix(design: Design, columns: Sequence[MatrixColumn]) -> list[str]:
    out = ['<div class="grid-wrap"><table class="plain matrix">']
    out.append("<thead><tr>" + "".join(f"<th>{escape(c.header)}</th>" for c in columns))
    out.append("</tr></thead><tbody>")
    openings = [_cell_opening(column) for column in columns]  # the same in every row
    for plan in design.patterns:
        cells = [
            f"{opening}{_cell_html(column.cell(design, plan))}</td>"
            for opening, column in zip(openings, columns, strict=True)
        ]
        out.append(f'<tr id="pattern-{escape(plan.name)}">' + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return out


def _capacity_section(design: Design) -> list[str]:
    """Item sizes, the writes' units and the monthly totals (the reads are in the matrix)."""
    out = ['<section id="capacity">', "<h2>Capacity and cost</h2>"]
    out.append(
        '<p class="muted">Estimates per call: read units per 4 KB (half when eventually '
        "consistent), write units per 1 KB per item, transactions counting double, every GSI "
        "copy a write of its own. Item sizes: "
        + escape(", ".join(capacity.size_notes(design)))
        + ".</p>"
    )
    out.append('<div class="grid-wrap"><table class="plain matrix">')
    out.append(
        "<thead><tr>"
        + "".join(f"<th>{escape(h)}</th>" for h in capacity.WRITE_HEADER)
        + "</tr></thead><tbody>"
    )
    for write in design.capacity.writes:
        row = capacity.write_row(write)
        out.append(
            f'<tr><td class="mono nowrap">{escape(row[0])}</td>'
            + "".join(f"<td>{escape(cell)}</td>" for cell in row[1:])
            + "</tr>"
        )
    out.append("</tbody></table></div>")
    out.extend(f"<p>{escape(line)}.</p>" for line in capacity.closing_lines(design))
    out.append("</section>")
    return out


def _settings(design: Design) -> list[str]:
    table = design.spec.table
    items = [
        f"partition key {design.partition_key}, sort key {design.sort_key}",
        f"{len(design.indexes)} GSI{'s' if len(design.indexes) != 1 else ''}",
        f"billing: {describe.billing(design)}",
    ]
    if table.stream:
        items.append(f"stream: {table.stream}")
    if design.ttl_attribute:
        items.append(f"TTL attribute: {design.ttl_attribute}")
    items.append(f"point-in-time recovery: {describe.show_value(table.point_in_time_recovery)}")
    items.append(f"deletion protection: {describe.show_value(table.deletion_protection)}")
    items.append(f"GSI strategy: {table.indexes}")
    return ['<ul class="settings">', *(f"<li>{escape(i)}</li>" for i in items), "</ul>"]


def _legend(samples: SampleData, design: Design, classes: dict[str, str]) -> list[str]:
    out = ['<ul class="legend">']
    for entity in design.entities:
        count = len(samples.items_of(entity.name))
        out.append(
            f'<li><span class="swatch {classes[entity.name]}"></span>{escape(entity.name)} '
            f'<span class="muted">({count} item{"s" if count != 1 else ""})</span></li>'
        )
    guards = sum(1 for s in samples.items if s.guard)
    if guards:
        out.append(
            '<li><span class="swatch g"></span>unique guards '
            f'<span class="muted">({guards} item{"s" if guards != 1 else ""})</span></li>'
        )
    out.append("</ul>")
    return out


def _index_summary(design: Design, samples: SampleData, index: str) -> str:
    """Which entities' items an index holds, and why some are left out (sparse keys)."""
    pk, _ = design.key_names(index)
    parts = []
    for entity in design.entities:
        key = entity.key_on(index) or next((k for k in entity.keys if k.index == index), None)
        if key is None:
            continue
        own = samples.items_of(entity.name)
        inside = sum(1 for s in own if pk in s.item)
        text = f"{entity.name}: {inside} of {_count(len(own), 'item')}"
        notes = [
            n for n in describe.key_summary(key).split("; ") if n and not n.startswith("serves ")
        ]
        if notes:
            text += " (" + "; ".join(notes) + ")"
        parts.append(text)
    return "; ".join(parts)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _grid_section(
    design: Design, samples: SampleData, index: str | None, classes: dict[str, str]
) -> list[str]:
    pk, sk = design.key_names(index)
    items = grid_items(design, samples, index)
    partitions = len({s.item[pk]["S"] for s in items})
    if index is None:
        anchor, title = "table", f"Base table {design.table_name}"
        about = f"{pk} / {sk}: {_count(len(items), 'item')} in {_count(partitions, 'partition')}"
    else:
        gsi = design.gsi(index)
        anchor, title = f"index-{index}", f"GSI {index}"
        about = (
            f"{pk} / {sk}, projection {gsi.projection}: {_count(len(items), 'item')} in "
            f"{_count(partitions, 'partition')}. {_index_summary(design, samples, index)}"
        )
    shown = shown_items(items, pk)
    out = [
        f'<section id="{escape(anchor)}">',
        f"<h2>{escape(title)}</h2>",
        f'<p class="muted">{escape(about)}</p>',
        item_grid(design, shown, index, classes).rstrip("\n"),
    ]
    if len(shown) < len(items):
        shown_partitions = len({s.item[pk]["S"] for s in shown})
        out.append(
            f'<p class="muted">The grid shows the first {_count(len(shown), "item")} '
            f"({_count(shown_partitions, 'partition')}) of {len(items)}, to keep the page "
            "light; workbench.json holds every sample item.</p>"
        )
    return [*out, "</section>"]


def _keys_of(entity: EntityDesign, classes: dict[str, str], design: Design) -> list[str]:
    summary = describe.entity_summary(design, entity)
    out = [
        f'<h3><span class="swatch {classes[entity.name]}"></span> {escape(entity.name)}</h3>',
    ]
    if summary:
        out.append(f'<p class="muted">{escape(summary[:1].upper() + summary[1:])}.</p>')
    out.append('<table class="plain"><thead><tr><th>index</th><th>partition key</th>')
    out.append("<th>sort key</th><th>notes</th></tr></thead><tbody>")
    for key in entity.keys:
        label = "table" if key.index == TABLE else key.index
        out.append(
            f"<tr><td>{escape(label)}</td>"
            f'<td class="mono">{escape(key.partition_key)} = {escape(key.partition.render())}</td>'
            f'<td class="mono">{escape(key.sort_key)} = {escape(key.sort.render())}</td>'
            f"<td>{escape(describe.key_summary(key))}</td></tr>"
        )
    for guard in entity.unique_guards:
        out.append(
            f"<tr><td>unique guard ({escape(', '.join(guard.attributes))})</td>"
            f'<td class="mono">{escape(design.partition_key)} = '
            f"{escape(guard.partition.render())}</td>"
            f'<td class="mono">{escape(design.sort_key)} = {escape(guard.sort.render())}</td>'
            "<td>claimed in the same transaction as the item</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def emit_html(
    design: Design,
    *,
    path: str = "spec.yaml",
    samples: SampleData | None = None,
    columns: Sequence[MatrixColumn] = MATRIX_COLUMNS,
) -> str:
    """The report page. `samples` defaults to `sample_data(design)` (3 records per entity)."""
    if samples is None:
        samples = sample_data(design)
    return html_top(design, path=path, samples=samples) + html_bottom(
        design, path=path, columns=columns
    )


def _classes(design: Design) -> dict[str, str]:
    return {entity.name: f"e{position}" for position, entity in enumerate(design.entities)}


def html_top(design: Design, *, path: str, samples: SampleData) -> str:
    """The page up to the access patterns: the head, the legend and the item grids, the
    parts made from sample items."""
    colours = entity_colours(design)
    classes = _classes(design)
    title = f"{design.table_name}: table design"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        "<style>",
        stylesheet(colours, classes).rstrip("\n"),
        "</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">Generated by dynamodel from {escape(path)}. Every access pattern '
        "is one GetItem or one Query (or one per write shard, in parallel): no Scan, no "
        "FilterExpression.</p>",
        *_settings(design),
        "<nav>",
        '<a href="#table">base table</a>',
        *(f'<a href="#index-{escape(g.name)}">{escape(g.name)}</a>' for g in design.indexes),
        '<a href="#patterns">access patterns</a>',
        '<a href="#capacity">capacity</a>',
        '<a href="#keys">key templates</a>',
        '<a href="#warnings">warnings</a>',
        "</nav>",
        "</header>",
        '<section id="legend">',
        "<h2>Sample items</h2>",
        f'<p class="muted">{plural(len(samples.items), "synthetic item")}, exactly as the generated '
        "repository writes them: the grids below lay them out by partition key, then sort "
        "key, like NoSQL Workbench's aggregate view. Each entity has its colour:</p>",
        *_legend(samples, design, classes),
        "</section>",
        *_grid_section(design, samples, None, classes),
    ]
    for gsi in design.indexes:
        out += _grid_section(design, samples, gsi.name, classes)
    return "\n".join(out) + "\n"


def html_bottom(
    design: Design, *, path: str, columns: Sequence[MatrixColumn] = MATRIX_COLUMNS
) -> str:
    """The rest of the page: access patterns, capacity, key templates, warnings."""
    classes = _classes(design)
    out: list[str] = []
    out += ['<section id="patterns">', "<h2>Access patterns</h2>", *_matrix(design, columns)]
    out += ["</section>", *_capacity_section(design)]
    out += ['<section id="keys">', "<h2>Key templates</h2>"]
    for entity in design.entities:
        out += _keys_of(entity, classes, design)
    out += ["</section>", '<section id="warnings">', "<h2>Warnings</h2>"]
    if design.warnings:
        out.append("<ul>")
        out += [f'<li class="mono">{escape(w.render(path))}</li>' for w in design.warnings]
        out.append("</ul>")
    else:
        out.append('<p class="empty">None.</p>')
    out += [
        "</section>",
        "<footer>dynamodel design report. The sample values are made up (deterministic: the "
        "same spec gives the same page); their keys are exactly what the design writes."
        "</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"
