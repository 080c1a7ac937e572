"""`dynamodel iam` with `tenant:`: the policies keep each tenant to its own items.

Every method is called on moto through its generated repository on data of one tenant, and
the requests it sends are recorded as IAM authorises them (tests/iam_support.py,
tests/iam_requests.py). A small IAM evaluator (tests/iam_evaluator.py) then checks the
emitted policies against them: a tenant-scoped method's requests are denied to any other
tenant (`t10` and `t` for `t1`), to a principal without the tag, and to a tenant id that does
not encode to itself; the methods that cannot be scoped are exactly the ones warned about,
also on hand-built designs whose key namespaces cover a tenant value.

Whether the policies are too narrow or too broad is tested in tests/test_iam_grants.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dynamodel.compiler.design.ir import Design, KeyTemplate, Segment
from dynamodel.compiler.emit.iam import arn_resource, policy_document
from dynamodel.compiler.emit.iam_access import method_names
from dynamodel.compiler.emit.iam_plan import Selection, plan_policy
from tests.iam_support import (
    ARN,
    PROJECTS,
    TRACKER,
    Recording,
    _compiled,
    _denied,
    _everything,
    _policy,
    _tags,
    record,
)

__all__ = ["record"]  # fixtures, used by name


# The tracker's methods whose requests all reach partitions keyed by workspace_id (an oracle
# written by hand from the design: Workspace#{workspace_id}, Ticket#{workspace_id}#...).
TRACKER_SCOPED = {
    "get_workspace",
    "members_of_workspace",
    "get_ticket",
    "tickets_by_status",
    "open_tickets",
    "workspace_overview",
    "get_team",
    "membership_copies_of_team",  # GSI2 Membership#{workspace_id}#{team_id}
    "batch_write",  # writes only Workspace, Membership and ChecklistItem items
    *(
        f"{kind}_{entity}"
        for kind in ("create", "save", "update", "delete")
        for entity in ("workspace", "team", "membership", "ticket")
    ),
}
TRACKER_UNSCOPED = {
    "get_user",  # User#{user_id}
    "user_by_email",  # GSI1 User#{email}
    "workspaces_of_user",  # GSI1 Membership#{user_id}
    "tickets_for_assignee",  # GSI2 Ticket#{assignee_id}
    "batch_get",  # any entity, User too, in one request
    *(f"{kind}_user" for kind in ("create", "save", "update", "delete")),  # and email guards
}


def _warned(design: Design, selection: Selection) -> set[str]:
    plan = plan_policy(design, selection)
    return {w.message.split("`")[1] for w in plan.warnings if "is not tenant-scoped" in w.message}


def test_the_tracker_methods_that_cannot_be_tenant_scoped_are_warned_about() -> None:
    design = _compiled(TRACKER)
    assert TRACKER_SCOPED | TRACKER_UNSCOPED | {"increment", "apply_once"} == set(
        method_names(design.spec)
    ) | {p.name for p in design.patterns}
    assert _warned(design, _everything(design)) == TRACKER_UNSCOPED


@pytest.mark.parametrize("spec_path", [TRACKER, PROJECTS], ids=["tracker", "projects"])
def test_another_tenant_is_denied_every_scoped_request(
    spec_path: Path, record: Callable[[Path, str | None], Recording]
) -> None:
    design = _compiled(spec_path)
    selection = _everything(design)
    policy = _policy(design, selection)
    unscoped = _warned(design, selection)
    if spec_path == TRACKER:
        assert unscoped == TRACKER_UNSCOPED
    scoped = 0
    for mine, other in (("t1", "t10"), ("t10", "t1"), ("t1", "t")):
        for method, requests in record(spec_path, mine).items():
            assert _denied(policy, requests, _tags(design, mine)) == [], method
            if method in unscoped:
                # Not (wholly) scoped: some request is open to every tenant, as warned.
                assert len(_denied(policy, requests, _tags(design, other))) < len(requests)
            else:
                scoped += len(requests)
                assert _denied(policy, requests, _tags(design, other)) == requests, method
    assert scoped > (50 if spec_path == TRACKER else 20)


def test_without_the_principal_tag_nothing_scoped_is_allowed(
    record: Callable[[Path, str | None], Recording],
) -> None:
    design = _compiled(TRACKER)
    policy = _policy(design, _everything(design))
    for method in TRACKER_SCOPED:
        requests = record(TRACKER, "t1")[method]
        assert _denied(policy, requests, {}) == requests, method
        assert _denied(policy, requests, {"workspace_id": ""}) == requests, method


def test_tenant_ids_that_do_not_encode_to_themselves_are_denied(
    record: Callable[[Path, str | None], Recording],
) -> None:
    # "a b" is stored as `a%20b` (docs/key-encoding.md): a principal tagged "a b" matches no key
    # of its own, and can never match another tenant's (tags cannot hold `%` or `#`).
    design = _compiled(TRACKER)
    policy = _policy(design, _everything(design))
    for method in TRACKER_SCOPED:
        requests = record(TRACKER, "a b")[method]
        assert requests and _denied(policy, requests, _tags(design, "a b")) == requests, method


def test_no_tenant_scope_limits_to_namespaces_only(
    record: Callable[[Path, str | None], Recording],
) -> None:
    design = _compiled(TRACKER)
    plan = plan_policy(design, _everything(design), tenant_scope=False)
    assert plan.warnings == ()
    policy = policy_document(plan, arn_resource(ARN))
    assert "PrincipalTag" not in json.dumps(policy)
    for requests in record(TRACKER, "t1").values():
        assert _denied(policy, requests, {}) == []


def test_a_tenant_prefix_shared_with_another_key_is_not_scoped() -> None:
    # If GSI1 held `Ticket#{assignee_id}` beside `Ticket#{workspace_id}#{status}`, a tenant named
    # like an assignee could read that assignee's tickets: tickets_by_status is not scoped then.
    # (The designer gives every entity its own literal on an index, so this design is built by
    # hand: Ticket's GSI2 key moved onto GSI1.)
    design = _compiled(TRACKER)
    ticket = design.entity("Ticket")
    moved = tuple(replace(k, index="GSI1") if k.index == "GSI2" else k for k in ticket.keys)
    entities = tuple(replace(e, keys=moved) if e is ticket else e for e in design.entities)
    crowded = replace(design, entities=entities)
    selection = Selection("lister", ("tickets_by_status",), ())
    plan = plan_policy(crowded, selection)
    (warning,) = plan.warnings
    assert "`Ticket#{assignee_id}` (Ticket items) also starts with `Ticket#`" in warning.message
    assert [s.leading_keys for s in plan.statements] == [("Ticket#*",)]
    assert plan_policy(design, selection).statements[0].leading_keys == (
        "Ticket#${aws:PrincipalTag/workspace_id}#*",
    )


def test_a_namespace_that_covers_a_tenant_value_is_warned_about() -> None:
    # Hand-built: GSI2 holds `Ticket#Board#{workspace_id}` (scoped) and `Ticket#{user_id}`
    # (not). Both are Queries on GSI2, so `Ticket#*` covers the tenant value: the warning says
    # which methods lose their scope, and no tenant value is left for that action.
    design = _compiled(TRACKER)
    board = KeyTemplate(
        (
            Segment("literal", "Ticket"),
            Segment("literal", "Board"),
            Segment("attribute", "workspace_id", "str"),
        )
    )
    users = KeyTemplate((Segment("literal", "Ticket"), Segment("attribute", "user_id", "str")))

    def moved(name: str, index: str, template: KeyTemplate) -> Any:
        entity = design.entity(name)
        keys = tuple(
            replace(k, index="GSI2", partition=template) if k.index == index else k
            for k in entity.keys
        )
        return replace(entity, keys=keys)

    entities = tuple(
        moved("Ticket", "GSI2", board)
        if e.name == "Ticket"
        else moved("Membership", "GSI1", users)
        if e.name == "Membership"
        else e
        for e in design.entities
    )
    patterns = tuple(
        replace(p, index="GSI2", partition=board if p.name == "tickets_for_assignee" else users)
        if p.name in ("tickets_for_assignee", "workspaces_of_user")
        else p
        for p in design.patterns
    )
    crowded = replace(design, entities=entities, patterns=patterns)
    alone = plan_policy(crowded, Selection("a", ("tickets_for_assignee",), ()))
    assert alone.warnings == ()
    assert alone.statements[0].leading_keys == ("Ticket#Board#${aws:PrincipalTag/workspace_id}",)
    both = plan_policy(crowded, Selection("b", ("tickets_for_assignee", "workspaces_of_user"), ()))
    assert [s.leading_keys for s in both.statements] == [("Ticket#*",)]
    messages = [w.message for w in both.warnings]
    assert any("lose their tenant scope" in m and "`tickets_for_assignee`" in m for m in messages)
