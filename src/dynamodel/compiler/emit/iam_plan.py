"""The statements of a least-privilege policy: which actions, on which resource, for which
partition keys (`dynamodb:LeadingKeys`), and why a method could not be tenant-scoped.

Every statement carries a LeadingKeys condition (`ForAllValues:StringLike`, with a `Null`
check so that a request without keys never matches):

- **tenant-scoped** values where a partition key starts with the tenant attribute after its
  literal prefix: `Ticket#${aws:PrincipalTag/workspace_id}` for a key that ends there and
  `Ticket#${aws:PrincipalTag/workspace_id}#*` for one that continues. Encoded values never
  contain a raw `#` (docs/key-encoding.md), so tenant `t1` can never match `Ticket#t10...`.
- **namespace** values otherwise: `User#*`, the partitions of the key's literal prefix. They
  keep a method away from every other entity's items, but not from other tenants' (a warning
  says so, naming the method and the key).

A tenant value is used only where it is safe on that resource: no other partition key there
has the same literal prefix followed by something other than the tenant attribute (a tenant
named like a user id could otherwise reach `Ticket#<that user>` items).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dynamodel.compiler.design.ir import Design, KeyTemplate, Segment
from dynamodel.compiler.diagnostics import Diagnostic, Pos, warning
from dynamodel.compiler.emit.iam_access import (
    BATCH_ACTIONS,
    COPY_UPDATES,
    MARKER_TEMPLATE,
    Access,
    Target,
    accesses,
    method_names,
)
from dynamodel.compiler.names import pascal_case
from dynamodel.compiler.spec.copies import copy_lookups
from dynamodel.runtime.keys import DELIMITER

# The Sid (and CloudFormation name) of a policy built from --patterns/--writes, or from every
# pattern and write when the spec has no `functions:`.
SELECTION = "selection"
EVERYTHING = "all_access"
COPIES = "copies"  # the copies handler's policy (`dynamodel cloudformation --copies`)


@dataclass(frozen=True)
class Selection:
    """What one policy allows: a function group of the spec, or a selection on the command line."""

    name: str
    patterns: tuple[str, ...]
    writes: tuple[str, ...]
    description: str | None = None

    @property
    def methods(self) -> tuple[str, ...]:
        return (*self.patterns, *self.writes)


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: tuple[str, ...]  # DynamoDB action names, e.g. "GetItem"
    index: str | None  # None: the table
    leading_keys: tuple[str, ...]  # ForAllValues:StringLike values of dynamodb:LeadingKeys
    tenant_scoped: bool


@dataclass(frozen=True)
class PolicyPlan:
    selection: Selection
    statements: tuple[Statement, ...]
    warnings: tuple[Diagnostic, ...]


def principal_tag(tenant: str) -> str:
    return "${aws:PrincipalTag/" + tenant + "}"


def _segments(template: KeyTemplate) -> list[Segment]:
    """The template with literals split at `#`, so one segment is one `#`-separated part."""
    parts: list[Segment] = []
    for segment in template.segments:
        if segment.kind == "literal":
            parts += [Segment("literal", text) for text in segment.text.split(DELIMITER)]
        else:
            parts.append(segment)
    return parts


def _prefix(parts: list[Segment]) -> list[str]:
    literals = []
    for part in parts:
        if part.kind != "literal":
            break
        literals.append(part.text)
    return literals


def namespace_value(template: KeyTemplate) -> str:
    parts = _segments(template)
    literals = _prefix(parts)
    joined = DELIMITER.join(literals)
    return joined if len(literals) == len(parts) else joined + DELIMITER + "*"


class Planner:
    def __init__(self, design: Design, *, tenant: str | None) -> None:
        self.design = design
        self.tenant = tenant
        self.warnings: list[Diagnostic] = []
        # method -> (index, template, what, reason) -> the actions that are not tenant-scoped
        self.unscoped: dict[str, dict[tuple[str | None, str, str, str], set[str]]] = {}
        self.limits: dict[str, list[str]] = {}  # method -> the namespace values it gets instead

    def where(self, index: str | None) -> str:
        return index or "the table"

    def templates_on(self, index: str | None) -> list[tuple[KeyTemplate, str]]:
        """Every partition key template of the resource, with what lives there."""
        found: list[tuple[KeyTemplate, str]] = []
        for entity in self.design.entities:
            for key in entity.keys:
                if key.index == (index or "table"):
                    found.append((key.partition, f"{entity.name} items"))
            if index is None:
                found += [
                    (g.partition, f"{entity.name} unique guards") for g in entity.unique_guards
                ]
        if index is None:
            found.append((MARKER_TEMPLATE, "apply_once markers"))
        return found

    def tenant_values(self, target: Target, index: str | None) -> tuple[str, ...] | str:
        """The tenant-scoped values for the target, or why there are none."""
        assert self.tenant is not None
        parts = _segments(target.template)
        literals = _prefix(parts)
        k = len(literals)
        if k == len(parts):
            return "holds no tenant"
        if parts[k].kind == "shard":
            return f"starts with the write shard, not `{self.tenant}`"
        if parts[k].text != self.tenant:
            return f"starts with `{parts[k].text}`, not `{self.tenant}`"
        for other, what in self.templates_on(index):
            theirs = _segments(other)
            if len(theirs) <= k or any(
                t.kind == "literal" and t.text != literal
                for t, literal in zip(theirs[:k], literals, strict=False)
            ):
                continue  # cannot produce a value `prefix#tag...`
            same = all(t.kind == "literal" for t in theirs[:k]) and (
                theirs[k].kind == "attribute" and theirs[k].text == self.tenant
            )
            if not same:
                return (
                    f"starts with `{self.tenant}`, but on {self.where(index)} "
                    f"`{other.rendered}` ({what}) also starts with "
                    f"`{DELIMITER.join(literals)}{DELIMITER}`, so a tenant id could name those"
                )
        prefix = DELIMITER.join(literals) + DELIMITER + principal_tag(self.tenant)
        return (prefix,) if len(parts) == k + 1 else (prefix + DELIMITER + "*",)

    def position(self, method: str) -> Pos:
        spec = self.design.spec
        pattern = spec.pattern(method)
        if pattern is not None:
            return pattern.pos
        _, entity_name = method_names(spec).get(method, ("", None))  # None: COPY_UPDATES
        entity = spec.entity(entity_name) if entity_name else None
        return entity.pos if entity is not None else spec.table.pos

    def values(self, access: Access) -> tuple[set[str], set[str]]:
        """(tenant-scoped values, namespace values) that the access needs."""
        scoped: dict[Target, tuple[str, ...] | str] = {}
        for target in access.targets:
            scoped[target] = (
                self.tenant_values(target, access.index) if self.tenant else "no tenant"
            )
        tenant: set[str] = set()
        spaces: set[str] = set()
        # One batch request may hold keys of every target: all must fit one statement.
        whole = access.action in BATCH_ACTIONS and any(isinstance(v, str) for v in scoped.values())
        for target, result in scoped.items():
            if not (isinstance(result, str) or whole):
                tenant.update(result)
                continue
            spaces.add(namespace_value(target.template))
            if not self.tenant:
                continue
            limits = self.limits.setdefault(access.method, [])
            limits += [v for v in [namespace_value(target.template)] if v not in limits]
            if isinstance(result, str):
                if whole and len(scoped) > 1:
                    result += " (and one batch request holds keys of any of its entities)"
                where = (access.index, target.template.rendered, target.what, result)
                self.unscoped.setdefault(access.method, {}).setdefault(where, set()).add(
                    access.action
                )
        return tenant, spaces

    def unscoped_warnings(self) -> None:
        for method, found in self.unscoped.items():
            parts = [
                f"its {', '.join(sorted(actions))} requests on {self.where(index)} reach "
                f"`{template}` ({what}), which {reason}"
                for (index, template, what, reason), actions in found.items()
            ]
            limits = ", ".join(f"`{v}`" for v in self.limits[method])
            self.warnings.append(
                warning(
                    self.position(method),
                    f"`{method}` is not tenant-scoped: " + "; ".join(parts),
                    f"its policy limits those requests to {limits} partitions of every tenant",
                )
            )

    def plan(self, selection: Selection) -> PolicyPlan:
        indexes: list[str | None] = [None, *(i.name for i in self.design.indexes)]
        tenant: dict[tuple[str | None, str], set[str]] = {}
        spaces: dict[tuple[str | None, str], set[str]] = {}
        users: dict[tuple[str | None, str], list[str]] = {}
        for method in selection.methods:
            for access in accesses(self.design, method):
                key = (access.index, access.action)
                scoped, namespaces = self.values(access)
                tenant.setdefault(key, set()).update(scoped)
                spaces.setdefault(key, set()).update(namespaces)
                users.setdefault(key, []).append(method)
        self.unscoped_warnings()
        for key, granted in tenant.items():
            covered = {v for v in granted if _covered(v, spaces[key])}
            if covered and self.tenant:
                index, action = key
                self.warnings.append(
                    warning(
                        self.design.spec.table.pos,
                        f"{action} on {self.where(index)} is granted on whole namespaces, so "
                        f"{', '.join(f'`{m}`' for m in users[key])} lose their tenant scope "
                        f"for it ({', '.join(sorted(covered))})",
                        "put the methods that cannot be tenant-scoped in a function of their own",
                    )
                )
            granted -= covered
        statements: list[Statement] = []
        for index in indexes:
            for kind, table in (("Tenant", tenant), ("Namespaces", spaces)):
                groups: dict[tuple[str, ...], list[str]] = {}
                for (where, action), found in sorted(
                    table.items(), key=lambda kv: (kv[0][1], str(kv[0][0]))
                ):
                    if where == index and found:
                        groups.setdefault(tuple(sorted(found)), []).append(action)
                label = pascal_case(index) if index else "Table"
                for position, (values, actions) in enumerate(sorted(groups.items()), start=1):
                    sid = f"{kind}{label}" + (str(position) if len(groups) > 1 else "")
                    statements.append(
                        Statement(
                            sid=sid,
                            actions=tuple(sorted(actions)),
                            index=index,
                            leading_keys=values,
                            tenant_scoped=kind == "Tenant",
                        )
                    )
        if not statements:
            self.warnings.append(
                warning(
                    self.design.spec.table.pos,
                    f"`{selection.name}` sends no request this design can serve: its policy "
                    "allows nothing",
                    "batch_write, increment and apply_once need entities they may write",
                )
            )
        return PolicyPlan(selection, tuple(statements), tuple(self.warnings))


def _covered(value: str, namespaces: set[str]) -> bool:
    """Whether a namespace value (`Ticket#*`) already matches every key the tenant value does."""
    return any(n.endswith("*") and value.startswith(n[:-1]) for n in namespaces)


def plan_policy(design: Design, selection: Selection, *, tenant_scope: bool = True) -> PolicyPlan:
    """The statements for `selection`; tenant-scoped when the spec has `tenant:` and
    `tenant_scope` is true (false: for a role that serves every tenant)."""
    tenant = design.spec.table.tenant
    planner = Planner(design, tenant=tenant.name if tenant and tenant_scope else None)
    return planner.plan(selection)


def selections(
    design: Design,
    *,
    patterns: Sequence[str] = (),
    writes: Sequence[str] = (),
    functions: Sequence[str] = (),
) -> tuple[Selection, ...]:
    """The policies to emit: the named function groups, or one for --patterns/--writes, or
    every group of `functions:` (one for everything when there are none). ValueError names an
    unknown pattern, write method or function."""
    spec = design.spec
    groups = {g.name: g for g in spec.functions}
    known_patterns = [p.name for p in spec.patterns]
    known_writes = list(method_names(spec))
    for names, known, what in (
        (patterns, known_patterns, "access pattern"),
        (writes, known_writes, "write method"),
        (functions, list(groups), "function"),
    ):
        for name in names:
            if name not in known:
                raise ValueError(_unknown(what, name, known))
    if functions and (patterns or writes):
        raise ValueError("give either --function or --patterns/--writes, not both")

    def of(group_name: str) -> Selection:
        group = groups[group_name]
        return Selection(
            name=group.name,
            patterns=tuple(r.name for r in group.patterns),
            writes=tuple(r.name for r in group.writes),
            description=group.description,
        )

    if functions:
        return tuple(of(name) for name in dict.fromkeys(functions))
    if patterns or writes:
        return (Selection(SELECTION, tuple(dict.fromkeys(patterns)), tuple(dict.fromkeys(writes))),)
    if groups:
        return tuple(of(name) for name in groups)
    return (Selection(EVERYTHING, tuple(known_patterns), tuple(known_writes)),)


def copies_selection(design: Design) -> Selection | None:
    """What the copies handler sends: a Query of each holder lookup pattern and an UpdateItem
    of each holder item; None when the spec declares no copies."""
    lookups = tuple(lookup.name for lookup in copy_lookups(design.spec))
    if not lookups:
        return None
    return Selection(
        COPIES,
        lookups,
        (COPY_UPDATES,),
        description="the copies handler: finds the holders of a changed source, updates them",
    )


def union(selections: Sequence[Selection]) -> Selection:
    """One selection allowing what all of them allow (one JSON policy for several groups)."""
    if len(selections) == 1:
        return selections[0]
    patterns = tuple(dict.fromkeys(p for s in selections for p in s.patterns))
    writes = tuple(dict.fromkeys(w for s in selections for w in s.writes))
    return Selection("_".join(s.name for s in selections), patterns, writes)


def _unknown(what: str, name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean `{close[0]}`?" if close else f"known: {', '.join(known) or 'none'}"
    return f"unknown {what} `{name}` ({hint})"
