"""Nothing invalid reaches the table (issue 11, finding 6): generated models validate on
assignment, and a write of a value the model does not hold (set behind its back, missing,
of another entity, a number DynamoDB cannot store, a wrong member, a wrong update value, an
int id of another number type) is refused with a typed error naming the entity, attribute
and value before any request is sent (counted with botocore's `before-send` event);
duplicate member ids are refused unsent. Every write method with any wrong-typed value:
tests/test_write_validation_wrong_types.py."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from pydantic import ValidationError

from dynamodel.runtime.errors import InvalidKeyValueError, InvalidValueError
from tests.hostile_fixtures import NOW, Client, client_fixture, scan
from tests.write_validation_support import Sent, refused, repo, sent, valid

from tracker import (  # isort: skip  (on sys.path via hostile_fixtures)
    ChecklistItem,
    Ticket,
    TrackerRepository,
    Workspace,
)

__all__ = ["client_fixture", "repo", "sent"]  # fixtures, used by name


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
