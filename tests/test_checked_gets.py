"""A read whose `by` holds an entity's whole id plus other attributes (or adds `where`) is one
GetItem by the id, then a comparison with the item read: it returns the item only when every
other value matches. Before, it opened a GSI with one item per partition.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest

from dynamodel import DynamodelError
from dynamodel.compiler.pipeline import compile_spec
from tests.test_repository_oracle import spec_package
from tests.test_requests_match_design import Recorder

SPEC = """\
version: 1
table: {name: Sessions}
entities:
  Session:
    id: [session_id]
    attributes:
      session_id: str
      customer_id: str
      device: "str?"
      status: {type: str, enum: [active, revoked]}
      started_at: datetime
access_patterns:
  get_session: {entity: Session, by: [session_id]}
  session_of_customer: {entity: Session, by: [customer_id, session_id], consistent: true}
  active_session: {entity: Session, by: [session_id], where: {status: active}}
  session_on_device: {entity: Session, by: [session_id, device, started_at]}
  sessions_of_customer: {entity: Session, by: [customer_id], sort: started_at}
"""

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "sessions", SPEC)


@pytest.fixture
def recorder(dynamodb_client: Any) -> Recorder:
    return Recorder(dynamodb_client)


@pytest.fixture
def repo(sessions: ModuleType, recorder: Recorder, table_name: str) -> Any:
    repository = sessions.SessionsRepository(
        client=recorder, table_name=table_name, cursor_key="k" * 32
    )
    repository.create_table()
    return repository


def test_reads_by_more_than_the_id_need_no_gsi() -> None:
    design = compile_spec(SPEC).design
    assert design is not None
    assert len(design.indexes) == 1  # sessions_of_customer's only
    plans = {p.name: p for p in design.patterns}
    for name in ("session_of_customer", "active_session", "session_on_device"):
        assert (plans[name].operation, plans[name].index) == ("GetItem", None), name
    assert plans["session_of_customer"].checked == ("customer_id",)
    assert plans["session_of_customer"].consistent
    assert plans["active_session"].where == (("status", "active"),)


def test_the_item_is_returned_only_when_every_value_matches(
    sessions: ModuleType, repo: Any, recorder: Recorder
) -> None:
    phone = sessions.Session(
        session_id="s1", customer_id="c1", device="phone", status="active", started_at=START
    )
    bare = sessions.Session(session_id="s2", customer_id="c2", status="revoked", started_at=START)
    repo.create_session(phone)
    repo.create_session(bare)
    recorder.recording = True
    assert repo.session_of_customer(customer_id="c1", session_id="s1") == phone
    assert repo.session_of_customer(customer_id="c2", session_id="s1") is None
    # A value that only looks alike: another customer whose id extends this one's.
    assert repo.session_of_customer(customer_id="c1#", session_id="s1") is None
    assert repo.session_of_customer(customer_id="c1", session_id="nope") is None
    assert repo.active_session(session_id="s1") == phone
    assert repo.active_session(session_id="s2") is None
    assert repo.session_on_device(session_id="s1", device="phone", started_at=START) == phone
    # The same instant in another zone is the same value.
    shifted = START.astimezone(datetime.now().astimezone().tzinfo)
    assert repo.session_on_device(session_id="s1", device="phone", started_at=shifted) == phone
    assert repo.session_on_device(session_id="s1", device="tablet", started_at=START) is None
    # An item without the optional attribute never matches (as a sparse index would).
    assert repo.session_on_device(session_id="s2", device="phone", started_at=START) is None
    assert [name for name, _ in recorder.calls] == ["get_item"] * 10
    assert recorder.calls[0][1]["ConsistentRead"] is True  # `consistent: true` is honoured


def test_a_wrong_argument_fails_before_any_request(repo: Any, recorder: Recorder) -> None:
    recorder.recording = True
    with pytest.raises(DynamodelError):
        repo.session_on_device(session_id="s1", device="phone", started_at="2026-03-01")
    with pytest.raises(DynamodelError):
        repo.session_on_device(
            session_id="s1",
            device="phone",
            started_at=datetime(2026, 3, 1),  # naive
        )
    assert recorder.calls == []
