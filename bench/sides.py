"""The four sides of the benchmark and their four operations.

Each side is built the way its users build it and sends one request per operation:

- raw: `boto3.client("dynamodb")` (default config) with AttributeValue dicts prebuilt once,
  returning the raw response dicts: the reference;
- fair: the same, on a client with botocore's parameter validation off
  (`Config(parameter_validation=False)`), as dynamodel's default client has it: the fair
  baseline for dynamodel's default client;
- resource: `boto3.resource("dynamodb").Table(name)` with plain Python values, prebuilt once
  (its TypeSerializer/TypeDeserializer run inside the timing, as for its users);
- pynamodb: PynamoDB models, built inside the timing (see `pynamo_side.py`);
- dynamodel: the generated tracker repository on its default client, models built inside the
  timing (pydantic validation included), as in `repo.create_membership(Membership(...))`;
- plain: the same repository on a plain `boto3.client("dynamodb")`, as a user's own client
  (Powertools', a custom Config) is passed: compared with `raw`, the same client's raw calls;
- tuned: the same repository on a plain client given to `tune_client` (the one call that
  brings a user's client the default client's speed where that is safe).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import fixtures as fx
from canned import TABLE

Operation = Callable[[], object]
SIDES = ("raw", "fair", "resource", "pynamodb", "dynamodel", "plain", "tuned")
LABELS = {
    "raw": "raw boto3",
    "fair": "raw, no validation",
    "resource": "boto3 resource",
    "pynamodb": "PynamoDB",
    "dynamodel": "dynamodel",
    "plain": "dynamodel, plain client",
    "tuned": "dynamodel, tuned client",
}
CONDITION = "attribute_not_exists(PK)"
QUERY_CONDITION = "PK = :pk AND begins_with(SK, :sk)"


@dataclass
class Side:
    """One library: the botocore clients its requests go through, its operations, and a check
    of each operation's result (run once, after the warm-up)."""

    name: str
    clients: list[Any]
    ops: dict[str, Operation]
    check: Callable[[str, object], None]


def pynamodb_available() -> bool:
    try:
        import pynamodb  # noqa: F401
    except ImportError:
        return False
    return True


def build(name: str) -> Side:
    builders: dict[str, Callable[[], Side]] = {
        "raw": raw_side,
        "fair": lambda: raw_side("fair", validation=False),
        "resource": resource_side,
        "dynamodel": dynamodel_side,
        "plain": lambda: dynamodel_side("plain"),
        "tuned": lambda: dynamodel_side("tuned"),
    }
    if name == "pynamodb":
        from pynamo_side import pynamodb_side

        return pynamodb_side()
    return builders[name]()


def _expect(condition: bool, side: str, op: str, result: object) -> None:
    if not condition:
        raise AssertionError(f"{side} {op}: unexpected result {result!r:.300}")


def raw_side(name: str = "raw", *, validation: bool = True) -> Side:
    import boto3
    from botocore.config import Config

    client = boto3.client("dynamodb", config=Config(parameter_validation=validation))
    membership = fx.membership_item()
    key = fx.workspace_key()
    values = {":pk": {"S": fx.members_partition()}, ":sk": {"S": "Membership#"}}
    transact = [
        {"Put": {"TableName": TABLE, "Item": item, "ConditionExpression": CONDITION}}
        for item in fx.ticket_items()
    ]

    def check(op: str, result: Any) -> None:
        if op == "get":
            _expect(result["Item"]["name"]["S"] == fx.WORKSPACE["name"], name, op, result)
        if op == "query":
            _expect(len(result["Items"]) == fx.PAGE, name, op, result)

    return Side(
        name,
        [client],
        {
            "create": lambda: client.put_item(
                TableName=TABLE, Item=membership, ConditionExpression=CONDITION
            ),
            "get": lambda: client.get_item(TableName=TABLE, Key=key),
            "query": lambda: client.query(
                TableName=TABLE,
                KeyConditionExpression=QUERY_CONDITION,
                ExpressionAttributeValues=values,
                Limit=fx.PAGE,
            ),
            "transact": lambda: client.transact_write_items(TransactItems=transact),
        },
        check,
    )


def resource_side() -> Side:
    import boto3

    table = boto3.resource("dynamodb").Table(TABLE)
    client = table.meta.client
    membership = fx.plain(fx.membership_item())
    key = fx.plain(fx.workspace_key())
    values = {":pk": fx.members_partition(), ":sk": "Membership#"}
    # The resource API deep-copies its parameters before serialising them: prebuilt inputs
    # stay plain values from call to call.
    transact = [
        {"Put": {"TableName": TABLE, "Item": fx.plain(item), "ConditionExpression": CONDITION}}
        for item in fx.ticket_items()
    ]

    def check(op: str, result: Any) -> None:
        if op == "get":
            _expect(result["Item"]["name"] == fx.WORKSPACE["name"], "resource", op, result)
        if op == "query":
            _expect(len(result["Items"]) == fx.PAGE, "resource", op, result)

    return Side(
        "resource",
        [client],
        {
            "create": lambda: table.put_item(Item=membership, ConditionExpression=CONDITION),
            "get": lambda: table.get_item(Key=key),
            "query": lambda: table.query(
                KeyConditionExpression=QUERY_CONDITION,
                ExpressionAttributeValues=values,
                Limit=fx.PAGE,
            ),
            "transact": lambda: client.transact_write_items(TransactItems=transact),
        },
        check,
    )


def dynamodel_side(name: str = "dynamodel") -> Side:
    import boto3
    from tracker import ChecklistItem, Membership, Ticket, TrackerRepository

    from dynamodel.runtime.transport.client import tune_client

    given = {
        "dynamodel": None,  # its default client
        "plain": lambda: boto3.client("dynamodb"),
        "tuned": lambda: tune_client(boto3.client("dynamodb")),
    }[name]
    client = given() if given is not None else None
    repo = TrackerRepository(client, table_name=TABLE, cursor_key="bench" * 7)
    client = repo._table.client  # only to install the canned responses on it

    def check(op: str, result: Any) -> None:
        if op == "get":
            _expect(result.name == fx.WORKSPACE["name"], name, op, result)
        if op == "query":
            ok = len(result.items) == fx.PAGE and result.cursor is not None
            _expect(ok, name, op, result)
        if op == "transact":
            _expect(len(result.checklist) == 9 and result.version == 1, name, op, result)

    return Side(
        name,
        [client],
        {
            "create": lambda: repo.create_membership(Membership(**fx.NEW_MEMBERSHIP)),
            "get": lambda: repo.get_workspace(workspace_id=fx.WORKSPACE_ID),
            "query": lambda: repo.members_of_workspace(workspace_id=fx.WORKSPACE_ID, limit=fx.PAGE),
            "transact": lambda: repo.create_ticket(
                Ticket(**fx.TICKET, checklist=[ChecklistItem(**c) for c in fx.CHECKLIST])
            ),
        },
        check,
    )


def seed(client: Any = None) -> None:
    """Create the table and write the workspace and its members (under moto)."""
    from tracker import Membership, TrackerRepository, Workspace

    repo = TrackerRepository(client, table_name=TABLE, cursor_key="bench" * 7)
    repo.create_table()
    repo.save_workspace(Workspace(**fx.WORKSPACE))
    repo.batch_write(put=[Membership(**fx.member(n)) for n in range(fx.MEMBERS)])
