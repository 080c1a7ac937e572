"""Denormalized copies (spec 1.1 `copy_of`), the stream side: the generated `copies.handler`
run over the real stream records of the table, delivered as Lambda may deliver them.

Each example writes a random history (source updates, deletes and re-creates, holders
created and saved in between), reads the table's stream, and delivers its records in batches
in a random order with duplicates; a crash in the middle of a batch (the function fails, or a
response is lost and the runtime retries) is answered by `batchItemFailures`, and that record
and the rest of its batch are delivered again, as Lambda does. After every schedule each
holder's copies equal its source's last values (a deleted source leaves them as they were).

moto and moto_server serve DynamoDB Streams; MiniStack does not (its DescribeStream answers
400), so these run on the first two.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamodel.runtime.copies import CopyKeeper
from tests.stream_records import lambda_record, read_stream, stream_arn
from tests.test_copies import SPEC, issue
from tests.test_repository_oracle import fresh_repository, spec_package

pytestmark = pytest.mark.backends("moto", "moto_server")

REPOS = ("a", "b")
VALUES = (None, "x", "y", "z#1", "ü")
FIGURES: dict[str, int] = {"schedules": 0, "records": 0, "replayed": 0, "crashes": 0}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "hub_copy_stream", SPEC)


def copies_of(hub: ModuleType) -> Any:
    """The package's generated `copies` module (the stream handler)."""
    return importlib.import_module(f"{hub.__name__}.copies")


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    yield
    print(f"\ncopy convergence figures: {FIGURES}")  # shown with -s (docs, notes)


@pytest.fixture
def tables(table_name: str, dynamodb_client: Any) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for name in made:
        dynamodb_client.delete_table(TableName=name)


write = st.one_of(
    st.tuples(st.just("update"), st.sampled_from(REPOS), st.sampled_from(VALUES)),
    st.tuples(st.just("recreate"), st.sampled_from(REPOS), st.sampled_from(VALUES)),
    st.tuples(st.just("holder"), st.sampled_from(REPOS), st.just(None)),
    st.tuples(st.just("rename"), st.just("ann"), st.sampled_from(VALUES[1:])),
)


def run_history(hub: ModuleType, repo: Any, history: list[tuple[str, str, Any]]) -> dict[str, Any]:
    """Write the history; the last values of each source, as the oracle expects them."""
    last: dict[str, Any] = {}
    for name in REPOS:
        last[name] = repo.create_repo(hub.Repo(owner="o", name=name, description="first"))
    last["ann"] = repo.create_user(hub.User(username="ann", display_name="Ann"))
    number = 0
    for kind, name, value in history:
        if kind == "update":
            last[name] = repo.update_repo(owner="o", name=name, description=value)
        elif kind == "recreate":  # deleted and created again: a new incarnation, version 1
            repo.delete_repo(owner="o", name=name)
            last[name] = repo.create_repo(hub.Repo(owner="o", name=name, description=value))
        elif kind == "holder":
            number += 1
            made = repo.create_issue(issue(hub, number).model_copy(update={"name": name}))
            repo.save_issue(made.model_copy(update={"title": "saved"}))
            repo.create_comment(hub.Comment(comment_id=f"c{number}", username="ann", body="."))
        else:
            last[name] = repo.update_user(username=name, display_name=value)
    return last


class Crash(Exception):
    """The function dies in the middle of a batch."""


def deliver(
    keeper: CopyKeeper, records: list[dict[str, Any]], batches: list[int], crash_at: int | None
) -> None:
    """Invoke the handler batch by batch; a reported failure is delivered again from that
    record on (the rest of its batch first), as Lambda does with ReportBatchItemFailures."""
    queue = list(records)
    sizes = iter(batches)
    while queue:
        size = next(sizes, 10)
        batch, queue = queue[:size], queue[size:]
        answer = keeper.handle({"Records": batch})
        FIGURES["records"] += len(batch)
        failures = answer["batchItemFailures"]
        if failures:
            first = next(
                i
                for i, r in enumerate(batch)
                if r["dynamodb"]["SequenceNumber"] == failures[0]["itemIdentifier"]
            )
            FIGURES["replayed"] += len(batch) - first
            queue = batch[first:] + queue


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=st.lists(write, min_size=1, max_size=8),
    data=st.data(),
)
def test_copies_converge_under_duplicates_reordering_and_crashes(
    hub: ModuleType,
    dynamodb_client: Any,
    table_name: str,
    tables: list[str],
    history: list[tuple[str, str, Any]],
    data: st.DataObject,
) -> None:
    name = f"{table_name}-{len(tables)}"
    tables.append(name)
    repo = fresh_repository(hub, dynamodb_client, name)
    last = run_history(hub, repo, history)
    arn = stream_arn(dynamodb_client, name)
    records = [lambda_record(r, arn) for r in read_stream(dynamodb_client, name)]
    # Lambda's order, then duplicates of any records, anywhere, and batches of any size.
    order = data.draw(st.permutations(records), label="order")
    duplicates = data.draw(st.lists(st.sampled_from(records), max_size=len(records)))
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    for record in duplicates:
        order.insert(rng.randrange(len(order) + 1), record)
    batches = data.draw(st.lists(st.integers(1, 10), max_size=len(order)), label="batches")
    # Which of the handler's update calls crashes, if any (a history updates a few holders).
    crash_at = data.draw(st.none() | st.integers(0, 8), label="crash at")
    lost = data.draw(st.booleans(), label="lost response instead")
    calls = {"n": 0}
    real = dynamodb_client.update_item

    def crashing_update(**request: Any) -> Any:
        calls["n"] += 1
        if calls["n"] - 1 == crash_at:
            FIGURES["crashes"] += 1
            if lost:  # applied, but the answer never arrives: the runtime retries it
                real(**request)
                raise ReadTimeoutError(endpoint_url="dynamodb")
            raise Crash("the function died")
        return real(**request)

    keeper = CopyKeeper(
        sources=copies_of(hub).KEEPER.sources.values(),
        repository=lambda table: repo if table == name else pytest.fail(f"table {table}"),
    )
    dynamodb_client.update_item = crashing_update
    try:
        deliver(keeper, order, batches, crash_at)
    finally:
        del dynamodb_client.update_item
    FIGURES["schedules"] += 1
    for name_ in REPOS:
        for held in repo.issue_copies_of_repo(owner="o", name=name_).items:
            assert held.repo_description == last[name_].description, (name_, held)
    for comment in repo.comment_copies_of_user(username="ann").items:
        assert comment.author_name == last["ann"].display_name


def test_a_late_record_of_a_former_incarnation_never_wins(
    hub: ModuleType, dynamodb_client: Any, table_name: str
) -> None:
    repo = fresh_repository(hub, dynamodb_client, table_name)
    repo.create_repo(hub.Repo(owner="o", name="a", description="one"))
    repo.update_repo(owner="o", name="a", description="two")
    repo.update_repo(owner="o", name="a", description="three")  # version 3
    repo.create_issue(issue(hub, 1).model_copy(update={"name": "a"}))
    repo.delete_repo(owner="o", name="a")
    repo.create_repo(hub.Repo(owner="o", name="a", description="again"))  # version 1
    arn = stream_arn(dynamodb_client, table_name)
    records = [lambda_record(r, arn) for r in read_stream(dynamodb_client, table_name)]
    keeper = CopyKeeper(sources=copies_of(hub).KEEPER.sources.values(), repository=lambda _: repo)
    # Newest first: the new incarnation's version 1 lands, and the former one's version 3
    # (a higher number) must not overwrite it.
    assert keeper.handle({"Records": records[::-1]}) == {"batchItemFailures": []}
    (held,) = repo.issue_copies_of_repo(owner="o", name="a").items
    assert held.repo_description == "again"


def test_the_generated_handler_reads_the_table_from_each_record(
    hub: ModuleType, dynamodb_client: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = fresh_repository(hub, dynamodb_client, table_name)
    repo.create_user(hub.User(username="ann", display_name="Ann"))
    repo.create_comment(hub.Comment(comment_id="c1", username="ann", body="."))
    repo.update_user(username="ann", display_name="Ann B.")
    arn = stream_arn(dynamodb_client, table_name)
    event = {"Records": [lambda_record(r, arn) for r in read_stream(dynamodb_client, table_name)]}
    asked: list[str | None] = []

    def repository(table: str | None) -> Any:
        asked.append(table)
        return repo

    monkeypatch.setattr(copies_of(hub).KEEPER, "repository", repository)
    assert copies_of(hub).handler(event, None) == {"batchItemFailures": []}
    assert set(asked) == {table_name}
    assert repo.get_comment(comment_id="c1").author_name == "Ann B."
    # A record the handler cannot apply (no new image: a stream without NEW_AND_OLD_IMAGES)
    # is reported, and nothing after it is applied.
    broken = dict(event["Records"][-1])
    broken["dynamodb"] = {k: v for k, v in broken["dynamodb"].items() if k != "NewImage"}
    answer = copies_of(hub).handler({"Records": [broken, *event["Records"]]}, None)
    sequence = broken["dynamodb"]["SequenceNumber"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": sequence}]}
