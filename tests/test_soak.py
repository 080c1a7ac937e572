"""The fault-injecting proxy soak (issue 11): the proxy's faults, the invariant checker on
hand-made tables, the checker catching a reverted fix, and the bounded soak itself.

The soak runs on MiniStack: moto_server applies a transaction's writes without isolation
between its request threads and ignores ClientRequestTokens (see tests/test_concurrency.py),
so under 8 concurrent writers it loses updates real DynamoDB does not, and the checker would
report moto's races instead of dynamodel's. `--soak-seconds N` / `--soak-seed N` (or
DYNAMODEL_SOAK_SECONDS / DYNAMODEL_SOAK_SEED) run a longer or different soak.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import pytest
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]
from botocore.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    ChecksumError,
    ClientError,
    ConnectionClosedError,
    ReadTimeoutError,
)

from dynamodel.runtime import updates, writes
from dynamodel.runtime.counters import MARKER_TYPE, marker_key
from dynamodel.runtime.transport import fastjson
from tests.backends import REGION
from tests.proxy import FAULT_KINDS, NO_FAULTS, FaultProxy, FaultRates
from tests.soak_invariants import check_soak
from tests.soak_run import run_soak
from tests.soak_workers import (
    CONSUMER,
    FAILED,
    OK,
    UNKNOWN,
    Call,
    ChecklistItem,
    SiteAlertCount,
    Ticket,
    fleet_schema,
    tracker_schema,
)

CI_SECONDS = 40.0  # the workers' time; with MiniStack's start and the check, under 60 s
CI_SEED = 11
REVERTED_SECONDS = 6.0


# The proxy soak runs on MiniStack (see the module docstring): tests that take the fixture
# below are collected for that backend only.
ON_MINISTACK = pytest.mark.backends("ministack")


@pytest.fixture
def ministack(backend: str, request: pytest.FixtureRequest) -> str:
    assert backend == "ministack", "mark the test ON_MINISTACK"
    return str(request.getfixturevalue("ministack_url"))


def _option(config: pytest.Config, name: str, env: str, default: float) -> float:
    given = config.getoption(name)
    if given is not None:
        return float(given)
    return float(os.environ.get(env, default))


# The proxy's faults, one at a time, seen by botocore's own client (its retries off). Legacy
# retry mode: only its retry handler checks DynamoDB's x-amz-crc32 header, and botocore 1.44
# made `standard` the default (the runtime checks every response itself, fastjson.py).
PLAIN_CONFIG = Config(read_timeout=1.0, retries={"mode": "legacy", "total_max_attempts": 1})


def _only(kind: str) -> FaultRates:
    return dataclasses.replace(NO_FAULTS, **{kind: 1.0}, stall_seconds=1.5)


@pytest.fixture
def plain(ministack: str, table_name: str) -> Iterator[tuple[Any, str]]:
    def client(url: str) -> Any:
        return boto3.client(
            "dynamodb",
            region_name=REGION,
            endpoint_url=url,
            config=PLAIN_CONFIG,
        )

    direct = client(ministack)
    direct.create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield direct, table_name
    direct.delete_table(TableName=table_name)


@ON_MINISTACK
@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_does_what_it_says(kind: str, plain: tuple[Any, str], ministack: str) -> None:
    direct, table = plain
    with FaultProxy(ministack, seed=1, rates=_only(kind)) as proxy:
        client = boto3.client(
            "dynamodb",
            region_name=REGION,
            endpoint_url=proxy.url,
            config=PLAIN_CONFIG,
        )
        item = {"PK": {"S": "k"}, "n": {"S": "a" * 40}}
        raised: Exception | None = None
        try:
            client.put_item(TableName=table, Item=item, ReturnConsumedCapacity="TOTAL")
            client.get_item(TableName=table, Key={"PK": {"S": "k"}})
        except Exception as error:  # each kind's error is asserted below
            raised = error
    applied = "Item" in direct.get_item(TableName=table, Key={"PK": {"S": "k"}})
    assert proxy.faults()[kind] >= 1
    expected: dict[str, tuple[type[Exception] | None, bool]] = {
        "reset": (ConnectionClosedError, False),
        "error_500": (ClientError, False),
        "throttle": (ClientError, False),
        "unavailable": (ClientError, False),
        "drop": (ConnectionClosedError, True),
        "delay": (None, True),
        "stall": (ReadTimeoutError, True),
        "corrupt": (ChecksumError, True),
        "truncate": (ChecksumError, True),  # the CRC32 is that of the whole body
    }
    error_type, was_applied = expected[kind]
    assert applied == was_applied, kind
    if error_type is None:
        assert raised is None, repr(raised)
    else:
        assert isinstance(raised, error_type), repr(raised)
    if kind in ("error_500", "throttle", "unavailable"):
        assert isinstance(raised, ClientError)
        status = {"error_500": 500, "throttle": 400, "unavailable": 503}[kind]
        assert raised.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_fault_choice_follows_the_rates_and_the_seed() -> None:
    rates = FaultRates()
    assert rates.choose(0.0) == "reset"
    assert rates.choose(0.999999) == "pass"
    with pytest.raises(ValueError, match="sum to at most 1"):
        FaultRates(reset=0.9, drop=0.9)
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy("http://192.0.2.1:80", seed=1)


# The checker on hand-made tables: each invariant reports what breaks it, and only that.
def _call(op: str, key: str, stamp: str, outcome: str = OK, *, at: float, **written: Any) -> Call:
    call = Call(0, op, key, stamp, {}, start=at, end=at + 1.0, outcome=outcome, written=written)
    if outcome != OK:
        call.error = "VersionConflictError" if outcome == FAILED else "RetriesExhaustedError"
    return call


def _ticket_items(
    title: str,
    positions: list[int],
    *,
    texts: str | None = None,
    version: int = 1,
    assignee: str | None = None,
) -> list[Any]:
    ticket = Ticket(
        workspace_id="w1",
        ticket_no=1,
        title=title,
        status="open",
        priority=1,
        updated_at=datetime(2026, 12, 1, tzinfo=UTC),
        version=version,
        assignee_id=assignee,
        checklist=[
            ChecklistItem(workspace_id="w1", ticket_no=1, position=p, text=texts or title)
            for p in positions
        ],
    )
    return [item for _, _, item in writes.flatten(tracker_schema.TICKET, ticket)]


def _kinds(calls: list[Call], tracker: list[Any], fleet: list[Any] = ()) -> dict[str, int]:  # type: ignore[assignment]
    report = check_soak(
        calls, tracker, list(fleet), tracker_schema=tracker_schema, fleet_schema=fleet_schema
    )
    assert report.invariants_checked > 0
    return dict(report.kinds())


CREATE = _call("create_ticket", "Ticket:1", "a", at=0.0, positions=[1, 2], assignee=None, version=1)


def test_checker_passes_a_table_that_matches_its_log() -> None:
    assert _kinds([CREATE], _ticket_items("a", [1, 2])) == {}


def test_checker_finds_a_lost_acknowledged_write() -> None:
    later = _call("save_ticket", "Ticket:1", "b", at=5.0, positions=[1], assignee=None, version=1)
    assert _kinds([CREATE, later], _ticket_items("a", [1, 2])) == {"lost_write": 1}
    assert _kinds([CREATE, later], []) == {"lost_write": 2}
    deleted = _call("delete_ticket", "Ticket:1", "d", UNKNOWN, at=7.0)
    assert _kinds([CREATE, later, deleted], []) == {}


def test_checker_finds_a_delete_that_removed_a_second_item() -> None:
    """A retried delete that removed an item re-created in between (finding 3 of issue 11)."""
    delete = _call("delete_ticket", "Ticket:1", "d", at=2.0)
    delete.end = 9.0  # its retry came after the create below
    again = _call("create_ticket", "Ticket:1", "b", at=4.0, positions=[], version=1)
    assert _kinds([CREATE, delete, again], []) == {"deleted_twice": 1}
    other = _call("delete_ticket", "Ticket:1", "e", at=6.0)
    assert _kinds([CREATE, delete, again, other], []) == {}


def test_checker_allows_either_state_for_an_unknown_outcome() -> None:
    later = _call(
        "save_ticket", "Ticket:1", "b", UNKNOWN, at=5.0, positions=[1], assignee=None, version=1
    )
    assert _kinds([CREATE, later], _ticket_items("a", [1, 2])) == {}
    assert _kinds([CREATE, later], _ticket_items("b", [1])) == {}


def test_checker_finds_a_value_no_call_wrote_there() -> None:
    elsewhere = _call("create_ticket", "Ticket:2", "c", UNKNOWN, at=1.0, positions=[], version=1)
    stored = _ticket_items("a", [1, 2], assignee="c")
    assert _kinds([CREATE, elsewhere], stored) == {"unknown_writer": 1}
    assert _kinds([CREATE], _ticket_items("x", [])) == {"unknown_writer": 2}


def test_checker_finds_a_write_applied_though_it_failed() -> None:
    failed = _call(
        "save_ticket", "Ticket:1", "b", FAILED, at=5.0, positions=[1], assignee=None, version=1
    )
    assert _kinds([CREATE, failed], _ticket_items("b", [1])) == {"applied_though_failed": 1}


def test_checker_counts_versions_against_updates() -> None:
    """An update that raised VersionConflictError although its change was stored (finding 3),
    then overwritten by a later update: one version too many."""
    failed = _call("update_ticket", "Ticket:1", "u1", FAILED, at=3.0, assignee="u1")
    later = _call("update_ticket", "Ticket:1", "u2", at=5.0, assignee="u2")
    assert _kinds([CREATE, later], _ticket_items("a", [1, 2], version=2, assignee="u2")) == {}
    stored = _ticket_items("a", [1, 2], version=3, assignee="u2")
    assert _kinds([CREATE, failed, later], stored) == {"applied_though_failed": 1}
    assert _kinds([CREATE, later], _ticket_items("a", [1, 2], version=1, assignee="u2")) == {
        "lost_write": 1
    }


def test_checker_finds_an_aggregate_of_two_saves() -> None:
    save = _call("save_ticket", "Ticket:1", "b", at=5.0, positions=[1], assignee=None, version=1)
    mixed = _ticket_items("b", [1]) + _ticket_items("a", [2])[1:]
    assert _kinds([CREATE, save], mixed) == {"split_aggregate": 1}
    assert _kinds([CREATE, save], _ticket_items("b", [1, 2], texts="a")) == {"split_aggregate": 1}


def test_checker_finds_stale_index_keys_and_untyped_errors() -> None:
    items = _ticket_items("a", [1, 2])
    items[0] = {**items[0], "GSI3PK": {"S": "Ticket#stale"}}
    crashed = _call("read_tickets", "", "r", UNKNOWN, at=3.0)
    crashed.typed, crashed.error = False, "JSONDecodeError"
    kinds = _kinds([CREATE, crashed], items)
    assert kinds.get("untyped_error") == 1
    assert set(kinds) - {"untyped_error"} <= {"key_mismatch", "stale_key"} and len(kinds) == 2


def test_checker_finds_a_read_of_data_no_call_wrote() -> None:
    read = _call("read_tickets", "", "r", at=3.0)
    stored = tracker_schema.TICKET.from_item(_ticket_items("a", [])[0])
    read.result = [stored]
    assert _kinds([CREATE, read], _ticket_items("a", [1, 2])) == {}
    read.result = [stored.model_copy(update={"title": "b"})]  # as a corrupted body would say
    assert _kinds([CREATE, read], _ticket_items("a", [1, 2])) == {"read_mismatch": 1}


def _counting(token: str, outcome: str = OK, *, result: bool = True) -> Call:
    call = _call("apply_once", "Counter:s1", token, outcome, at=1.0)
    call.args = {"site_id": "s1", "token": token}
    call.result = result if outcome == OK else None
    return call


def _fleet(count: int, tokens: list[str]) -> list[Any]:
    counter = fleet_schema.SITE_ALERT_COUNT.to_item(SiteAlertCount(site_id="s1", open_alerts=count))
    markers = [{**marker_key(CONSUMER, t), "_type": {"S": MARKER_TYPE}} for t in tokens]
    return [counter, *markers]


def test_checker_counts_counters_against_their_markers() -> None:
    calls = [_counting("s1.a"), _counting("s1.b", UNKNOWN), _counting("s1.a", result=False)]
    assert _kinds(calls, [], _fleet(1, ["s1.a"])) == {}
    assert _kinds(calls, [], _fleet(2, ["s1.a", "s1.b"])) == {}
    assert _kinds(calls, [], _fleet(2, ["s1.a"])) == {"counter_mismatch": 1}
    assert _kinds(calls, [], _fleet(0, [])) == {"lost_marker": 2}
    twice = [_counting("s1.a"), _counting("s1.a")]
    assert _kinds(twice, [], _fleet(1, ["s1.a"])) == {"applied_twice": 1}


# A reverted fix: the soak, without faults, must report what the revert breaks.
@ON_MINISTACK
def test_soak_finds_unversioned_aggregate_saves(
    ministack: str, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 2 reverted: the Ticket aggregate saved without its version check."""
    unversioned = dataclasses.replace(tracker_schema.TICKET, versioned=False)
    monkeypatch.setattr(tracker_schema, "TICKET", unversioned)
    run = run_soak(
        "ministack",
        ministack,
        table_name,
        seed=3,
        seconds=REVERTED_SECONDS,
        rates=NO_FAULTS,
        name="reverted: unversioned aggregates",
    )
    # Saved unversioned, a ticket keeps version 0 (`bad_version`); where two saves interleave
    # the checker also sees `split_aggregate` or `lost_write`.
    kinds = run.report.kinds()
    if not kinds["bad_version"] + kinds["split_aggregate"] + kinds["lost_write"]:
        pytest.fail(run.details(), pytrace=False)


@ON_MINISTACK
def test_soak_finds_missing_guards(
    ministack: str, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that forgets its unique guards."""
    for module in (writes, updates):  # every write path that claims or moves a guard
        monkeypatch.setattr(module, "guard_actions", lambda *args, **kwargs: [])
    run = run_soak(
        "ministack",
        ministack,
        table_name,
        seed=4,
        seconds=REVERTED_SECONDS,
        rates=NO_FAULTS,
        name="reverted: no guards",
    )
    if not run.report.kinds()["missing_guard"]:
        pytest.fail(run.details(), pytrace=False)


@ON_MINISTACK
def test_soak_finds_unchecked_response_bodies(
    ministack: str, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 5 reverted: response bodies read without their CRC32 check (issue 11's
    `fastjson.check_crc32`; absent before it, which is the same). Corrupted bodies then come
    back as data or as raw errors."""
    monkeypatch.setattr(fastjson, "check_crc32", lambda *args, **kwargs: None, raising=False)
    run = run_soak(
        "ministack",
        ministack,
        table_name,
        seed=5,
        seconds=REVERTED_SECONDS,
        rates=dataclasses.replace(NO_FAULTS, corrupt=0.1),
        name="reverted: no CRC32 check",
    )
    kinds = run.report.kinds()
    if not kinds["untyped_error"] + kinds["read_mismatch"]:
        pytest.fail(run.details(), pytrace=False)


@ON_MINISTACK
@pytest.mark.long_running
def test_proxy_soak(
    ministack: str, table_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    seconds = _option(request.config, "--soak-seconds", "DYNAMODEL_SOAK_SECONDS", CI_SECONDS)
    seed = int(_option(request.config, "--soak-seed", "DYNAMODEL_SOAK_SEED", CI_SEED))
    log = tmp_path / "soak-calls.jsonl"
    run = run_soak("ministack", ministack, table_name, seed=seed, seconds=seconds, log_path=log)
    print(run.summary())
    assert sum(run.faults.values()) > 0
    assert run.report.operations > 0
    if run.report.violations:
        pytest.fail(f"{run.details()}\nevery call: {log}", pytrace=False)
