"""A small, honest evaluator of IAM identity policies, for the DynamoDB requests tests record.

It follows IAM's documented evaluation for what dynamodel's policies use, and refuses what it
does not implement (so a test cannot pass on a condition it silently ignored):

- an explicit Deny wins; otherwise some Allow statement must match;
- actions match case-insensitively, with `*` and `?` wildcards; resources (ARNs) case-sensitively,
  with `*` matching any characters, `/` included (so `table/T*` would match `table/T/index/I`);
- every condition operator of a statement must hold, and every key under an operator;
- `${aws:PrincipalTag/<key>}` is replaced by the principal's tag; a missing tag makes the
  statement not apply (IAM cannot resolve the variable); the substituted value is literal text;
- `ForAllValues:` holds when every request value matches some policy value, and also when the
  request has no values (IAM's rule; dynamodel adds a `Null` check for that);
- `ForAnyValue:` holds when some request value matches some policy value;
- `Null`: "true" holds when the key is absent (or has no values), "false" when it is present.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True)
class Request:
    """One authorisation IAM makes: an action on a resource with the request's context keys."""

    action: str  # "dynamodb:PutItem"
    resource: str  # an ARN
    leading_keys: tuple[str, ...]  # dynamodb:LeadingKeys: the partition key values sent
    method: str = ""  # the repository method that sent it (for messages)


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _glob(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    return _glob_regex(pattern, ignore_case).fullmatch(text) is not None


@functools.cache
def _glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # Built once per pattern: the suites match every recorded request against every statement.
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


class _Unresolved(Exception):
    """A policy variable without a value: the statement does not apply."""


def _pattern(value: str, tags: Mapping[str, str], *, like: bool) -> str:
    """The policy value with its variables substituted; wildcards stay wildcards in StringLike,
    substituted text (and `${*}`-style escapes) is matched literally."""
    out = []
    position = 0
    for match in _VARIABLE.finditer(value):
        out.append(value[position : match.start()])
        name = match.group(1)
        if name in _SPECIAL:
            literal = _SPECIAL[name]
        elif name.startswith("aws:PrincipalTag/"):
            tag = name.removeprefix("aws:PrincipalTag/")
            if tag not in tags:
                raise _Unresolved(name)
            literal = tags[tag]
        else:
            raise NotImplementedError(f"policy variable {name}")
        # Marked so that the matcher treats it as literal text.
        out.append("\0" + literal + "\0" if like else literal)
        position = match.end()
    out.append(value[position:])
    return "".join(out)


def _like(pattern: str, text: str) -> bool:
    regex = []
    literal = False
    for c in pattern:
        if c == "\0":
            literal = not literal
        elif not literal and c == "*":
            regex.append(".*")
        elif not literal and c == "?":
            regex.append(".")
        else:
            regex.append(re.escape(c))
    return re.fullmatch("".join(regex), text, re.DOTALL) is not None


def _context(key: str, request: Request) -> tuple[str, ...]:
    if key.lower() == "dynamodb:leadingkeys":
        return request.leading_keys
    raise NotImplementedError(f"context key {key}")


def _string_match(operator: str, expected: str, value: str, tags: Mapping[str, str]) -> bool:
    if operator == "StringLike":
        return _like(_pattern(expected, tags, like=True), value)
    if operator == "StringEquals":
        return _pattern(expected, tags, like=False) == value
    raise NotImplementedError(f"condition operator {operator}")


def _condition(
    operator: str, key: str, expected: Sequence[str], request: Request, tags: Mapping[str, str]
) -> bool:
    values = _context(key, request)
    if operator == "Null":
        (flag,) = expected
        return (not values) == (str(flag).lower() == "true")
    qualifier, _, base = operator.rpartition(":")
    if qualifier == "ForAllValues":
        return all(any(_string_match(base, e, v, tags) for e in expected) for v in values)
    if qualifier == "ForAnyValue":
        return any(any(_string_match(base, e, v, tags) for e in expected) for v in values)
    raise NotImplementedError(f"condition operator {operator} (single-valued use of {key})")


def _matches(statement: Mapping[str, Any], request: Request, tags: Mapping[str, str]) -> bool:
    if "NotAction" in statement or "NotResource" in statement:
        raise NotImplementedError("NotAction / NotResource")
    actions = _listed(statement["Action"])
    if not any(_glob(a, request.action, ignore_case=True) for a in actions):
        return False
    if not any(_glob(r, request.resource) for r in _listed(statement["Resource"])):
        return False
    try:
        for operator, block in statement.get("Condition", {}).items():
            for key, expected in block.items():
                if not _condition(operator, key, _listed(expected), request, tags):
                    return False
    except _Unresolved:
        return False
    return True


def allowed(policy: Mapping[str, Any], request: Request, *, tags: Mapping[str, str]) -> bool:
    """Whether an identity with this policy and these principal tags may make the request."""
    statements = _listed(policy["Statement"])
    if any(s["Effect"] == "Deny" and _matches(s, request, tags) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and _matches(s, request, tags) for s in statements)
