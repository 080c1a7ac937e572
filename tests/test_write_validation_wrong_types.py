"""Nothing invalid reaches the table (issue 11, finding 6): every write method of the tracker
refuses a wrong-typed value of any attribute it takes (Hypothesis) with a typed error naming
the entity and attribute, before any request is sent (counted with botocore's `before-send`
event).

The oracle of "wrong type" is written here by hand, per attribute of the tracker example, not
taken from the models.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dynamodel.runtime.errors import InvalidKeyValueError, InvalidValueError
from tests.hostile_fixtures import PROPERTY, client_fixture
from tests.write_validation_support import Sent, refused, repo, sent, valid

from tracker import TrackerRepository  # isort: skip  (on sys.path via hostile_fixtures)

__all__ = ["client_fixture", "repo", "sent"]  # fixtures, used by name


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


def test_oracle_sanity() -> None:
    # The hand-written oracle agrees with the obvious cases (so the property tests something).
    assert fits("int", False, 3) and not fits("int", False, True) and not fits("int", False, 3.0)
    assert not fits("datetime", False, datetime(2026, 1, 1)) and fits("datetime", True, None)
    assert not fits("status", False, "bogus") and not fits("set[str]", False, ["a"])
    assert not fits("str", False, b"x") and not fits("bool", False, 0)
