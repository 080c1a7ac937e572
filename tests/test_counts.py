"""Counted relationships (spec 1.1 `counts:`): creating a Star adds 1 to its Repo's
`star_count` and deleting it subtracts 1, in the same TransactWriteItems as the Star itself;
a Star of a missing Repo is refused with `NotFoundError` and nothing is written; a retried
call (a lost response) applies once; the Repo's own save never writes the counter over the
children's; under 8 threads of creates and deletes every counter equals its count of Stars.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from dynamodel import NotFoundError
from dynamodel.compiler.emit.html import emit_html
from dynamodel.compiler.emit.markdown import emit_markdown
from dynamodel.compiler.emit.text import emit_text
from dynamodel.compiler.pipeline import compile_spec
from tests.test_repository_oracle import fresh_repository, spec_package
from tests.test_requests_match_design import Recorder

SPEC = """\
version: 1
table: {name: Hub}
entities:
  Repo:
    id: [owner, name]
    attributes:
      owner: str
      name: str
      description: "str?"
      star_count: {type: int, default: 0}
  Star:
    id: [owner, name, user]
    attributes: {owner: str, name: str, user: str, starred_at: datetime}
    counts: [Repo.star_count]
access_patterns:
  get_repo: {entity: Repo, by: [owner, name], consistent: true}
  stars_of_repo: {entity: Star, by: [owner, name], consistent: true}
"""

NOW = datetime(2026, 7, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "hub_counts", SPEC)


def star(hub: ModuleType, repo: str, user: str) -> Any:
    return hub.Star(owner="o", name=repo, user=user, starred_at=NOW)


def count(repo: Any, name: str) -> int:
    stored = repo.get_repo(owner="o", name=name)
    return int(stored.star_count)


def test_create_and_delete_move_the_counter_in_one_transaction(
    hub: ModuleType, dynamodb_client: Any, table_name: str
) -> None:
    recorder = Recorder(dynamodb_client)
    repo = fresh_repository(hub, recorder, table_name)
    repo.create_repo(hub.Repo(owner="o", name="cli"))
    recorder.recording = True
    repo.create_star(star(hub, "cli", "ann"))
    recorder.recording = False
    assert [name for name, _ in recorder.calls] == ["transact_write_items"]
    actions = recorder.calls[0][1]["TransactItems"]
    assert [next(iter(a)) for a in actions] == ["Put", "Update"]
    repo.create_star(star(hub, "cli", "bob"))
    assert count(repo, "cli") == 2
    repo.delete_star(owner="o", name="cli", user="ann")
    assert count(repo, "cli") == 1
    # A Star of a Repo that does not exist: NotFoundError naming the Repo, nothing written.
    with pytest.raises(NotFoundError, match=r"Repo#o#nope.*does not exist") as missing:
        repo.create_star(star(hub, "nope", "ann"))
    assert missing.value.entity == "Repo"
    assert repo.stars_of_repo(owner="o", name="nope").items == []
    # The Repo's own writes never change the counter: a save of a model read before a Star
    # was added, or carrying another value, keeps the stored count.
    stale = repo.get_repo(owner="o", name="cli")
    repo.create_star(star(hub, "cli", "cy"))
    saved = repo.save_repo(stale.model_copy(update={"description": "x", "star_count": 99}))
    assert saved.star_count == 2 and count(repo, "cli") == 2
    assert "star_count" not in repo.update_repo.__code__.co_varnames  # no argument for it
    # An orphan (its Repo deleted) is deleted without bringing the Repo back.
    repo.delete_repo(owner="o", name="cli")
    repo.delete_star(owner="o", name="cli", user="bob")
    assert repo.get_repo(owner="o", name="cli") is None


@pytest.mark.backends("moto")
def test_batch_write_refuses_counted_and_counting_items(
    hub: ModuleType, dynamodb_client: Any, table_name: str
) -> None:
    # A batch put or delete has no condition and no counter action: a Star deleted by one
    # would never count down, a Repo put by one would lose its counter.
    repo = fresh_repository(hub, dynamodb_client, table_name)
    repo.create_repo(hub.Repo(owner="o", name="cli"))
    repo.create_star(star(hub, "cli", "ann"))
    stored = repo.get_repo(owner="o", name="cli")
    with pytest.raises(ValueError, match="Star needs conditional writes"):
        repo.batch_write(delete=[star(hub, "cli", "ann")])
    with pytest.raises(ValueError, match="Repo needs conditional writes"):
        repo.batch_write(put=[stored.model_copy(update={"star_count": 0})])
    assert count(repo, "cli") == 1
    assert len(repo.stars_of_repo(owner="o", name="cli").items) == 1


# MiniStack only: moto does not honour ClientRequestToken (it runs a resent transaction
# again, whose failed condition then cancels it: the count stays right, but the create
# reports AlreadyExistsError); DynamoDB and MiniStack answer the resend as the first.
@pytest.mark.backends("ministack")
def test_a_retried_create_counts_once(
    hub: ModuleType, dynamodb_client: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = fresh_repository(hub, dynamodb_client, table_name)
    repo.create_repo(hub.Repo(owner="o", name="cli"))
    real = dynamodb_client.transact_write_items
    sent: list[str] = []

    def lose_the_first_response(**request: Any) -> Any:
        sent.append(request["ClientRequestToken"])
        response = real(**request)
        if len(sent) == 1:  # applied, but the answer never arrives: the runtime retries
            raise ReadTimeoutError(endpoint_url="dynamodb")
        return response

    monkeypatch.setattr(dynamodb_client, "transact_write_items", lose_the_first_response)
    repo.create_star(star(hub, "cli", "ann"))
    monkeypatch.undo()
    assert len(sent) == 2 and sent[0] == sent[1]  # the same token: DynamoDB applies it once
    assert count(repo, "cli") == 1


# MiniStack only: in-process moto is not thread-safe, and moto_server does not isolate
# concurrent transactions (docs/reliability.md).
@pytest.mark.backends("ministack")
def test_counters_equal_their_children_under_eight_threads(
    hub: ModuleType, dynamodb_client: Any, table_name: str
) -> None:
    repo = fresh_repository(hub, dynamodb_client, table_name)
    repos = ["a", "b", "c"]
    for name in repos:
        repo.create_repo(hub.Repo(owner="o", name=name))
    users = [f"u{n}" for n in range(12)]
    barrier = threading.Barrier(8)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        barrier.wait()
        for _ in range(40):
            name, user = rng.choice(repos), rng.choice(users)
            try:
                if rng.random() < 0.6:
                    repo.create_star(star(hub, name, user))
                else:
                    repo.delete_star(owner="o", name=name, user=user)
            except Exception as error:
                # Taken or missing Stars, or one changed between a delete's read and write.
                expected = ("AlreadyExistsError", "NotFoundError", "VersionConflictError")
                if type(error).__name__ not in expected:
                    raise

    with ThreadPoolExecutor(8) as pool:
        for future in [pool.submit(worker, seed) for seed in range(8)]:
            future.result()
    for name in repos:
        stars = repo.stars_of_repo(owner="o", name=name, limit=100).items
        assert count(repo, name) == len(stars), name


def test_the_design_report_counts_the_counter_writes() -> None:
    design = compile_spec(SPEC).design
    assert design is not None
    writes = {w.method: w for w in design.capacity.writes}
    create = writes["create_star"]
    assert create.operation == "TransactWriteItems" and create.actions == 2
    delete = writes["delete_star"]
    assert delete.actions == 2 and delete.read_units > 0  # the Star is read for its parent
    # The reports say who counts what.
    for report in (emit_text(design), emit_markdown(design), emit_html(design)):
        assert "counted in repo.star_count" in report.lower()
        assert "star_count counts star items" in report.lower()
