"""The HTML report (`emit/html.py`): its grids hold exactly the sample items, laid out by
partition and sort key; the matrix has one row per pattern and takes extra columns; nothing
from the spec is ever injected into the page. (`test_html_browser.py` renders it in Chromium;
`test_golden.py` pins the examples' `report.html`.)"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.html import MATRIX_COLUMNS, MatrixColumn, emit_html
from dynamodel.compiler.emit.html_grid import show_value, shown_items
from dynamodel.compiler.emit.workbench import emit_workbench
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.compiler.samples import SampleItem, sample_data
from tests.spec_strategies import to_yaml, valid_specs

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(ROOT.glob("examples/*/spec.yaml")) + sorted(ROOT.glob("tests/golden/*/spec.yaml"))
TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "ul",
    "li", "nav", "a", "section", "div", "table", "thead", "tbody", "tr", "th", "td", "span",
    "br", "footer",
}  # fmt: skip


@dataclass
class Cell:
    attributes: dict[str, str | None]
    label: str  # the small name above the value (`<span class="n">`)
    value: str


@dataclass
class Row:
    classes: str
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Page(HTMLParser):
    """The page's tags, its text, and each grid's rows by section."""

    tags: set[str] = field(default_factory=set)
    text: list[str] = field(default_factory=list)
    rows: dict[str, list[list[Row]]] = field(default_factory=dict)  # section -> tbodies
    section: str = ""
    cell: dict[str, str | None] | None = None
    cell_text: list[str] = field(default_factory=list)
    label_text: list[str] = field(default_factory=list)
    in_label: bool = False
    in_grid: bool = False

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        attributes = dict(attrs)
        if tag == "section":
            self.section = attributes.get("id") or ""
        elif tag == "table":
            self.in_grid = "grid" in (attributes.get("class") or "").split()
        elif tag == "tbody" and self.in_grid:
            self.rows.setdefault(self.section, []).append([])
        elif tag == "tr" and self.in_grid and self.section in self.rows:
            self.rows[self.section][-1].append(Row(attributes.get("class") or ""))
        elif tag == "td" and self.in_grid:
            self.cell, self.cell_text, self.label_text = attributes, [], []
        elif tag == "span" and self.cell is not None and attributes.get("class") == "n":
            self.in_label = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            cell = Cell(self.cell, "".join(self.label_text), "".join(self.cell_text))
            self.rows[self.section][-1][-1].cells.append(cell)
            self.cell = None
        elif tag == "span":
            self.in_label = False
        elif tag == "table":
            self.in_grid = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.cell is not None:
            (self.label_text if self.in_label else self.cell_text).append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def _design(path: Path) -> Design:
    result = compile_spec(path.read_text(encoding="utf-8"), path=path.name)
    assert result.design is not None, result.rendered()
    return result.design


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.parent.name)
def test_grids_hold_exactly_the_sample_items_in_key_order(spec_path: Path) -> None:
    design = _design(spec_path)
    samples = sample_data(design)
    page = parse(emit_html(design, samples=samples))
    assert page.tags <= TAGS
    classes = {e.name: f"e{i}" for i, e in enumerate(design.entities)}
    for index in [None, *(g.name for g in design.indexes)]:
        pk, sk = design.key_names(index)
        section = "table" if index is None else f"index-{index}"
        expected = [s for s in samples.items if pk in s.item and sk in s.item]
        tbodies = page.rows.get(section, [])
        shown = [row for tbody in tbodies for row in tbody]
        assert len(shown) == len(expected), section
        expected_keys = sorted(
            (s.item[pk]["S"].encode(), s.item[sk]["S"].encode()) for s in expected
        )
        seen_keys = []
        for tbody in tbodies:
            first = tbody[0].cells[0]
            assert first.attributes["class"] == "pk"
            assert first.attributes["rowspan"] == str(len(tbody))
            for position, row in enumerate(tbody):
                sort = row.cells[1 if position == 0 else 0]
                assert sort.attributes["class"] == "sk"
                entity = (
                    next(name for name, c in classes.items() if c == row.classes)
                    if (row.classes != "g")
                    else "unique guard"
                )
                assert sort.label == entity, (section, sort)
                seen_keys.append((first.value.encode(), sort.value.encode()))
        assert seen_keys == expected_keys, section


def test_cells_show_every_attribute_value() -> None:
    design = _design(ROOT / "examples/iot/spec.yaml")
    samples = sample_data(design)
    page = parse(emit_html(design, samples=samples))
    shown = {
        (cell.label, cell.value)
        for tbody in page.rows["table"]
        for row in tbody
        for cell in row.cells
        if cell.attributes.get("class") == "a"
    }
    for sample in samples.items:
        for name, value in sample.item.items():
            if name in ("PK", "SK"):
                continue
            assert (name, show_value(value)) in shown, (name, value)


def test_matrix_has_a_row_per_pattern_and_takes_more_columns() -> None:
    design = _design(ROOT / "examples/tracker/spec.yaml")
    column = MatrixColumn("capacity", lambda d, p: f"{p.requests} x 0.5 RCU")
    text = emit_html(design, columns=(*MATRIX_COLUMNS, column))
    assert "<th>capacity</th>" in text
    assert text.count("x 0.5 RCU</td>") == len(design.patterns)
    for plan in design.patterns:
        assert f'<tr id="pattern-{plan.name}">' in text
        assert f"{plan.name}(" in text


HOSTILE = """\
version: 1
table: Hostile
entities:
  Thing:
    id: [thing_id]
    attributes:
      thing_id: str
      tenant: str
      kind:
        type: str
        enum: ["<script>alert(1)</script>", "a&b", "say \\"hi\\" & 'bye'", "</td></tr><tr>"]
        default: "a&b"
access_patterns:
  get_thing: {entity: Thing, by: [thing_id]}
  scripted: {entity: Thing, by: [tenant], where: {kind: "<script>alert(1)</script>"}}
  quoted: {entity: Thing, by: [tenant], where: {kind: "say \\"hi\\" & 'bye'"}}
"""
HOSTILE_PATH = '<img src=x onerror="alert(2)">&spec.yaml'


def test_nothing_from_the_spec_is_injected() -> None:
    result = compile_spec(HOSTILE, path=HOSTILE_PATH)
    assert result.design is not None, result.rendered()
    samples = sample_data(result.design, per_entity=4)  # every enum value in some record
    text = emit_html(result.design, path=HOSTILE_PATH, samples=samples)
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert "</td></tr><tr>" not in text
    page = parse(text)
    assert page.tags <= TAGS  # only the report's own tags
    body = "".join(page.text)
    # ... and the hostile values are shown as text, as written.
    for value in ("<script>alert(1)</script>", "a&b", "say \"hi\" & 'bye'", "</td></tr><tr>"):
        assert value in body, value
    assert HOSTILE_PATH in body
    rows = [row for tbody in page.rows["table"] for row in tbody]
    kinds = {cell.value for row in rows for cell in row.cells if cell.label == "kind"}
    assert "<script>alert(1)</script>" in kinds
    model = emit_workbench(result.design, path=HOSTILE_PATH)
    assert '"S": "<script>alert(1)</script>"' in model


def test_the_page_is_deterministic_and_needs_nothing_external() -> None:
    design = _design(ROOT / "examples/projects/spec.yaml")
    first, second = emit_html(design), emit_html(design)
    assert first == second
    for marker in ("http://", "https://", "<link", "src=", "@import", "url("):
        assert marker not in first.replace("https://example.com/", ""), marker


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(valid_specs())
def test_random_specs_get_a_page_and_a_model(spec: dict[str, Any]) -> None:
    result = compile_spec(to_yaml(spec))
    if result.design is None:
        return  # only the GSI limit can stop a valid spec
    samples = sample_data(result.design)
    page = parse(emit_html(result.design, samples=samples))
    assert page.tags <= TAGS
    shown = sum(len(tbody) for tbody in page.rows.get("table", []))
    assert shown == len(samples.items)
    model = json.loads(emit_workbench(result.design, samples=samples))
    facets = model["DataModel"][0]["TableFacets"]
    assert sum(len(facet["TableData"]) for facet in facets) == len(samples.items)


def test_a_large_grid_shows_whole_partitions_up_to_its_limit_and_says_so() -> None:
    # 200 entities: about 1,200 items in the base table, more than a page should hold.
    entities = {
        f"Thing{n}": {
            "id": ["thing_id", "line"],
            "attributes": {"thing_id": "str", "line": "int", "email": "str"},
            "unique": ["email"],
        }
        for n in range(200)
    }
    spec = to_yaml({"version": 1, "table": "Many", "entities": entities, "access_patterns": {}})
    result = compile_spec(spec, path="many.yaml")
    assert result.design is not None, result.rendered()
    design = result.design
    samples = sample_data(design)
    page = parse(emit_html(design, samples=samples))
    pk, sk = design.key_names(None)
    everything = sorted(
        (s.item[pk]["S"].encode(), s.item[sk]["S"].encode())
        for s in samples.items
        if pk in s.item and sk in s.item
    )
    assert len(everything) > 1000
    # The oracle: whole partitions, in key order, as many as fit in 500 rows.
    shown_count, partitions = 0, 0
    while shown_count < len(everything):
        end = shown_count
        while end < len(everything) and everything[end][0] == everything[shown_count][0]:
            end += 1
        if end > 500:
            break
        shown_count, partitions = end, partitions + 1
    tbodies = page.rows["table"]
    seen = [
        (tbody[0].cells[0].value.encode(), row.cells[1 if i == 0 else 0].value.encode())
        for tbody in tbodies
        for i, row in enumerate(tbody)
    ]
    assert 0 < len(seen) <= 500
    assert seen == everything[:shown_count]
    assert len(tbodies) == partitions
    text = " ".join("".join(page.text).split())
    assert (
        f"The grid shows the first {shown_count} items ({partitions} partitions) of "
        f"{len(everything)}, to keep the page light; workbench.json holds every sample item."
    ) in text


def test_a_partition_longer_than_the_limit_is_cut_at_the_limit() -> None:
    def item(pk: str) -> SampleItem:
        return SampleItem(entity="E", item={"PK": {"S": pk}}, guard=False)

    one_partition = [item("a")] * 7 + [item("b")]
    assert len(shown_items(one_partition, "PK", limit=5)) == 5
    two = [item("a")] * 3 + [item("b")] * 3 + [item("c")]
    assert [s.item["PK"]["S"] for s in shown_items(two, "PK", limit=5)] == ["a"] * 3
    assert shown_items(two, "PK", limit=7) == two
    assert [s.item["PK"]["S"] for s in shown_items(two, "PK", limit=6)] == ["a"] * 3 + ["b"] * 3
