"""`dynamodel iam`: the policies allow exactly what the repository methods send.

Every method of every example is called on moto through its generated repository, and the
requests it sends are recorded as IAM authorises them (tests/iam_requests.py). A small IAM
evaluator (tests/iam_evaluator.py) then checks the emitted policies against them:

- too narrow: every request of a selected method is allowed;
- too broad: the statements grant exactly the (action, resource) pairs the methods were seen
  to send, and a request of a method outside the selection is allowed only when the selection
  sends the same action to the same resource and key namespace (IAM cannot tell those apart);
- tenants: with `tenant:`, a tenant-scoped method's requests are denied to any other tenant
  (`t10` and `t` for `t1`); the methods that cannot be scoped are exactly the ones warned about.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dynamodel.compiler.design.ir import Design, KeyTemplate, Segment
from dynamodel.compiler.emit.iam import (
    arn_resource,
    policy_document,
)
from dynamodel.compiler.emit.iam_access import method_names
from dynamodel.compiler.emit.iam_plan import Selection, plan_policy, selections
from dynamodel.compiler.names import repository_class_name
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.runtime.keys import DELIMITER
from tests.iam_evaluator import Request, allowed
from tests.iam_requests import RequestLog, table_arn
from tests.iam_scenario import exercise
from tests.test_repository_oracle import load_package

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/spec.yaml"))
SPECS = EXAMPLES + sorted(ROOT.glob("tests/golden/*/spec.yaml"))
TRACKER = ROOT / "examples" / "tracker" / "spec.yaml"
PROJECTS = ROOT / "examples" / "projects" / "spec.yaml"
TABLE = "Iam-test"
ARN = table_arn(TABLE)
Recording = dict[str, list[Request]]

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


@cache
def _compiled(spec_path: Path) -> Design:
    result = compile_spec(spec_path.read_text(encoding="utf-8"), path=spec_path.name)
    assert result.design is not None, result.rendered()
    return result.design


_RECORDINGS: dict[tuple[Path, str | None], Recording] = {}


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path, str | None], Recording]:
    """The requests of every method of a spec, on data of one tenant (recorded once)."""

    def run(spec_path: Path, tenant: str | None) -> Recording:
        key = (spec_path, tenant)
        if key not in _RECORDINGS:
            directory = tmp_path_factory.mktemp("iam")
            with mock_aws():
                design, package = load_package(spec_path, directory)
                client = boto3.client("dynamodb", region_name="us-east-1")
                log = RequestLog(client, design)
                repository = getattr(package, repository_class_name(design.table_name))
                repo = repository(client=client, table_name=TABLE, cursor_key="k" * 32)
                repo.create_table()
                exercise(design, package, repo, log, random.Random(7), tenant=tenant)
            _RECORDINGS[key] = log.requests
        return _RECORDINGS[key]

    return run


def _everything(design: Design) -> Selection:
    return Selection(
        "all", tuple(p.name for p in design.patterns), tuple(method_names(design.spec))
    )


def _policy(design: Design, selection: Selection, *, tenant_scope: bool = True) -> dict[str, Any]:
    plan = plan_policy(design, selection, tenant_scope=tenant_scope)
    return policy_document(plan, arn_resource(ARN))


def _tags(design: Design, tenant: str) -> dict[str, str]:
    return {design.spec.table.tenant.name: tenant} if design.spec.table.tenant else {}


def _denied(policy: dict[str, Any], requests: list[Request], tags: dict[str, str]) -> list[Request]:
    return [r for r in requests if not allowed(policy, r, tags=tags)]


# -- too narrow ------------------------------------------------------------------------------
@pytest.mark.parametrize("tenant_scope", [True, False], ids=["tenant", "no-tenant"])
@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.parent.name)
def test_every_request_of_every_method_is_allowed(
    spec_path: Path, tenant_scope: bool, record: Callable[[Path, str | None], Recording]
) -> None:
    design = _compiled(spec_path)
    recording = record(spec_path, "t1")
    policy = _policy(design, _everything(design), tenant_scope=tenant_scope)
    requests = [r for found in recording.values() for r in found]
    assert len(requests) > 10
    assert _denied(policy, requests, _tags(design, "t1")) == []


@pytest.mark.parametrize("spec_path", EXAMPLES, ids=lambda p: p.parent.name)
def test_each_method_alone_is_allowed_what_it_sends(
    spec_path: Path, record: Callable[[Path, str | None], Recording]
) -> None:
    design = _compiled(spec_path)
    recording = record(spec_path, "t1")
    for method, requests in recording.items():
        writes = (method,) if method in method_names(design.spec) else ()
        patterns = () if writes else (method,)
        policy = _policy(design, Selection(method, patterns, writes))
        assert _denied(policy, requests, _tags(design, "t1")) == [], method


# -- too broad -------------------------------------------------------------------------------
def _granted(policy: dict[str, Any]) -> set[tuple[str, str]]:
    return {(a, s["Resource"]) for s in policy["Statement"] for a in s["Action"]}


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.parent.name)
def test_a_method_is_granted_exactly_the_actions_and_resources_it_sends(
    spec_path: Path, record: Callable[[Path, str | None], Recording]
) -> None:
    design = _compiled(spec_path)
    recording = record(spec_path, "t1")
    methods = [p.name for p in design.patterns] + list(method_names(design.spec))
    checked = 0
    for method in methods:
        sent = {(r.action, r.resource) for r in recording.get(method, [])}
        if not sent:  # increment/apply_once without counter entities: nothing to call
            assert method in ("increment", "apply_once"), method
            continue
        writes = (method,) if method in method_names(design.spec) else ()
        selection = Selection(method, () if writes else (method,), writes)
        assert _granted(_policy(design, selection)) == sent, method
        checked += 1
    own = [m for m, (_, entity) in method_names(design.spec).items() if entity is not None]
    assert checked >= len(design.patterns) + len(own)


def _parts(template: Any) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    for segment in template.segments:
        if segment.kind == "literal":
            parts += [("literal", text) for text in segment.text.split(DELIMITER)]
        else:
            parts.append((segment.kind, segment.text))
    return parts


def _templates(design: Design, resource: str) -> list[list[tuple[str, str]]]:
    index = resource.partition("/index/")[2] or "table"
    found = [
        _parts(key.partition)
        for entity in design.entities
        for key in entity.keys
        if key.index == index
    ]
    if index == "table":
        found += [_parts(g.partition) for e in design.entities for g in e.unique_guards]
        found.append([("literal", "_applied"), ("attribute", "consumer"), ("attribute", "token")])
    return found


def _shapes(design: Design, resource: str, key: str) -> set[tuple[tuple[str, str], ...]]:
    """The templates on the resource that the key value fits (literal parts equal)."""
    values = key.split(DELIMITER)
    return {
        tuple(parts)
        for parts in _templates(design, resource)
        if len(parts) == len(values)
        and all(
            kind != "literal" or text == v for (kind, text), v in zip(parts, values, strict=True)
        )
    }


def _namespace(shape: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    literals = []
    for kind, text in shape:
        if kind != "literal":
            break
        literals.append(text)
    return tuple(literals)


def _fits(design: Design, outside: Request, inside: list[Request], *, strict: bool) -> bool:
    """Whether the selection sends the same action to the same resource with keys of the same
    template (strict) or of the same key namespace (not strict)."""
    for request in inside:
        if (request.action, request.resource) != (outside.action, outside.resource):
            continue
        mine = [_shapes(design, request.resource, k) for k in request.leading_keys]
        theirs = [_shapes(design, outside.resource, k) for k in outside.leading_keys]
        if strict:
            known = set().union(*mine) if mine else set()
            if all(shapes & known for shapes in theirs):
                return True
        else:
            known_spaces = {_namespace(s) for shapes in mine for s in shapes}
            if all({_namespace(s) for s in shapes} & known_spaces for shapes in theirs):
                return True
    return False


def _selections_to_try(design: Design) -> list[Selection]:
    found = [Selection(p.name, (p.name,), ()) for p in design.patterns]
    found += [Selection(w, (), (w,)) for w in method_names(design.spec)]
    return found + list(selections(design))


@pytest.mark.parametrize("tenant_scope", [True, False], ids=["tenant", "no-tenant"])
@pytest.mark.parametrize("spec_path", EXAMPLES, ids=lambda p: p.parent.name)
def test_requests_outside_a_selection_are_denied(
    spec_path: Path, tenant_scope: bool, record: Callable[[Path, str | None], Recording]
) -> None:
    design = _compiled(spec_path)
    recording = record(spec_path, "t1")
    tags = _tags(design, "t1")
    denied = 0
    for selection in _selections_to_try(design):
        policy = _policy(design, selection, tenant_scope=tenant_scope)
        inside = [r for m in selection.methods for r in recording.get(m, [])]
        for method, requests in recording.items():
            if method in selection.methods:
                continue
            for request in requests:
                verdict = allowed(policy, request, tags=tags)
                if verdict:
                    assert _fits(design, request, inside, strict=False), (selection, request)
                else:
                    denied += 1
                    assert not _fits(design, request, inside, strict=True), (selection, request)
    assert denied > 100


# -- tenants ---------------------------------------------------------------------------------
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


def test_holders_read_and_check_their_sources_and_nothing_more(
    record: Callable[[Path, str | None], Recording],
) -> None:
    """A Membership holding a copy of its Team's name reads the Team (consistent GetItem) and
    checks it in the write's transaction; a save does not read the Membership itself (it is
    not otherwise checked), and the policy of that one write grants no such read."""
    design = _compiled(TRACKER)
    recording = record(TRACKER, "t1")
    for method in ("create_membership", "save_membership"):
        sent = {(r.action, r.leading_keys[0].split("#")[0]) for r in recording[method]}
        assert ("dynamodb:GetItem", "Team") in sent, method
        assert ("dynamodb:ConditionCheckItem", "Team") in sent, method
        assert ("dynamodb:GetItem", "Workspace") not in sent, method
        granted = _policy(design, Selection(method, (), (method,)))
        reads = [s for s in granted["Statement"] if "dynamodb:GetItem" in s["Action"]]
        keys = {k for s in reads for k in _leading_keys(s)}
        assert keys and all(k.startswith("Team#") for k in keys), (method, keys)


def _leading_keys(statement: dict[str, Any]) -> list[str]:
    condition = statement.get("Condition", {}).get("ForAllValues:StringLike", {})
    return list(condition.get("dynamodb:LeadingKeys", []))
