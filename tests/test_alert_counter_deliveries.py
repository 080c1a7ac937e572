"""The iot example's stream handler (examples/iot/lambda/alert_counter.py) against the stream
records of a fresh table of the dynamodel pytest plugin (embedded moto by default): random
writes through the generated repository (creates, updates, saves, deletes of alerts among
other entities' writes, hypothesis), the records delivered the way Lambda may: in batches,
twice, with a failed record reported and redelivered from it, after a crash that leaves part
of a batch applied, and only the records the template's filter admits. The counts must equal
an oracle computed from the final table. (tests/alert_counter_support.py holds the table,
the writes and the oracle.)
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count as numbers
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamodel.testing import TableFactory
from tests.alert_counter_support import (
    FLEET,
    SITES,
    STATUSES,
    Table,
    admitted,
    alert,
    counter,
    noise,
    nonzero,
)

pytestmark = FLEET


class Crash(BaseException):
    """The function dies mid-batch (a timeout, an out-of-memory kill): Lambda retries the
    whole batch. Not an Exception, so the handler cannot catch it."""


# -- the writes ------------------------------------------------------------------------------

Op = tuple[Any, ...]
ops = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(SITES), st.sampled_from(STATUSES)),
    st.tuples(
        st.just("update"),
        st.integers(0, 50),
        st.none() | st.sampled_from(SITES),
        st.none() | st.sampled_from(STATUSES),
        st.booleans(),  # also change the message (a MODIFY that may change nothing counted)
    ),
    st.tuples(
        st.just("save"), st.integers(0, 50), st.sampled_from(SITES), st.sampled_from(STATUSES)
    ),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("noise"), st.sampled_from(["device", "reading", "site"])),
)


def run(table: Table, op: Op) -> None:
    kind = op[0]
    if kind == "create":
        created = table.repo.create_alert(alert(table, op[1], op[2]))
        table.alerts[created.alert_id] = created
        return
    if kind == "noise":
        noise(table, op[1])
        return
    if not table.alerts:
        return
    alert_id = sorted(table.alerts)[op[1] % len(table.alerts)]
    if kind == "update":
        changes = {"site_id": op[2], "status": op[3]}
        changes = {k: v for k, v in changes.items() if v is not None}
        if op[4]:
            changes["message"] = f"seen {next(table.ids)}"
        table.alerts[alert_id] = table.repo.update_alert(alert_id=alert_id, **changes)
    elif kind == "save":  # replace the whole item
        replaced = table.alerts[alert_id].model_copy(update={"site_id": op[2], "status": op[3]})
        table.alerts[alert_id] = table.repo.save_alert(replaced)
    else:
        table.repo.delete_alert(alert_id=alert_id)
        del table.alerts[alert_id]


# -- Lambda's deliveries -----------------------------------------------------------------------

# once | twice | fail_before (apply fails, nothing written) | fail_after (written, then the
# handler's call fails: the record is reported although applied) | crash (the function dies
# after applying some records: the whole batch again)
MODES = ("once", "twice", "fail_before", "fail_after", "crash")
Delivery = tuple[int, str, int]  # (batch size, mode, which apply_once call fails)
deliveries = st.lists(
    st.tuples(st.integers(1, 12), st.sampled_from(MODES), st.integers(0, 4)),
    min_size=1,
    max_size=12,
)


def failing_on(table: Table, call: int, mode: str, failed: list[str]) -> Callable[..., bool]:
    """repository.apply_once, failing (as `mode` says) on its `call`-th call."""
    real = table.module.FleetRepository.apply_once
    calls = numbers()

    def apply_once(token: str, **options: Any) -> bool:
        if next(calls) != call:
            return bool(real(table.repo, token, **options))
        failed.append(token)
        if mode == "fail_before":
            raise ConnectionError("the transaction was not sent")
        applied = real(table.repo, token, **options)
        assert applied  # the first delivery of this record
        if mode == "crash":
            raise Crash
        raise TimeoutError("applied, but the handler never saw the answer")

    return apply_once


def deliver(
    table: Table, records: list[dict[str, Any]], mode: str, call: int, patch: pytest.MonkeyPatch
) -> None:
    """One batch as Lambda delivers it, retried as Lambda retries it, until it succeeds."""
    handler = table.module.handler
    event = table.event(records)
    if mode in ("once", "twice"):
        for _ in range(1 if mode == "once" else 2):
            assert handler(event) == {"batchItemFailures": []}
        return
    failed: list[str] = []
    with patch.context() as patched:
        patched.setattr(table.repo, "apply_once", failing_on(table, call, mode, failed))
        if mode == "crash":
            try:
                response = handler(event)
            except Crash:
                response = None
        else:
            response = handler(event)
    if not failed:  # fewer counted records than `call`: nothing failed
        assert response == {"batchItemFailures": []}
        return
    if mode == "crash":
        assert response is None
        assert handler(event) == {"batchItemFailures": []}  # the whole batch again
        return
    (token,) = failed
    (record,) = [r for r in event["Records"] if r["eventID"] == token]
    sequence = record["dynamodb"]["SequenceNumber"]
    assert response == {"batchItemFailures": [{"itemIdentifier": sequence}]}
    # Lambda redelivers the failed record and every one after it.
    at = next(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] == sequence)
    assert handler(table.event(records[at:])) == {"batchItemFailures": []}


def deliver_all(
    table: Table, plan: list[Delivery], patch: pytest.MonkeyPatch, *, filtered: bool = False
) -> None:
    records = table.new_records()
    if filtered:  # what the event source mapping's filter lets through
        event = table.event(records)["Records"]
        records = [r for r, delivered in zip(records, event, strict=True) if admitted(delivered)]
    position, step = 0, 0
    while position < len(records):
        size, mode, call = plan[step % len(plan)]
        deliver(table, records[position : position + size], mode, call, patch)
        position, step = position + size, step + 1


@settings(
    max_examples=25,
    deadline=None,
    # Each example takes a table of its own from the factory (`fresh()`), not the fixture's.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    writes=st.lists(ops, min_size=1, max_size=30),
    plan=deliveries,
    filtered=st.booleans(),
)
def test_random_writes_and_deliveries_keep_the_counts_of_the_final_table(
    dynamodel_tables: TableFactory, writes: list[Op], plan: list[Delivery], filtered: bool
) -> None:
    with dynamodel_tables.fresh() as fleet, pytest.MonkeyPatch.context() as patch:
        table = Table(module=counter(fleet), client=fleet.client)
        for op in writes:
            run(table, op)
        deliver_all(table, plan, patch, filtered=filtered)
        expected = table.oracle()
        assert nonzero(table.counts()) == expected
        # The handler's own writes (counters, markers) come through the stream too; they
        # must move nothing, delivered twice or not.
        deliver_all(table, [(5, "twice", 0)], patch)
        assert nonzero(table.counts()) == expected
