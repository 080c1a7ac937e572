"""A user's project for the pytest plugin's tests (tests/test_testing_plugin*.py): a spec,
the package generated from it, a Lambda handler that builds its repository at import, tests
using the plugin's fixtures, and how to run them with pytest's `pytester`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dynamodel.compiler.codegen import generate_package
from dynamodel.compiler.pipeline import compile_spec

SPEC = """\
version: 1
table: Shop
entities:
  Customer:
    id: [customer_id]
    attributes: {customer_id: str, email: str, name: str}
    unique: [email]
  Order:
    id: [customer_id, order_no]
    attributes:
      customer_id: str
      order_no: int
      status: {type: str, enum: [open, shipped]}
      placed_at: datetime
access_patterns:
  get_customer: {entity: Customer, by: [customer_id]}
  orders_of_customer: {entity: Order, by: [customer_id], sort: placed_at}
"""

INI = """\
[pytest]
dynamodel_package = shop
dynamodel_path = generated
dynamodel_spec = spec.yaml
"""

# After every test, once the plugin's tables are torn down (this fixture is set up before
# them, so it is torn down after them), the Shop tables left on the backend.
CONFTEST = """\
import json
from pathlib import Path

import pytest

RECORD = Path(__file__).parent / "record.jsonl"


@pytest.fixture(autouse=True)
def left_behind(request, dynamodel_client):
    made = []
    request.node.made_tables = made
    yield
    names = dynamodel_client.list_tables()["TableNames"]
    entry = {"test": request.node.name, "left": [n for n in names if n.startswith("Shop-")]}
    with RECORD.open("a") as out:
        out.write(json.dumps({**entry, "made": made}) + "\\n")
"""

HANDLER = """\
from shop import ShopRepository

repository = ShopRepository()  # at import, as a Lambda does: SHOP_TABLE_NAME names the table
"""

TESTS = """\
import os
import re

import pytest
from shop import Customer, ShopRepository

NAME = re.compile(r"Shop-{stage}-[0-9a-f]{{8}}")


def customer(number):
    return Customer(customer_id=f"c{{number}}", email=f"c{{number}}@example.com", name="C")


def test_a_fresh_empty_table(dynamodel_repository, dynamodel_table, request):
    request.node.made_tables.append(dynamodel_table.name)
    assert NAME.fullmatch(dynamodel_table.name), dynamodel_table.name
    assert type(dynamodel_repository) is ShopRepository
    assert dynamodel_repository.table_name == dynamodel_table.name
    assert os.environ["SHOP_TABLE_NAME"] == dynamodel_table.name
    assert dynamodel_table.items() == []
    dynamodel_repository.create_customer(customer(1))
    # A repository built with the defaults (client, table name) reaches the same table.
    assert ShopRepository().get_customer(customer_id="c1").email == "c1@example.com"


def test_a_handler_built_at_import_finds_the_table(dynamodel_table, request):
    request.node.made_tables.append(dynamodel_table.name)
    handler = dynamodel_table.import_fresh("handler")
    assert handler.repository.table_name == dynamodel_table.name
    handler.repository.create_customer(customer(2))
    assert dynamodel_table.repository.get_customer(customer_id="c2") is not None


@pytest.mark.dynamodel(seed=True)
def test_seeded_from_the_spec(dynamodel_table, request):
    request.node.made_tables.append(dynamodel_table.name)
    samples = dynamodel_table.samples
    assert samples is not None and len(samples.records("Customer")) == 3
    assert len(dynamodel_table.items()) == len(samples.items) == 9  # 6 records, 3 guards
    first = samples.records("Customer")[0]
    found = dynamodel_table.repository.get_customer(customer_id=first["customer_id"])
    assert found.email == first["email"]


@pytest.mark.dynamodel(seed=1)
def test_seeded_with_one_record_per_entity(dynamodel_table, request):
    request.node.made_tables.append(dynamodel_table.name)
    assert len(dynamodel_table.items()) == 3  # a customer, its email's guard, an order


@pytest.mark.parametrize("dynamodel_table", [{{"seed": 2}}], indirect=True)
def test_seeded_by_an_indirect_parameter(dynamodel_table, request):
    request.node.made_tables.append(dynamodel_table.name)
    assert len(dynamodel_table.items()) == 6


def test_more_tables_from_the_factory(dynamodel_tables, request):
    first = dynamodel_tables.create()
    request.node.made_tables.append(first.name)
    with dynamodel_tables.fresh() as second:
        request.node.made_tables.append(second.name)
        assert second.name != first.name and second.exists()
        assert os.environ["SHOP_TABLE_NAME"] == second.name
    assert not second.exists()
    assert os.environ["SHOP_TABLE_NAME"] == first.name


def test_fails_after_writing(dynamodel_repository, dynamodel_table, request):
    request.node.made_tables.append(dynamodel_table.name)
    dynamodel_repository.create_customer(customer(3))
    assert False, "fails on purpose: its table must go all the same"
"""


def user_project(pytester: pytest.Pytester, *, stage: str = "test") -> Path:
    """A project as a user has it: spec.yaml, generated/shop (dynamodel generate), a handler,
    the plugin's ini options and tests."""
    compilation = compile_spec(SPEC, path="spec.yaml")
    assert compilation.design is not None, compilation.rendered()
    for relative, text in generate_package(compilation.design, package="shop").items():
        target = pytester.path / "generated" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    pytester.makefile(".yaml", spec=SPEC)
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(handler=HANDLER, test_shop=TESTS.format(stage=stage))
    return pytester.path / "record.jsonl"


def run(pytester: pytest.Pytester, *arguments: str) -> pytest.RunResult:
    """The user's pytest, in process; pytest-benchmark (if installed) left out: under xdist
    it warns in every run that it is off."""
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark", *arguments)


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def user_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials of a real-looking account in the environment: the plugin must not send
    them to a test backend, nor let a test reach that account."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUSERSOWNKEY00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "users-own-secret")
    for name in ("DYNAMODEL_TEST_ENDPOINT", "DYNAMODEL_TEST_AWS", "DYNAMODEL_TEST_STAGE"):
        monkeypatch.delenv(name, raising=False)


CREDENTIALS_CHECK = """\
def test_the_credentials_are_dummy(dynamodel_client, dynamodel_backend):
    import os

    signer = dynamodel_client._request_signer._credentials
    # Dummy ones (moto's own in process): not the user's, for no client of the test.
    assert signer.access_key != "AKIAUSERSOWNKEY00000"
    assert os.environ["AWS_ACCESS_KEY_ID"] != "AKIAUSERSOWNKEY00000"
    assert dynamodel_backend.aws is False
"""
