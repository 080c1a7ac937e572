"""Sort-prefix sharing: a key partitioned by P and sorted by [s1, ...] serves `by: P + [s1]`
and `where: {s1: value}` with begins_with, so the finer pattern needs no key of its own."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from dynamodel.compiler.design.layout import Layout, fixed_parts, merge
from dynamodel.compiler.pipeline import compile_spec
from tests.test_repository_oracle import fresh_repository, spec_package
from tests.test_requests_match_design import Recorder


def layout(partition: tuple[str, ...], sort: tuple[str, ...] = (), **extra: Any) -> Layout:
    return Layout(entity="E", partition=partition, sort=sort, **extra)


@pytest.mark.parametrize(
    ("coarse", "partition", "where", "fixed"),
    [
        ((("a",), ("b", "c"), ()), ("a", "b"), (), 1),
        ((("a",), ("b", "c"), ()), ("b", "a"), (), 1),
        ((("a",), ("b", "c"), ()), ("a", "b", "c"), (), 2),
        ((("a",), ("b", "c"), ()), ("a",), (("b", "x"),), 1),
        ((("a",), ("b", "c"), ()), ("a",), (), 0),
        ((("a",), ("b", "c"), ()), ("a", "c"), (), None),  # not the leading part
        ((("a",), ("b",), ()), ("a", "b", "c"), (), None),  # more than the sort holds
        ((("a", "d"), ("b",), ()), ("a", "b"), (), None),  # the partition is not a subset
        ((("a",), ("b",), (("w", 1),)), ("a", "b"), (), None),  # the key is sparser
        ((("a",), ("b",), (("w", 1),)), ("a", "b"), (("w", 1),), 1),
        ((("a",), ("b",), (("w", 1),)), ("a",), (("w", 2),), None),
    ],
)
def test_fixed_parts(
    coarse: tuple[Any, Any, Any], partition: tuple[str, ...], where: Any, fixed: int | None
) -> None:
    assert fixed_parts(coarse, partition, where) == fixed


def test_merge_keeps_the_coarser_partition_either_way() -> None:
    coarse = layout(("a",), ("b",), patterns=("coarse",))
    fine = layout(("a", "b"), ("c",), patterns=("fine",))
    for first, second in ((coarse, fine), (fine, coarse)):
        merged = merge(first, second)
        assert merged is not None
        assert merged.partition == ("a",)
        assert merged.sort == ("b", "c")
        assert set(merged.patterns) == {"coarse", "fine"}
    # The finer pattern's sort must continue the coarse key's after the fixed part.
    assert merge(layout(("a",), ("b", "d")), layout(("a", "b"), ("c",))) is None
    # Extending the coarse key's sort by an optional attribute would drop items it wants.
    assert merge(coarse, fine, optional=frozenset({"c"})) is None
    # Write shards keep their exact partition; a view never moves to a finer key.
    assert merge(layout(("a",), ("b",), shards=4), layout(("a", "b"), shards=4)) is None
    view = layout(("a", "b"), group=frozenset({"E", "F"}), group_tag="F")
    assert merge(coarse, view) is None
    head = layout(("a",), head_prefix="#", group=frozenset({"E", "F"}), group_tag="E")
    assert merge(head, layout(("a", "x"))) is None


def test_a_view_list_key_takes_the_finer_patterns() -> None:
    listed = layout(("a",), ("b",), group=frozenset({"E", "F"}), group_tag="F")
    merged = merge(listed, layout(("a",), where=(("b", "open"),)))
    assert merged is not None and merged.group == listed.group and merged.partition == ("a",)


SPEC = """
version: 1
table: Shop
entities:
  Line:
    id: [order_id, line_no]
    attributes:
      order_id: str
      line_no: int
      customer_id: str
      status: {type: str, enum: [open, shipped]}
      sku: str
      placed_at: datetime
access_patterns:
  lines_of_order:       {entity: Line, by: [order_id]}
  lines_of_customer:    {entity: Line, by: [customer_id], sort: [status, placed_at]}
  customer_lines_in:    {entity: Line, by: [customer_id, status], sort: placed_at, order: desc}
  open_customer_lines:  {entity: Line, by: [customer_id], where: {status: open}, sort: placed_at}
  customer_sku_lines:   {entity: Line, by: [customer_id, status, placed_at]}
"""


def test_the_finer_patterns_share_one_gsi() -> None:
    result = compile_spec(SPEC)
    assert result.design is not None, result.rendered()
    design = result.design
    assert len(design.indexes) == 1
    plans = {p.name: p for p in design.patterns}
    assert plans["lines_of_customer"].fixed_sort == ()
    assert plans["customer_lines_in"].fixed_sort == ("status",)
    assert plans["open_customer_lines"].fixed_sort == ("status",)
    assert plans["customer_sku_lines"].fixed_sort == ("status", "placed_at")
    assert {plans[n].index for n in plans if n != "lines_of_order"} == {"GSI1"}
    assert any("fixed as the leading sort part" in n for n in plans["customer_lines_in"].notes)


def test_the_base_table_serves_a_by_that_fixes_its_leading_sort_part() -> None:
    spec = """
version: 1
table: Library
entities:
  Genre:
    id: [isbn, genre, subgenre]
    attributes: {isbn: str, genre: str, subgenre: str}
access_patterns:
  genres_of_book:          {entity: Genre, by: [isbn], sort: [genre, subgenre]}
  subgenres_of_book_genre: {entity: Genre, by: [isbn, genre], sort: subgenre, consistent: true}
"""
    result = compile_spec(spec)
    assert result.design is not None, result.rendered()
    assert result.design.indexes == ()
    plan = result.design.pattern("subgenres_of_book_genre")
    assert plan.index is None and plan.consistent and plan.fixed_sort == ("genre",)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "shop", SPEC)


# Customer ids that end where another begins, hold the key delimiter, its escape, or unicode:
# a fixed part must never match across the end of a value.
CUSTOMERS = ["c", "c#", "c#open", "ca", "c%23", "ç", ""]
START = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_finer_patterns_read_exactly_their_items(
    shop: ModuleType, dynamodb_client: Any, table_name: str
) -> None:
    recorder = Recorder(dynamodb_client)
    repo = fresh_repository(shop, recorder, table_name)
    rng = random.Random(12)
    lines = []
    for number in range(60):
        line = shop.Line(
            order_id=f"o{number % 7}",
            line_no=number,
            customer_id=rng.choice(CUSTOMERS) or "-",
            status=rng.choice(["open", "shipped"]),
            sku=f"sku{number % 3}",
            placed_at=START + timedelta(minutes=rng.randrange(20)),
        )
        repo.create_line(line)
        lines.append(line)

    def ids(page: Any) -> list[tuple[str, int]]:
        return [(line.order_id, line.line_no) for line in page.items]

    def oracle(rows: list[Any], *, reverse: bool = False) -> list[tuple[str, int]]:
        ordered = sorted(rows, key=lambda r: (r.placed_at, r.order_id, r.line_no), reverse=reverse)
        return [(r.order_id, r.line_no) for r in ordered]

    for customer in sorted({line.customer_id for line in lines} | {"c#o", "zz"}):
        for status in ("open", "shipped"):
            recorder.calls.clear()
            recorder.recording = True
            got = repo.customer_lines_in(customer_id=customer, status=status, limit=100)
            recorder.recording = False
            mine = [r for r in lines if r.customer_id == customer and r.status == status]
            assert ids(got) == oracle(mine, reverse=True), (customer, status)
            assert [op for op, _ in recorder.calls] == ["query"]
        got = repo.open_customer_lines(customer_id=customer, limit=100)
        mine = [r for r in lines if r.customer_id == customer and r.status == "open"]
        assert ids(got) == oracle(mine), customer
        for sample in [r for r in lines if r.customer_id == customer][:3]:
            got = repo.customer_sku_lines(
                customer_id=customer, status=sample.status, placed_at=sample.placed_at, limit=100
            )
            mine = [
                r
                for r in lines
                if (r.customer_id, r.status, r.placed_at)
                == (customer, sample.status, sample.placed_at)
            ]
            assert sorted(ids(got)) == sorted(oracle(mine)), customer
