"""Item grids of the HTML report: the base table or one GSI, laid out like NoSQL Workbench's
aggregate view.

Items are grouped by partition key (one `<tbody>` per partition, the partition key cell
spanning its rows) and sorted by sort key in DynamoDB's order (UTF-8 bytes); each row then
shows the item's other attributes, one cell each, named above the value. A GSI grid holds the
items projected into it: only those that have its key attributes (sparse keys leave the others
out). Rows take their entity's colour.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
from collections.abc import Mapping
from typing import Any

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.samples import SampleData, SampleItem

_MARKUP = re.compile("[&<>\"']")

# Rows per grid; the examples' grids hold a few dozen.
GRID_ROW_LIMIT = 500


def escape(text: str) -> str:
    """`html.escape`, skipping its five replacements for the common text that needs none
    (the grids of a large design escape about a million cells)."""
    return html.escape(text) if _MARKUP.search(text) else text


def show_value(value: Mapping[str, Any]) -> str:
    """An AttributeValue as a reader wants to see it (bytes as base64, as DynamoDB JSON has)."""
    ((tag, inner),) = value.items()
    if tag in ("S", "N"):
        return str(inner)
    if tag == "BOOL":
        return "true" if inner else "false"
    if tag == "NULL":
        return "null"
    if tag == "B":
        return base64.b64encode(bytes(inner)).decode("ascii")
    if tag in ("SS", "NS"):
        return "[" + ", ".join(str(v) for v in inner) + "]"
    if tag == "BS":
        return "[" + ", ".join(base64.b64encode(bytes(v)).decode("ascii") for v in inner) + "]"
    if tag == "L":
        return "[" + ", ".join(show_value(v) for v in inner) + "]"
    if tag == "M":
        return "{" + ", ".join(f"{k}: {show_value(v)}" for k, v in inner.items()) + "}"
    return str(inner)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def grid_items(design: Design, samples: SampleData, index: str | None) -> list[SampleItem]:
    """The items of the base table (index None) or in one GSI, in partition then sort order."""
    pk, sk = design.key_names(index)
    found = [s for s in samples.items if pk in s.item and sk in s.item]
    return sorted(found, key=lambda s: (_utf8(s.item[pk]["S"]), _utf8(s.item[sk]["S"])))


def row_class(sample: SampleItem, classes: Mapping[str, str]) -> str:
    return "g" if sample.guard else classes[sample.entity]


def _attribute_order(design: Design, index: str | None, item: Mapping[str, Any]) -> list[str]:
    """The item's attributes after the grid's two key columns: in an index, the table keys
    first; then the item's own attributes; key attributes of other indexes last."""
    pk, sk = design.key_names(index)
    key_attributes = {design.partition_key, design.sort_key}
    for gsi in design.indexes:
        key_attributes |= {gsi.partition_key, gsi.sort_key}
    names = [n for n in item if n not in (pk, sk)]
    table_keys = [n for n in (design.partition_key, design.sort_key) if n in names]
    plain = [n for n in names if n not in key_attributes]
    other_keys = [n for n in names if n in key_attributes and n not in table_keys]
    return table_keys + plain + other_keys


def _title(name: str, value: Mapping[str, Any], ttl: str | None) -> str:
    ((tag, inner),) = value.items()
    title = f"{name} ({tag})"
    if name == ttl and tag == "N":
        instant = dt.datetime.fromtimestamp(int(inner), tz=dt.UTC)
        title += f": expires {instant.isoformat().replace('+00:00', 'Z')}"
    return title


def shown_items(
    items: list[SampleItem], pk: str, *, limit: int = GRID_ROW_LIMIT
) -> list[SampleItem]:
    """The first items of a grid (in its order), at most `limit`, cut between partitions; a
    first partition longer than `limit` is cut at `limit`."""
    if len(items) <= limit:
        return items
    end = limit
    while end > 0 and items[end].item[pk]["S"] == items[end - 1].item[pk]["S"]:
        end -= 1  # `end` splits a partition: move the cut to its start
    return items[: end or limit]


def item_grid(
    design: Design, items: list[SampleItem], index: str | None, classes: Mapping[str, str]
) -> str:
    """One `<table class="grid">` (in a scrolling wrapper) of `items` (see `grid_items` and
    `shown_items`), or a note when there are none."""
    pk, sk = design.key_names(index)
    if not items:
        return '<p class="empty">No sample item is in this index.</p>\n'
    orders = [_attribute_order(design, index, s.item) for s in items]
    width = max(len(order) for order in orders)
    out = ['<div class="grid-wrap"><table class="grid">']
    out.append(
        f"<thead><tr><th>{escape(pk)} (partition key)</th><th>{escape(sk)} (sort key)</th>"
        f'<th colspan="{width + 1}">attributes</th></tr></thead>'
    )
    # A cell's opening (its title and the attribute's name) depends only on the name and the
    # type tag, except on the TTL attribute: built once per pair, not once per cell.
    heads: dict[tuple[str, str], str] = {}
    ttl = design.ttl_attribute
    position = 0
    while position < len(items):
        value = items[position].item[pk]["S"]
        end = position
        while end < len(items) and items[end].item[pk]["S"] == value:
            end += 1
        out.append("<tbody>")
        for row in range(position, end):
            sample, order = items[row], orders[row]
            cells = []
            if row == position:
                cells.append(
                    f'<td class="pk" rowspan="{end - position}" title="{escape(pk)}">'
                    f"{escape(value)}</td>"
                )
            label = "unique guard" if sample.guard else sample.entity
            cells.append(
                f'<td class="sk" title="{escape(sk)}"><span class="n">{escape(label)}</span>'
                f"{escape(sample.item[sk]['S'])}</td>"
            )
            for name in order:
                attribute = sample.item[name]
                head = None if name == ttl else heads.get((name, next(iter(attribute))))
                if head is None:
                    head = (
                        f'<td class="a" title="{escape(_title(name, attribute, ttl))}">'
                        f'<span class="n">{escape(name)}</span>'
                    )
                    if name != ttl:
                        heads[name, next(iter(attribute))] = head
                cells.append(head + escape(show_value(attribute)) + "</td>")
            cells.append(f'<td class="fill" colspan="{width - len(order) + 1}"></td>')
            out.append(f'<tr class="{row_class(sample, classes)}">' + "".join(cells) + "</tr>")
        out.append("</tbody>")
        position = end
    out.append("</table></div>")
    return "\n".join(out) + "\n"
