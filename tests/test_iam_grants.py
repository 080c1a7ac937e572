"""`dynamodel iam`: the policies allow exactly what the repository methods send.

Every method of every example is called on moto through its generated repository, and the
requests it sends are recorded as IAM authorises them (tests/iam_support.py,
tests/iam_requests.py). A small IAM evaluator (tests/iam_evaluator.py) then checks the
emitted policies against them:

- too narrow: every request of a selected method is allowed;
- too broad: the statements grant exactly the (action, resource) pairs the methods were seen
  to send, and a request of a method outside the selection is allowed only when the selection
  sends the same action to the same resource and key namespace (IAM cannot tell those apart);
  a holder of a copy is granted the reads of its sources and nothing more.

Tenant scoping is tested in tests/test_iam_tenants.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.iam_access import method_names
from dynamodel.compiler.emit.iam_plan import Selection, selections
from dynamodel.runtime.keys import DELIMITER
from tests.iam_evaluator import Request, allowed
from tests.iam_support import (
    EXAMPLES,
    SPECS,
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


# Per design (kept alive here, so its id is not reused) and resource: `_fits` asks for them once
# per pair of requests.
_TEMPLATES: dict[int, tuple[Design, dict[str, list[list[tuple[str, str]]]]]] = {}


def _templates(design: Design, resource: str) -> list[list[tuple[str, str]]]:
    known = _TEMPLATES.setdefault(id(design), (design, {}))[1]
    if resource not in known:
        known[resource] = _templates_of(design, resource)
    return known[resource]


def _templates_of(design: Design, resource: str) -> list[list[tuple[str, str]]]:
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
