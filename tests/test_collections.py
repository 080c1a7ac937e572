"""`collection`: an entity whose id does not hold the attributes of another entity's partition
can still live in its item collection. An invoice (id `invoice_id`) declares `collection:
[order_id]`: its table key is `PK = Order#{order_id}`, `SK = Invoice#{invoice_id}`, so "an
order and its invoices" is one Query on the base table (no GSI), and "an invoice by its id"
moves to a GSI, as in the published online-shop design. The collection is part of every key
argument (update, delete) and cannot change.
"""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

import pytest

from dynamodel.compiler.pipeline import compile_spec
from tests.test_repository_oracle import fresh_repository, spec_package
from tests.test_requests_match_design import Recorder

SPEC = """\
version: 1
table: {name: Shop}
entities:
  Order:
    id: [order_id]
    attributes: {order_id: str, customer_id: str}
  Invoice:
    id: [invoice_id]
    collection: [order_id]
    attributes: {invoice_id: str, order_id: str, amount: int}
access_patterns:
  get_order: {entity: Order, by: [order_id]}
  get_invoice: {entity: Invoice, by: [invoice_id]}
  invoices_of_order: {entity: Invoice, by: [order_id], consistent: true}
  order_with_invoices: {view: {order: Order, invoices: [Invoice]}, by: [order_id]}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "shop_collections", SPEC)


def test_the_invoice_lives_in_the_order_partition() -> None:
    compilation = compile_spec(SPEC)
    design = compilation.design
    assert design is not None and not compilation.diagnostics, compilation.rendered()
    key = design.entity("Invoice").table_key
    assert (key.partition.render(), key.sort.render()) == (
        "Order#{order_id}",
        "Invoice#{invoice_id}",
    )
    plans = {p.name: p for p in design.patterns}
    assert plans["order_with_invoices"].index is None  # the base table: no GSI for the view
    assert plans["invoices_of_order"].index is None and plans["invoices_of_order"].consistent
    assert (plans["get_invoice"].kind, plans["get_invoice"].index) == ("one", "GSI1")
    assert len(design.indexes) == 1


@pytest.mark.parametrize("seed", range(2))
def test_collections_read_and_write_like_the_oracle(
    shop: ModuleType, dynamodb_client: Any, table_name: str, seed: int
) -> None:
    recorder = Recorder(dynamodb_client)
    repo = fresh_repository(shop, recorder, table_name)
    rng = random.Random(seed)
    orders = [f"o{n}" for n in range(4)]
    for order_id in orders[:3]:
        repo.create_order(shop.Order(order_id=order_id, customer_id="c"))
    invoices: dict[str, Any] = {}
    for number in range(12):
        invoice = shop.Invoice(
            invoice_id=f"i{number:02d}", order_id=rng.choice(orders), amount=rng.randrange(100)
        )
        repo.create_invoice(invoice)
        invoices[invoice.invoice_id] = invoice
    # An update names the item by its whole table key, and changes the rest.
    for invoice_id in rng.sample(sorted(invoices), 4):
        invoice = invoices[invoice_id]
        invoices[invoice_id] = repo.update_invoice(
            order_id=invoice.order_id, invoice_id=invoice_id, amount=invoice.amount + 1
        )
        assert invoices[invoice_id].amount == invoice.amount + 1
    for invoice_id in rng.sample(sorted(invoices), 3):
        repo.delete_invoice(order_id=invoices[invoice_id].order_id, invoice_id=invoice_id)
        del invoices[invoice_id]
    for order_id in orders:
        mine = sorted(
            (i for i in invoices.values() if i.order_id == order_id), key=lambda i: i.invoice_id
        )
        recorder.calls.clear()
        recorder.recording = True
        view = repo.order_with_invoices(order_id=order_id)
        page = repo.invoices_of_order(order_id=order_id, consistent=True)
        recorder.recording = False
        assert [name for name, _ in recorder.calls] == ["query", "query"]
        assert view.invoices == mine and page.items == mine
        assert (view.order is None) == (order_id not in orders[:3])
    for invoice_id in [f"i{n:02d}" for n in range(12)]:
        assert repo.get_invoice(invoice_id=invoice_id) == invoices.get(invoice_id)


# The base partition is the id itself (no pattern reads by the collection): a read by the id
# alone is one item from the table's partition, strongly consistent on request.
BY_ID = """\
version: 1
table: {name: Tickets}
entities:
  Ticket:
    id: [ticket_id]
    collection: [queue]
    attributes: {ticket_id: str, queue: str, title: str}
access_patterns:
  get_ticket: {entity: Ticket, by: [ticket_id]}
"""


def test_a_read_by_the_id_without_its_collection_returns_one_item(
    tmp_path_factory: pytest.TempPathFactory, dynamodb_client: Any, table_name: str
) -> None:
    design = compile_spec(BY_ID).design
    assert design is not None
    plan = design.pattern("get_ticket")
    assert (plan.kind, plan.index, plan.consistent_allowed) == ("one", None, True)
    tickets = spec_package(tmp_path_factory, "tickets_by_id", BY_ID)
    repo = fresh_repository(tickets, dynamodb_client, table_name)
    ticket = tickets.Ticket(ticket_id="t1", queue="ops", title="Disk full")
    repo.create_ticket(ticket)
    assert repo.get_ticket(ticket_id="t1", consistent=True) == ticket
    assert repo.get_ticket(ticket_id="t2") is None
