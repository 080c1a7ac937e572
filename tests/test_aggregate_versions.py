"""Aggregates are always version-checked: a root with `version: false` is refused, and the
read-then-save race that interleaved such a root's members (8 writers, each saving the order
it read with its own lines) leaves exactly one writer's save in the table."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dynamodel import DynamodelError, VersionConflictError
from dynamodel.compiler.pipeline import compile_spec
from tests.test_repository_oracle import load_package
from tests.threads import outcomes_of

SPEC = """\
version: 1
table: Shop
entities:
  Order:
    id: [order_id]
{version}    attributes:
      order_id: str
      note: str
    members:
      lines: OrderLine
  OrderLine:
    id: [order_id, line_no]
    attributes:
      order_id: str
      line_no: int
      writer: int
access_patterns:
  get_order: {{entity: Order, by: [order_id]}}
"""
WRITERS = 8
LINES_PER_WRITER = 3


def test_an_unversioned_aggregate_root_is_a_check_error() -> None:
    result = compile_spec(SPEC.format(version="    version: false\n"), path="shop.yaml")
    errors = [d.render("shop.yaml") for d in result.diagnostics if d.is_error]
    assert errors == [
        "shop.yaml:6:14: error: aggregate root `Order` has `version: false`, so concurrent "
        "saves would interleave its members (an aggregate root is always versioned: remove "
        "`version: false`)"
    ]
    assert result.design is None


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    spec = tmp_path_factory.mktemp("versions") / "shop" / "spec.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text(SPEC.format(version=""), encoding="utf-8")
    return load_package(spec, Path(tmp_path_factory.mktemp("shop_package")))[1]


@pytest.fixture
def repo(shop: ModuleType, dynamodb_client: Any, table_name: str) -> Iterator[Any]:
    repository = shop.ShopRepository(client=dynamodb_client, table_name=table_name)
    repository.create_table()
    yield repository


# MiniStack only: in-process moto is not thread-safe, and moto_server does not isolate
# concurrent transactions (two version-checked saves can both pass; docs/reliability.md).
@pytest.mark.backends("ministack")
def test_concurrent_saves_of_an_aggregate_never_interleave(
    shop: ModuleType, repo: Any, backend: str
) -> None:
    repo.create_order(shop.Order(order_id="o1", note="new", lines=[]))

    def writer(n: int, barrier: threading.Barrier) -> None:
        order = repo.get_order(order_id="o1")
        barrier.wait()  # every writer has read version 1 before any of them saves
        lines = [
            shop.OrderLine(order_id="o1", line_no=n * LINES_PER_WRITER + i, writer=n)
            for i in range(LINES_PER_WRITER)
        ]
        repo.save_order(order.model_copy(update={"note": f"by {n}", "lines": lines}))

    outcomes = outcomes_of(WRITERS, writer)
    winners = [n for n, error in outcomes.items() if error is None]
    assert len(winners) == 1, outcomes
    assert all(isinstance(e, DynamodelError) for e in outcomes.values() if e is not None)
    assert any(isinstance(e, VersionConflictError) for e in outcomes.values())
    stored = repo.get_order(order_id="o1")
    assert stored.note == f"by {winners[0]}" and stored.version == 2
    assert {line.writer for line in stored.lines} == {winners[0]}
    assert len(stored.lines) == LINES_PER_WRITER
