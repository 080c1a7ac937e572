"""Checks of what `dynamodel iam` reads: `table.tenant` and the `functions:` groups.

The tenant must be a `str` attribute: IAM compares the principal's tag, a string, with the key
text, and only a string encodes to itself (see docs/iam.md). Function groups may name only
access patterns and write methods that the generated repository has.
"""

from __future__ import annotations

import difflib

from dynamodel.compiler.diagnostics import Diagnostic, error
from dynamodel.compiler.names import WRITE_KINDS, pascal_case, write_method, write_methods
from dynamodel.compiler.spec.model import FunctionGroup, Ref, Spec
from dynamodel.compiler.spec.updates import updatable


def _close(name: str, options: list[str]) -> str | None:
    found = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return found[0] if found else None


def check_tenant(spec: Spec) -> list[Diagnostic]:
    tenant = spec.table.tenant
    if tenant is None:
        return []
    holders = [e for e in spec.entities if e.attribute(tenant.name) is not None]
    if not holders:
        if any(e.already_reported(tenant.name) for e in spec.entities):
            return []  # declared somewhere, but unreadable: already reported
        names = sorted({a.name for e in spec.entities for a in e.attributes})
        close = _close(tenant.name, names)
        hint = (
            f"did you mean `{close}`?"
            if close
            else "declare it on the entities that belong to a tenant"
        )
        return [
            error(tenant.pos, f"tenant `{tenant.name}` is not an attribute of any entity", hint)
        ]
    problems = []
    for entity in holders:
        attribute = entity.attribute(tenant.name)
        assert attribute is not None
        if attribute.type.base != "str" or attribute.type.item is not None:
            problems.append(
                error(
                    attribute.pos,
                    f"tenant attribute `{entity.name}.{tenant.name}` is "
                    f"{attribute.type.render()}, not str",
                    "IAM compares the principal's tag (text) with the key: "
                    "declare tenant ids as str",
                )
            )
    return problems


def check_functions(spec: Spec) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    if not spec.functions:
        return problems
    patterns = [p.name for p in spec.patterns]
    own = [e.name for e in spec.entities if spec.root_of(e.name) is None]
    # Sets where names are looked up: lists made this quadratic (1.1 s at 10,000 entities).
    owned = set(own)
    fixed = {e.name for e in spec.entities if e.name in owned and not updatable(spec, e)}
    methods = write_methods(own, without_update=fixed)
    members = {e.name for e in spec.entities} - owned
    known_patterns = set(patterns)
    logical: dict[str, FunctionGroup] = {}
    for group in spec.functions:
        if not group.patterns and not group.writes and not group.unreadable:
            problems.append(
                error(
                    group.pos,
                    f"function `{group.name}` names no patterns and no writes",
                    "list what it calls: `{patterns: [...], writes: [...]}`",
                )
            )
        clash = logical.setdefault(pascal_case(group.name), group)
        if clash is not group:
            problems.append(
                error(
                    group.pos,
                    f"function `{group.name}` and `{clash.name}` share the CloudFormation "
                    f"name `{pascal_case(group.name)}Policy`",
                    "rename one of them",
                )
            )
        for ref in group.patterns:
            if ref.name not in known_patterns:
                close = _close(ref.name, patterns)
                hint = f"did you mean `{close}`?" if close else "declare it under `access_patterns`"
                if ref.name in methods:
                    hint = f"`{ref.name}` is a write method: list it under `writes`"
                problems.append(
                    error(
                        ref.pos,
                        f"function `{group.name}` calls an unknown access pattern `{ref.name}`",
                        hint,
                    )
                )
        for ref in group.writes:
            if ref.name not in methods:
                problems.append(_unknown_write(group, ref, methods, patterns, members, fixed))
    return problems


def _unknown_write(
    group: FunctionGroup,
    ref: Ref,
    methods: dict[str, tuple[str, str | None]],
    patterns: list[str],
    members: set[str],
    fixed: set[str],
) -> Diagnostic:
    message = f"function `{group.name}` calls an unknown write method `{ref.name}`"
    for entity in sorted(fixed):
        if ref.name == write_method("update", entity):
            hint = (
                f"`{entity}` has nothing an update could change (only its key, derived values, "
                f"copies or counters): it has no update_*; use save_{ref.name[len('update_') :]}"
            )
            return error(ref.pos, message, hint)
    for member in sorted(members):
        if any(ref.name == write_method(kind, member) for kind in WRITE_KINDS):
            hint = f"`{member}` is an aggregate member: it is written with its root's save_*"
            return error(ref.pos, message, hint)
    if ref.name in patterns:
        return error(
            ref.pos, message, f"`{ref.name}` is an access pattern: list it under `patterns`"
        )
    close = _close(ref.name, list(methods))
    hint = (
        f"did you mean `{close}`?"
        if close
        else "write methods are create_, save_, update_, delete_<entity>, batch_get, "
        "batch_write, increment and apply_once"
    )
    return error(ref.pos, message, hint)
