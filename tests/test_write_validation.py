"""Nothing invalid reaches the table (issue 11, finding 6): generated models validate on
assignment, every write method refuses a wrong-typed value with a typed error naming the
entity, attribute and value before any request is sent (counted with botocore's `before-send`
event), duplicate member ids are refused unsent, and a reversed range is an empty page.

The oracle of "wrong type" is written here by hand, per attribute of the tracker example, not
taken from the models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dynamodel.runtime.errors import DynamodelError, InvalidKeyValueError, InvalidValueError
from tests.hostile_fixtures import (
    CURSOR_KEY,
    NOW,
    PROPERTY,
    TABLES,
    Client,
    client_fixture,
    scan,
)

from fleet import FleetRepository  # isort: skip  (on sys.path via hostile_fixtures)
from tracker import (  # isort: skip
    ChecklistItem,
    Membership,
    Ticket,
    TrackerRepository,
    User,
    Workspace,
)

__all__ = ["client_fixture"]

ENUMS = {
    "plan": {"free", "team", "enterprise"},
    "role": {"owner", "admin", "member"},
    "status": {"open", "in_progress", "closed"},
}
# The tracker's attributes by hand: kind, and whether None is allowed.
ATTRIBUTES: dict[str, dict[str, tuple[str, bool]]] = {
    "Workspace": {
        "workspace_id": ("str", False),
        "name": ("str", False),
        "plan": ("plan", False),
        "created_at": ("datetime", False),
    },
    "User": {"user_id": ("str", False), "email": ("str", False), "display_name": ("str", False)},
    "Membership": {
        "workspace_id": ("str", False),
        "user_id": ("str", False),
        "role": ("role", False),
        "joined_at": ("datetime", False),
    },
    "Ticket": {
        "workspace_id": ("str", False),
        "ticket_no": ("int", False),
        "title": ("str", False),
        "status": ("status", False),
        "assignee_id": ("str", True),
        "priority": ("int", False),
        "updated_at": ("datetime", False),
        "labels": ("set[str]", False),
        "expires_at": ("datetime", True),
        "version": ("int", False),
    },
    "ChecklistItem": {
        "workspace_id": ("str", False),
        "ticket_no": ("int", False),
        "position": ("int", False),
        "text": ("str", False),
        "done": ("bool", False),
    },
}
IDS = {
    "Workspace": ("workspace_id",),
    "User": ("user_id",),
    "Membership": ("workspace_id", "user_id"),
    "Ticket": ("workspace_id", "ticket_no"),
}


def fits(kind: str, optional: bool, value: object) -> bool:
    """Whether `value` is of the attribute's type, exactly (no coercion)."""
    if value is None:
        return optional
    if kind in ENUMS:
        return isinstance(value, str) and value in ENUMS[kind]
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "datetime":
        return isinstance(value, datetime) and value.utcoffset() is not None
    assert kind == "set[str]"
    return isinstance(value, set) and all(isinstance(v, str) for v in value)


hostile_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**40), 10**40),
    st.floats(),
    st.decimals(),
    st.text(max_size=8),
    st.sampled_from(["bogus", "Open", "OPEN", "1", "true", "2026-11-28T12:00:00Z"]),
    st.binary(max_size=8),
    st.datetimes(),  # naive
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.lists(st.text(max_size=4), max_size=3),
    st.sets(st.integers(), max_size=3),
    st.frozensets(st.text(max_size=4), min_size=1, max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


class Sent:
    """Every HTTP request the client is about to send (botocore's `before-send` event)."""

    def __init__(self, client: Client) -> None:
        self.operations: list[str] = []
        client.meta.events.register("before-send.dynamodb", self._record)

    def _record(self, request: Any, **_: Any) -> None:
        self.operations.append(str(request.headers.get("X-Amz-Target", b"")))

    def clear(self) -> None:
        self.operations.clear()


@pytest.fixture
def sent(client: Client) -> Sent:
    return Sent(client)


@pytest.fixture
def repo(client: Client, sent: Sent) -> Iterator[TrackerRepository]:
    repository = TrackerRepository(
        client=client, table_name=f"valid-{next(TABLES)}", cursor_key=CURSOR_KEY
    )
    repository.create_table()
    sent.clear()
    yield repository


def valid(entity: str) -> Any:
    return {
        "Workspace": lambda: Workspace(workspace_id="w1", name="Acme"),
        "User": lambda: User(user_id="u1", email="a@example.com", display_name="A"),
        "Membership": lambda: Membership(
            workspace_id="w1", user_id="u1", role="member", joined_at=NOW
        ),
        "Ticket": lambda: Ticket(
            workspace_id="w1",
            ticket_no=1,
            title="t",
            status="open",
            priority=2,
            updated_at=NOW,
            labels={"bug"},
        ),
        "ChecklistItem": lambda: ChecklistItem(
            workspace_id="w1", ticket_no=1, position=1, text="x"
        ),
    }[entity]()


def refused(call: Callable[[], object], sent: Sent) -> DynamodelError:
    sent.clear()
    with pytest.raises(DynamodelError) as caught:
        call()
    assert sent.operations == [], sent.operations
    return caught.value


# -- the finding's reproduction --------------------------------------------------------------


def test_assigning_a_value_outside_the_enum_fails_at_the_assignment() -> None:
    ticket = valid("Ticket")
    with pytest.raises(ValidationError):
        ticket.status = "bogus"
    assert ticket.status == "open"
    with pytest.raises(ValidationError):
        ticket.priority = "high"


def test_a_bogus_status_set_behind_the_models_back_is_never_saved(
    repo: TrackerRepository, client: Client, sent: Sent
) -> None:
    ticket = valid("Ticket")
    ticket.__dict__["status"] = "bogus"
    error = refused(lambda: repo.save_ticket(ticket), sent)
    assert isinstance(error, InvalidValueError)
    assert (error.entity, error.attribute, error.value) == ("Ticket", "status", "bogus")
    assert "Ticket.status = 'bogus'" in str(error)
    built = Ticket.model_construct(**{**valid("Ticket").__dict__, "status": "bogus"})
    assert isinstance(refused(lambda: repo.create_ticket(built), sent), InvalidValueError)
    assert scan(client, repo.table_name) == []
    # The counter does count: a valid save sends its request.
    repo.save_ticket(valid("Ticket"))
    assert len(sent.operations) >= 1


def test_a_missing_required_value_is_refused(repo: TrackerRepository, sent: Sent) -> None:
    workspace = Workspace.model_construct(workspace_id="w1", created_at=NOW, plan="free")
    error = refused(lambda: repo.create_workspace(workspace), sent)
    assert isinstance(error, InvalidValueError) and error.attribute == "name"


def test_a_wrong_object_is_refused(repo: TrackerRepository, sent: Sent) -> None:
    error = refused(lambda: repo.create_workspace(valid("User")), sent)
    assert isinstance(error, InvalidValueError) and "expected a Workspace" in str(error)


@pytest.mark.parametrize("priority", [10**38 + 1, -(10**200)])  # 39 digits; over 9.99E+125
def test_a_number_dynamodb_cannot_store_names_its_attribute(
    repo: TrackerRepository, sent: Sent, priority: int
) -> None:
    ticket = valid("Ticket")
    ticket.priority = priority  # an int: pydantic accepts it, DynamoDB does not
    error = refused(lambda: repo.create_ticket(ticket), sent)
    assert isinstance(error, InvalidValueError)
    assert (error.entity, error.attribute, error.value) == ("Ticket", "priority", priority)


def test_a_wrong_member_value_names_the_member(repo: TrackerRepository, sent: Sent) -> None:
    ticket = valid("Ticket")
    item = valid("ChecklistItem")
    item.__dict__["done"] = "yes"
    ticket.checklist = [item]
    error = refused(lambda: repo.create_ticket(ticket), sent)
    assert isinstance(error, InvalidValueError)
    assert (error.entity, error.attribute, error.value) == ("ChecklistItem", "done", "yes")
    ticket.__dict__["checklist"] = [{"position": 1}]
    error = refused(lambda: repo.save_ticket(ticket), sent)
    assert isinstance(error, InvalidValueError) and error.attribute.startswith("checklist")


def test_duplicate_member_ids_are_refused_unsent(
    repo: TrackerRepository, client: Client, sent: Sent
) -> None:
    ticket = valid("Ticket")
    ticket.checklist = [
        ChecklistItem(workspace_id="w1", ticket_no=1, position=1, text="a"),
        ChecklistItem(workspace_id="w1", ticket_no=1, position=2, text="b"),
        ChecklistItem(workspace_id="w1", ticket_no=1, position=1, text="c"),
    ]
    for write in (repo.create_ticket, repo.save_ticket):
        error = refused(partial(write, ticket), sent)
        assert isinstance(error, InvalidValueError)
        assert (error.entity, error.attribute, error.value) == ("Ticket", "checklist", ("w1", 1, 1))
        assert "ChecklistItem(workspace_id='w1', ticket_no=1, position=1) twice" in str(error)
    assert scan(client, repo.table_name) == []


def test_a_wrong_update_value_is_refused_before_anything_is_read(
    repo: TrackerRepository, sent: Sent
) -> None:
    repo.create_ticket(valid("Ticket"))
    wrong: list[dict[str, Any]] = [{"status": "bogus"}, {"priority": "high"}, {"labels": "bug"}]
    for changes in wrong:
        error = refused(
            partial(repo.update_ticket, workspace_id="w1", ticket_no=1, **changes), sent
        )
        assert isinstance(error, InvalidValueError)
        assert error.entity == "Ticket" and error.attribute.split("[")[0] in changes
    assert repo.get_ticket(workspace_id="w1", ticket_no=1) == valid("Ticket").model_copy(
        update={"version": 1}
    )


def test_update_values_are_not_coerced(repo: TrackerRepository, sent: Sent) -> None:
    # pydantic's lax mode would parse these; a write stores exactly what it is given.
    wrong: list[dict[str, Any]] = [
        {"title": b"bytes"},
        {"updated_at": "2026-11-28T12:00:00Z"},
        {"updated_at": 0},
        {"priority": 5.0},
        {"labels": ["a"]},
    ]
    for changes in wrong:
        error = refused(
            partial(repo.update_ticket, workspace_id="w1", ticket_no=1, **changes), sent
        )
        assert isinstance(error, InvalidValueError) and error.attribute in changes


@pytest.mark.parametrize("ticket_no", [1.0, Decimal(1), True])
def test_an_int_id_of_another_number_type_is_refused_unsent(
    repo: TrackerRepository, sent: Sent, ticket_no: object
) -> None:
    # 1.0 and Decimal(1) encode like 1: they would address ticket 1 through a wrong type.
    for call in (
        partial(repo.delete_ticket, workspace_id="w1", ticket_no=ticket_no),
        partial(repo.update_ticket, workspace_id="w1", ticket_no=ticket_no, title="x"),
        partial(repo.get_ticket, workspace_id="w1", ticket_no=ticket_no),
    ):
        error = refused(call, sent)
        assert isinstance(error, InvalidKeyValueError) and error.attribute == "ticket_no"


# -- every write method, any wrong-typed value ------------------------------------------------

ENTITIES = sorted(ATTRIBUTES)


def _write_cases() -> list[tuple[str, str, str]]:
    """(method, entity, attribute): every write method with every attribute it takes."""
    cases = []
    for entity, attributes in ATTRIBUTES.items():
        for attribute in attributes:
            if entity == "ChecklistItem":  # a member: written with its root
                cases += [("create", entity, attribute), ("save", entity, attribute)]
                continue
            if attribute != "version":  # create writes version 1; update never takes it
                cases += [("create", entity, attribute), ("update", entity, attribute)]
            cases.append(("save", entity, attribute))
            if attribute in IDS[entity]:
                cases.append(("delete", entity, attribute))
            if entity in ("Workspace", "Membership"):  # no version, guard or member
                cases.append(("batch_write", entity, attribute))
    return cases


# Values one step from the right type, which a lax check would coerce, per attribute kind.
NEAR_MISSES: dict[str, st.SearchStrategy[object]] = {
    "str": st.one_of(st.binary(max_size=4), st.integers(), st.just(None)),
    "int": st.one_of(
        st.integers().map(float), st.integers().map(Decimal), st.booleans(), st.just("7")
    ),
    "bool": st.one_of(st.sampled_from([0, 1, "true", "false", None])),
    "datetime": st.one_of(
        st.datetimes(),
        st.dates(),
        st.integers(0, 2**31),
        st.just("2026-11-28T12:00:00Z"),
        st.just(b"2026-11-28T12:00:00Z"),
    ),
    "set[str]": st.one_of(
        st.lists(st.text(max_size=3), max_size=2),
        st.frozensets(st.text(max_size=3), max_size=2),
        st.sets(st.integers(), min_size=1, max_size=2),
        st.just("abc"),
    ),
    **{
        kind: st.sampled_from(["bogus", "Open", "", *(o.upper() for o in ENUMS[kind])])
        for kind in ENUMS
    },
}


@settings(PROPERTY, max_examples=1000)
@given(case=st.sampled_from(_write_cases()), data=st.data())
def test_any_wrong_typed_value_is_a_typed_error_and_nothing_is_sent(
    repo: TrackerRepository, sent: Sent, case: tuple[str, str, str], data: st.DataObject
) -> None:
    method, entity, attribute = case
    kind, optional = ATTRIBUTES[entity][attribute]
    value = data.draw(st.one_of(NEAR_MISSES[kind], hostile_values), label="value")
    assume(not fits(kind, optional, value))
    call: Callable[[], object]
    if entity == "ChecklistItem":
        obj = valid("Ticket")
        member = valid(entity)
        member.__dict__[attribute] = value
        obj.checklist = [member]
        call = partial(getattr(repo, f"{method}_ticket"), obj)
    elif method == "batch_write":
        obj = valid(entity)
        obj.__dict__[attribute] = value
        call = partial(repo.batch_write, put=[obj])
    elif method in ("create", "save"):
        obj = valid(entity)
        obj.__dict__[attribute] = value
        call = partial(getattr(repo, f"{method}_{entity.lower()}"), obj)
    else:
        ids = {name: getattr(valid(entity), name) for name in IDS[entity]}
        arguments = {**ids, attribute: value}
        call = partial(getattr(repo, f"{method}_{entity.lower()}"), **arguments)
    error = refused(call, sent)
    assert isinstance(error, InvalidValueError | InvalidKeyValueError), repr(error)
    if isinstance(error, InvalidValueError):
        assert error.entity == entity and error.attribute.split("[")[0] == attribute, repr(error)
    else:
        assert error.attribute == attribute, repr(error)


# -- reversed ranges ---------------------------------------------------------------------------


def test_a_reversed_range_is_an_empty_page_and_sends_nothing(
    repo: TrackerRepository, sent: Sent
) -> None:
    for n in range(1, 4):
        repo.create_ticket(
            Ticket(
                workspace_id="w1",
                ticket_no=n,
                title="t",
                status="open",
                priority=n,
                updated_at=NOW + timedelta(minutes=n),
                assignee_id="u1",
            )
        )
    later, earlier = NOW + timedelta(minutes=3), NOW + timedelta(minutes=1)
    sent.clear()
    page = repo.tickets_by_status(
        workspace_id="w1", status="open", updated_at_from=later, updated_at_to=earlier
    )
    assert page.items == [] and page.cursor is None and sent.operations == []
    page = repo.tickets_for_assignee(
        assignee_id="u1", status="open", priority_from=3, priority_to=1
    )
    assert page.items == [] and sent.operations == []
    # A one-value range and the same range the right way round still read.
    same = repo.tickets_by_status(
        workspace_id="w1", status="open", updated_at_from=earlier, updated_at_to=earlier
    )
    assert [t.ticket_no for t in same.items] == [1]
    both = repo.tickets_for_assignee(
        assignee_id="u1", status="open", priority_from=1, priority_to=3
    )
    assert [t.ticket_no for t in both.items] == [1, 2, 3]


@given(low=st.integers(-(10**6), 10**6), high=st.integers(-(10**6), 10**6))
@PROPERTY
def test_ranges_are_empty_exactly_when_reversed(
    repo: TrackerRepository, sent: Sent, low: int, high: int
) -> None:
    sent.clear()
    page = repo.tickets_for_assignee(
        assignee_id="u1", status="open", priority_from=low, priority_to=high
    )
    assert page.items == []
    assert (sent.operations == []) == (low > high)


def test_a_reversed_range_on_a_sharded_pattern_sends_nothing(client: Client, sent: Sent) -> None:
    repo = FleetRepository(client=client, table_name=f"valid-{next(TABLES)}", cursor_key=CURSOR_KEY)
    repo.create_table()
    sent.clear()
    page = repo.all_open_alerts(raised_at_from=NOW, raised_at_to=NOW - timedelta(seconds=1))
    assert page.items == [] and page.cursor is None and sent.operations == []


def test_oracle_sanity() -> None:
    # The hand-written oracle agrees with the obvious cases (so the property tests something).
    assert fits("int", False, 3) and not fits("int", False, True) and not fits("int", False, 3.0)
    assert not fits("datetime", False, datetime(2026, 1, 1)) and fits("datetime", True, None)
    assert not fits("status", False, "bogus") and not fits("set[str]", False, ["a"])
    assert not fits("str", False, b"x") and not fits("bool", False, 0)
