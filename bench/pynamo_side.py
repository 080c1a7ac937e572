"""The PynamoDB side: models equivalent to tracker's items (hash key PK, range key SK, every
attribute and index key of the item), written and read the way PynamoDB's users do.

Each PynamoDB model class has its own connection and botocore client (and `TransactWrite`
takes a connection of its own): the canned responses are installed on all of them. PynamoDB
asks for `ReturnConsumedCapacity=TOTAL` on every data call, so DynamoDB's answers to it carry
a `ConsumedCapacity`: its canned responses are the ones recorded for its own requests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import Connection
from pynamodb.constants import STRING
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

import fixtures as fx
from canned import REGION, TABLE
from sides import Side, _expect


class IsoDateTimeAttribute(Attribute[datetime]):
    """Datetimes stored as dynamodel stores them ("...T03:04:05.678901Z"): PynamoDB's own
    UTCDateTimeAttribute writes "+0000" and cannot read a "Z"."""

    attr_type = STRING

    def serialize(self, value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def deserialize(self, value: str) -> datetime:
        return datetime.fromisoformat(value)


class WorkspaceModel(Model):
    class Meta:
        table_name = TABLE
        region = REGION

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    type_ = UnicodeAttribute(attr_name="_type")
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    plan = UnicodeAttribute()
    created_at = IsoDateTimeAttribute()


class MembershipModel(Model):
    class Meta:
        table_name = TABLE
        region = REGION

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    type_ = UnicodeAttribute(attr_name="_type")
    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    joined_at = IsoDateTimeAttribute()
    GSI1PK = UnicodeAttribute()
    GSI1SK = UnicodeAttribute()


class TicketModel(Model):
    class Meta:
        table_name = TABLE
        region = REGION

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    type_ = UnicodeAttribute(attr_name="_type")
    workspace_id = UnicodeAttribute()
    ticket_no = NumberAttribute()
    title = UnicodeAttribute()
    status = UnicodeAttribute()
    assignee_id = UnicodeAttribute(null=True)
    priority = NumberAttribute()
    updated_at = IsoDateTimeAttribute()
    labels = UnicodeSetAttribute(null=True)
    version = NumberAttribute()
    GSI1PK = UnicodeAttribute()
    GSI1SK = UnicodeAttribute()
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI3SK = UnicodeAttribute(null=True)


class ChecklistItemModel(Model):
    class Meta:
        table_name = TABLE
        region = REGION

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    type_ = UnicodeAttribute(attr_name="_type")
    workspace_id = UnicodeAttribute()
    ticket_no = NumberAttribute()
    position = NumberAttribute()
    text = UnicodeAttribute()
    done = BooleanAttribute()


def _keys(item: fx.Item) -> dict[str, Any]:
    """The key attributes and type tag of a dynamodel item, as model keyword arguments."""
    found = {name: value["S"] for name, value in item.items() if name[:2] in ("PK", "SK", "GS")}
    return {**found, "type_": item["_type"]["S"]}


def pynamodb_side() -> Side:
    models: list[type[Model]] = [WorkspaceModel, MembershipModel, TicketModel, ChecklistItemModel]
    connection = Connection(region=REGION)  # for TransactWrite
    clients = [model._get_connection().connection.client for model in models]
    membership = {**_keys(fx.membership_item()), **fx.NEW_MEMBERSHIP}
    root, *members = fx.ticket_items()
    ticket = {**_keys(root), **fx.TICKET, "version": 1}
    checklist = [
        {**_keys(item), **fields} for item, fields in zip(members, fx.CHECKLIST, strict=True)
    ]
    partition = fx.members_partition()
    key = fx.workspace_key()
    workspace_pk, workspace_sk = key["PK"]["S"], key["SK"]["S"]

    def create() -> object:
        return MembershipModel(**membership).save(condition=MembershipModel.PK.does_not_exist())

    def query() -> object:
        return list(
            MembershipModel.query(
                partition, MembershipModel.SK.startswith("Membership#"), limit=fx.PAGE
            )
        )

    def transact() -> object:
        with TransactWrite(connection=connection) as transaction:
            transaction.save(TicketModel(**ticket), condition=TicketModel.PK.does_not_exist())
            for fields in checklist:
                transaction.save(
                    ChecklistItemModel(**fields), condition=ChecklistItemModel.PK.does_not_exist()
                )
        return transaction

    def check(op: str, result: Any) -> None:
        if op == "get":
            _expect(result.name == fx.WORKSPACE["name"], "pynamodb", op, result)
        if op == "query":
            _expect(len(result) == fx.PAGE, "pynamodb", op, result)

    return Side(
        "pynamodb",
        [*clients, connection.client],
        {
            "create": create,
            "get": lambda: WorkspaceModel.get(workspace_pk, workspace_sk),
            "query": query,
            "transact": transact,
        },
        check,
    )
