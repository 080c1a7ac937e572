"""Atomic counters and apply-once writes (`dynamodel.runtime.counters`, `Repository.increment`
and `Repository.apply_once`) on every backend, through the iot example's `SiteAlertCount`:
items created from the defaults, no increment lost under concurrency, a token applied once
per consumer, markers that expire through the table's TTL, a lost response never adding
twice; and Decimal and float counters, on an entity of the test's own. What is refused
before sending is tested in tests/test_counter_refusals.py."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from dynamodel import InvalidValueError, RetriesExhaustedError
from dynamodel.runtime import counters
from dynamodel.runtime import marshal as m
from dynamodel.runtime.counters import Increment
from dynamodel.runtime.retry import RetryPolicy
from dynamodel.runtime.schema import EntitySchema, Item
from tests.faults import FaultInjector

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "iot" / "generated"))

from fleet import FleetRepository, SiteAlertCount
from fleet import _schema as fleet_schema

FAST_RETRIES = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)


def fleet(client: Any, table_name: str, **options: Any) -> FleetRepository:
    repo = FleetRepository(client=client, table_name=table_name, cursor_key="k" * 32, **options)
    repo.create_table()
    return repo


def stored(repo: FleetRepository, key: Item) -> Item | None:
    item = repo.table.get_item(key, consistent=True)
    return item


def count(repo: FleetRepository, site_id: str) -> int | None:
    found = repo.site_alert_count(site_id=site_id, consistent=True)
    return None if found is None else found.open_alerts


def test_increments_create_the_item_from_its_defaults_and_add(
    dynamodb_client: Any, table_name: str
) -> None:
    repo = fleet(dynamodb_client, table_name)
    after = repo.increment(SiteAlertCount, {"site_id": "s1"}, open_alerts=1)
    assert after == SiteAlertCount(site_id="s1", open_alerts=1)
    item = stored(repo, fleet_schema.site_alert_count_key(site_id="s1"))
    assert item == {**fleet_schema.site_alert_count_to_item(after)}  # a whole item: _type, id
    assert repo.increment(SiteAlertCount, {"site_id": "s1"}, open_alerts=-3).open_alerts == -2
    assert count(repo, "s1") == -2
    assert count(repo, "s2") is None


# moto (in-process and moto_server) applies concurrent requests without isolation (see
# tests/test_concurrency.py): it loses updates that DynamoDB never loses.
@pytest.mark.backends("ministack")
def test_concurrent_increments_lose_none(
    backend: str, dynamodb_client: Any, table_name: str
) -> None:
    repo = fleet(dynamodb_client, table_name)
    threads, each = 8, 15
    errors: list[BaseException] = []

    def work(number: int) -> None:
        try:
            for _ in range(each):
                repo.increment(SiteAlertCount, {"site_id": "hot"}, open_alerts=number % 2 * 2 - 1)
                repo.increment(SiteAlertCount, {"site_id": "all"}, open_alerts=1)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert count(repo, "all") == threads * each
    assert count(repo, "hot") == 0  # half the threads add one each time, half subtract one


def test_apply_once_applies_a_token_once_per_consumer(
    dynamodb_client: Any, table_name: str
) -> None:
    repo = fleet(dynamodb_client, table_name)
    one = [Increment(SiteAlertCount, {"site_id": "s1"}, {"open_alerts": 1})]
    before = datetime.now(UTC).replace(microsecond=0)
    assert repo.apply_once("record-1", consumer="counter", increments=one) is True
    after = datetime.now(UTC)
    assert repo.apply_once("record-1", consumer="counter", increments=one) is False
    assert count(repo, "s1") == 1
    assert repo.apply_once("record-2", consumer="counter", increments=one) is True
    assert repo.apply_once("record-1", consumer="another", increments=one) is True
    assert count(repo, "s1") == 3
    marker = stored(repo, counters.marker_key("counter", "record-1"))
    assert marker is not None and marker["_type"] == {"S": counters.MARKER_TYPE}
    expiry = m.get_ttl(marker[FleetRepository.TTL_ATTRIBUTE or ""])
    assert before + timedelta(days=2) <= expiry <= after + timedelta(days=2)


def test_apply_once_changes_several_items_in_one_transaction_and_sums_per_item(
    dynamodb_client: Any, table_name: str
) -> None:
    repo = fleet(dynamodb_client, table_name)
    repo.increment(SiteAlertCount, {"site_id": "from"}, open_alerts=5)
    move = [
        Increment(SiteAlertCount, {"site_id": "from"}, {"open_alerts": -1}),
        Increment(SiteAlertCount, {"site_id": "to"}, {"open_alerts": 1}),
        Increment(SiteAlertCount, {"site_id": "to"}, {"open_alerts": 1}),
        # cancels out: the item is not written at all (an empty count would be created)
        Increment(SiteAlertCount, {"site_id": "same"}, {"open_alerts": 1}),
        Increment(SiteAlertCount, {"site_id": "same"}, {"open_alerts": -1}),
    ]
    assert repo.apply_once("move", consumer="c", increments=move)
    assert (count(repo, "from"), count(repo, "to"), count(repo, "same")) == (4, 2, None)
    assert not repo.apply_once("move", consumer="c", increments=move)
    assert (count(repo, "from"), count(repo, "to")) == (4, 2)
    # No increments at all: the marker alone, a single conditional PutItem.
    assert repo.apply_once("nothing", consumer="c", increments=[])
    assert not repo.apply_once("nothing", consumer="c", increments=[])
    assert stored(repo, counters.marker_key("c", "nothing")) is not None


def test_a_lost_response_never_adds_twice(dynamodb_client: Any, table_name: str) -> None:
    repo = fleet(dynamodb_client, table_name, retry=FAST_RETRIES)
    faults = FaultInjector(repo.table.client)
    faults.arm("UpdateItem", "throttling")  # certainly not applied: resent
    assert repo.increment(SiteAlertCount, {"site_id": "s1"}, open_alerts=1).open_alerts == 1
    faults.arm("UpdateItem", "response_lost")  # applied, answer lost: never resent
    with pytest.raises(RetriesExhaustedError) as raised:
        repo.increment(SiteAlertCount, {"site_id": "s1"}, open_alerts=1)
    assert raised.value.may_have_applied and raised.value.attempts == 1
    assert raised.value.operation == "UpdateItem"
    assert count(repo, "s1") == 2
    # A transaction's retry carries the same ClientRequestToken (DynamoDB answers it as the
    # first attempt); where tokens are not kept (moto), the marker catches the retry.
    faults.arm("TransactWriteItems", "response_lost")
    one = [Increment(SiteAlertCount, {"site_id": "s1"}, {"open_alerts": 1})]
    repo.apply_once("lost", consumer="c", increments=one)
    assert faults.injected == [
        ("UpdateItem", "throttling"),
        ("UpdateItem", "response_lost"),
        ("TransactWriteItems", "response_lost"),
    ]
    assert count(repo, "s1") == 3
    assert not repo.apply_once("lost", consumer="c", increments=one)
    assert count(repo, "s1") == 3


def test_markers_need_a_ttl_attribute_or_an_explicit_none(
    dynamodb_client: Any, table_name: str
) -> None:
    class NoTtl(FleetRepository):
        TTL_ATTRIBUTE = None

    repo = NoTtl(client=dynamodb_client, table_name=table_name, cursor_key="k" * 32)
    repo.create_table()
    one = [Increment(SiteAlertCount, {"site_id": "s1"}, {"open_alerts": 1})]
    with pytest.raises(ValueError, match="would never expire"):
        repo.apply_once("t", consumer="c", increments=one)
    assert count(repo, "s1") is None  # nothing was sent
    assert repo.apply_once("t", consumer="c", increments=one, expires_in=None)
    marker = stored(repo, counters.marker_key("c", "t"))
    assert marker is not None and "expires_at" not in marker


# -- Decimal and float counters, on an entity of this test's own --------------------------


class Budget(BaseModel):
    budget_id: str
    spent: Decimal = Decimal("0")
    ratio: float = 0.5
    label: str = "unnamed"
    note: str | None = None


def _budget_key(budget_id: str) -> Item:
    return {"PK": {"S": f"Budget#{budget_id}"}, "SK": {"S": "#Budget"}}


def _budget_to_item(obj: Budget) -> Item:
    item: Item = {"_type": {"S": "Budget"}, **_budget_key(obj.budget_id)}
    item["budget_id"] = m.put_str(obj.budget_id)
    item["spent"] = m.put_decimal(obj.spent)
    item["ratio"] = m.put_float(obj.ratio)
    item["label"] = m.put_str(obj.label)
    if obj.note is not None:
        item["note"] = m.put_str(obj.note)
    return item


def _budget_from_item(item: Item) -> Budget:
    return Budget(
        budget_id=item["budget_id"]["S"],
        spent=m.get_decimal(item["spent"]),
        ratio=m.get_float(item["ratio"]),
        label=item["label"]["S"],
        note=item["note"]["S"] if "note" in item else None,
    )


BUDGET: EntitySchema[Budget] = EntitySchema(
    name="Budget",
    model=Budget,
    id_attributes=("budget_id",),
    to_item=_budget_to_item,
    from_item=_budget_from_item,
    table_key=lambda obj: _budget_key(obj.budget_id),
    key=_budget_key,
    key_sources={"PK": frozenset({"budget_id"}), "SK": frozenset({"budget_id"})},
)


def test_decimal_and_float_counters_start_from_their_defaults(
    dynamodb_client: Any, table_name: str
) -> None:
    repo = fleet(dynamodb_client, table_name)
    table = repo.table
    after = counters.increment(table, BUDGET, {"budget_id": "b"}, {"spent": Decimal("0.10")})
    assert after == Budget(budget_id="b", spent=Decimal("0.10"))
    after = counters.increment(
        table, BUDGET, {"budget_id": "b"}, {"spent": Decimal("0.20"), "ratio": 0.25}
    )
    assert (after.spent, after.ratio, after.label, after.note) == (
        Decimal("0.30"),
        0.75,
        "unnamed",
        None,
    )
    with pytest.raises(InvalidValueError, match="a decimal"):
        counters.increment(table, BUDGET, {"budget_id": "b"}, {"spent": 0.1})
    with pytest.raises(ValueError, match="label is not a number"):
        counters.increment(table, BUDGET, {"budget_id": "b"}, {"label": 1})


class Tally(BaseModel):
    tally_id: str
    hits: int | None = Field(default_factory=lambda: 5)


def _tally_key(tally_id: str) -> Item:
    return {"PK": {"S": f"Tally#{tally_id}"}, "SK": {"S": "#Tally"}}


TALLY: EntitySchema[Tally] = EntitySchema(
    name="Tally",
    model=Tally,
    id_attributes=("tally_id",),
    to_item=lambda obj: {
        "_type": {"S": "Tally"},
        **_tally_key(obj.tally_id),
        "tally_id": m.put_str(obj.tally_id),
        **({"hits": m.put_int(obj.hits)} if obj.hits is not None else {}),
    },
    from_item=lambda item: Tally(
        tally_id=item["tally_id"]["S"], hits=int(item["hits"]["N"]) if "hits" in item else None
    ),
    table_key=lambda obj: _tally_key(obj.tally_id),
    key=_tally_key,
    key_sources={"PK": frozenset({"tally_id"}), "SK": frozenset({"tally_id"})},
)


def test_an_optional_counter_starts_from_its_default_factory() -> None:
    action = counters.increment_action(TALLY, {"tally_id": "t"}, {"hits": 2})
    values = action.request["ExpressionAttributeValues"]
    assert (values[":s0"], values[":a0"]) == ({"N": "5"}, {"N": "2"})
    # Named for the errors of a transaction that holds it (too large, outcome unknown).
    assert action.entity == "Tally"


def test_a_float_summed_into_a_decimal_counter_is_refused(
    dynamodb_client: Any, table_name: str
) -> None:
    table = fleet(dynamodb_client, table_name).table
    both: list[tuple[EntitySchema[Any], dict[str, Any], dict[str, counters.Amount]]] = [
        (BUDGET, {"budget_id": "b"}, {"spent": Decimal("1")}),
        (BUDGET, {"budget_id": "b"}, {"spent": 0.5}),
    ]
    with pytest.raises(InvalidValueError, match="a decimal"):
        counters.apply_once(
            table, "t", consumer="c", increments=both, ttl_attribute=None, expires_in=None
        )
    assert table.get_item(_budget_key("b"), consistent=True) is None
