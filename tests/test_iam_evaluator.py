"""The small IAM evaluator the policy tests rely on (tests/iam_evaluator.py) follows IAM:
actions case-insensitively, resources with wildcards, `ForAllValues` over every key, the
`Null` check, an unresolvable policy variable voiding the statement, tags as literal text,
Deny over Allow, and a refusal of conditions it does not model."""

from __future__ import annotations

import pytest

from tests.iam_evaluator import Request, allowed


def test_the_evaluator_follows_iam() -> None:
    statement = {
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem"],
        "Resource": "arn:aws:dynamodb:*:*:table/T",
        "Condition": {
            "Null": {"dynamodb:LeadingKeys": "false"},
            "ForAllValues:StringLike": {
                "dynamodb:LeadingKeys": ["A#${aws:PrincipalTag/t}", "A#${aws:PrincipalTag/t}#*"]
            },
        },
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}

    def request(
        keys: tuple[str, ...], action: str = "dynamodb:GetItem", table: str = "T"
    ) -> Request:
        return Request(action, f"arn:aws:dynamodb:us-east-1:1:table/{table}", keys)

    tags = {"t": "t1"}
    assert allowed(policy, request(("A#t1",)), tags=tags)
    assert allowed(policy, request(("A#t1#x#y",)), tags=tags)
    assert allowed(policy, request(("A#t1",), action="DynamoDB:getitem"), tags=tags)
    assert not allowed(policy, request(("A#t10",)), tags=tags)
    assert not allowed(policy, request(("A#t1", "A#t2")), tags=tags)  # ForAllValues
    assert not allowed(policy, request(()), tags=tags)  # the Null check
    assert not allowed(policy, request(("A#t1",)), tags={})  # no tag: the statement is void
    assert not allowed(policy, request(("A#t1",), action="dynamodb:PutItem"), tags=tags)
    assert not allowed(policy, request(("A#t1",), table="T2"), tags=tags)
    assert not allowed(policy, request(("A#xyz",)), tags={"t": "*"})  # a tag is literal text
    wide = {**statement, "Resource": "arn:aws:dynamodb:*:*:table/T*"}
    index = Request("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/T/index/I", ("A#t1",))
    assert allowed({"Statement": [wide]}, index, tags=tags)  # `*` crosses `/` in ARNs
    deny = {**statement, "Effect": "Deny"}
    assert not allowed({"Statement": [statement, deny]}, request(("A#t1",)), tags=tags)
    without_null = {
        **statement,
        "Condition": {"ForAllValues:StringLike": statement["Condition"]["ForAllValues:StringLike"]},
    }
    assert allowed({"Statement": [without_null]}, request(()), tags=tags)  # why Null is there
    with pytest.raises(NotImplementedError):
        allowed(
            {"Statement": [{**statement, "Condition": {"StringEquals": {"aws:SourceIp": "x"}}}]},
            request(("A#t1",)),
            tags=tags,
        )
