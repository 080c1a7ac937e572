"""Atomic counters, and "apply once" writes for consumers of at-least-once deliveries.

A counter is a number attribute of an entity that only increments write (for example a
per-site count of open alerts maintained from the table's stream):

- `increment` adds to counters of one item in one UpdateItem
  (`SET #n = if_not_exists(#n, :start) + :amount`, so the count starts from the attribute's
  default and concurrent increments never lose one). A missing item is created with its id,
  `_type` and every other attribute's default, so it reads back as the entity's model.
- `apply_once` writes the increments together with a marker item keyed by a token (a stream
  record's eventID) under `attribute_not_exists`, in one TransactWriteItems: a second delivery
  of the same token finds the marker and changes nothing. Markers expire through the table's
  TTL attribute, after the stream's 24-hour retention, so they cannot pile up.

Both refuse entities whose other writes would clobber a counter (versioned entities, unique
values, aggregate roots and members: their saves replace whole items) and attributes that
feed a key (an increment cannot rewrite the key).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from dynamodel.runtime import keys
from dynamodel.runtime import marshal as m
from dynamodel.runtime.errors import DynamodelError, InvalidValueError, RetriesExhaustedError
from dynamodel.runtime.expiry import DEFAULT_MARKER_LIFETIME as DEFAULT_MARKER_LIFETIME
from dynamodel.runtime.marshal import storage_error
from dynamodel.runtime.names import MARKER_TAG as MARKER_TAG
from dynamodel.runtime.names import MARKER_TYPE as MARKER_TYPE
from dynamodel.runtime.retry import may_have_applied
from dynamodel.runtime.schema import TYPE_ATTRIBUTE, EntitySchema, Item
from dynamodel.runtime.table import Table
from dynamodel.runtime.transact import MAX_ACTIONS, Action
from dynamodel.runtime.transport.wire import encode_body
from dynamodel.runtime.validation import invalid, validated
from dynamodel.runtime.writes import conditioned, run, unexpected

M = TypeVar("M", bound=BaseModel)
Amount = int | Decimal | float


@dataclass(frozen=True)
class Increment:
    """Add `add` (attribute -> amount, negative to subtract) to the counters of the `entity`
    item whose id is `id` (id attribute -> value)."""

    entity: type[BaseModel]
    id: Mapping[str, Any]
    add: Mapping[str, Amount]


class _AlreadyApplied(DynamodelError):
    """The marker of an apply-once token exists: an earlier delivery applied it."""


def marker_key(consumer: str, token: str) -> Item:
    """The key of the marker of `token` for `consumer`."""
    partition = keys.join(
        MARKER_TAG,
        keys.encode_str(consumer, attribute="consumer"),
        keys.encode_str(token, attribute="token"),
    )
    return {
        "PK": {
            "S": keys.check_key_size(partition, limit=keys.MAX_PARTITION_KEY_BYTES, attribute="PK")
        },
        "SK": {"S": MARKER_TAG},
    }


def _numeric_type(annotation: Any) -> type | None:
    """int, Decimal or float for a (possibly optional) number field, else None."""
    if annotation in (int, Decimal, float):
        return typing.cast(type, annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and args[0] in (int, Decimal, float):
            return typing.cast(type, args[0])
    return None


def _number(kind: type, value: object, *, entity: str, attribute: str) -> dict[str, Any]:
    def refused(reason: str) -> InvalidValueError:
        return invalid(entity, attribute, value, reason)

    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise refused("the amount must be a number")
    if kind is int and not isinstance(value, int):
        raise refused("the attribute is an int: its amount must be an int")
    if kind is Decimal and isinstance(value, float):
        raise refused("the attribute is a decimal: give a Decimal or int, not a float")
    reason = storage_error(value)
    if reason is not None:
        raise refused(reason)
    if kind is int:
        return m.put_int(typing.cast(int, value))
    if kind is Decimal:
        return m.put_decimal(Decimal(value))
    return m.put_float(float(value))


def check_counter_entity(schema: EntitySchema[Any], *, member: bool = False) -> None:
    """Raise ValueError unless only increments write this entity's items (see module doc).

    Whether the entity is an aggregate member is not in its schema (its root names it): the
    repository, which knows every schema, says so with `member`."""
    reason = (
        "is versioned"
        if schema.versioned
        else "has unique values"
        if schema.unique
        else "is an aggregate root"
        if schema.members
        else "is an aggregate member"
        if member
        else None
    )
    if reason is not None:
        raise ValueError(
            f"{schema.name} {reason}: its writes replace whole items and would overwrite a "
            "counter. Keep counters in an entity of their own (id and number attributes)"
        )
    fields = schema.model.model_fields
    for name, info in fields.items():
        if name not in schema.id_attributes and info.is_required():
            raise ValueError(
                f"{schema.name}.{name} has no default: an item that an increment creates would "
                "not read back. Give every attribute but the id a default"
            )


def increment_action(
    schema: EntitySchema[Any], id_values: Mapping[str, Any], amounts: Mapping[str, Amount]
) -> Action:
    """The UpdateItem action that adds `amounts` to the item of `schema` with this id."""
    check_counter_entity(schema)
    fields = schema.model.model_fields
    feeding = {name for sources in schema.key_sources.values() for name in sources}
    for name in amounts:
        info = fields.get(name)
        if info is None or name in schema.id_attributes:
            raise ValueError(f"{schema.name} has no counter attribute {name!r}")
        if name in feeding:
            raise ValueError(
                f"{schema.name}.{name} feeds an index key, which an increment cannot rewrite"
            )
        if _numeric_type(info.annotation) is None:
            raise ValueError(f"{schema.name}.{name} is not a number: it cannot be incremented")
    missing = [n for n in schema.id_attributes if n not in id_values]
    extra = [n for n in id_values if n not in schema.id_attributes]
    if missing or extra:
        raise ValueError(
            f"{schema.name} is identified by {', '.join(schema.id_attributes)}; "
            f"got {', '.join(map(str, id_values)) or 'nothing'}"
        )
    # The item as it is when nothing was ever added: validated, so id values are typed.
    fresh = validated(schema.name, schema.model, id_values)
    key = schema.key(**{n: getattr(fresh, n) for n in schema.id_attributes})
    names: dict[str, str] = {}
    values: Item = {}
    parts: list[str] = []
    for position, (name, amount) in enumerate(sorted(amounts.items())):
        kind = _numeric_type(fields[name].annotation)
        assert kind is not None  # checked above
        start = fields[name].get_default(call_default_factory=True)
        names[f"#n{position}"] = name
        values[f":a{position}"] = _number(kind, amount, entity=schema.name, attribute=name)
        values[f":s{position}"] = _number(
            kind, 0 if start is None else start, entity=schema.name, attribute=name
        )
        parts.append(f"#n{position} = if_not_exists(#n{position}, :s{position}) + :a{position}")
    # Everything else an item of the entity holds (`_type`, the id, defaults, index keys built
    # from those), written only where missing: the first increment creates a whole item.
    for position, (name, value) in enumerate(sorted(schema.to_item(fresh).items())):
        if name in key or name in amounts:
            continue
        names[f"#f{position}"] = name
        values[f":f{position}"] = value
        parts.append(f"#f{position} = if_not_exists(#f{position}, :f{position})")
    request = {
        "Key": key,
        "UpdateExpression": "SET " + ", ".join(parts),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    return Action(
        kind="Update", request=request, on_condition_failed=unexpected, entity=schema.name
    )


def increment(
    table: Table,
    schema: EntitySchema[M],
    id_values: Mapping[str, Any],
    amounts: Mapping[str, Amount],
) -> M:
    """Add `amounts` to counters of one item (creating it if missing); return the item after.

    Not idempotent: an attempt whose response was lost may have been applied, so it is never
    resent (that could add twice); RetriesExhaustedError(may_have_applied=True) says so. Use
    `apply_once` where the same change can be delivered more than once.
    """
    if not amounts:
        raise ValueError(f"nothing to add: name the {schema.name} attributes and amounts")
    action = increment_action(schema, id_values, amounts)
    request = {"TableName": table.name, **action.request, "ReturnValues": "ALL_NEW"}

    def no_resend(attempt: int, error: BaseException, delay: float) -> None:
        if may_have_applied(error):
            raise RetriesExhaustedError(
                f"UpdateItem (an increment of {schema.name}) may have been applied before its "
                "response was lost; it is not resent, since that could add twice",
                operation="UpdateItem",
                attempts=attempt,
                cause=type(error).__name__,
                may_have_applied=True,
            ) from error

    response = table.send(
        table.client.update_item, request, encode_body(request), on_retry=no_resend
    )
    return schema.from_item(response["Attributes"])


def _sum(a: Amount, b: Amount) -> Amount:
    # A float anywhere makes a float (which a Decimal counter then refuses, as it would alone).
    if isinstance(a, float) or isinstance(b, float):
        return float(a) + float(b)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(a) + Decimal(b)
    return a + b


def _merged(
    increments: Sequence[tuple[EntitySchema[Any], Mapping[str, Any], Mapping[str, Amount]]],
) -> list[Action]:
    """One action per item: DynamoDB refuses two actions on one item in a transaction, so
    increments of the same item are summed (and dropped where they sum to zero)."""
    by_item: dict[str, tuple[EntitySchema[Any], Mapping[str, Any], dict[str, Amount]]] = {}
    for schema, id_values, amounts in increments:
        action = increment_action(schema, id_values, amounts)  # validates, and gives the key
        key = action.request["Key"]
        identity = key["PK"]["S"] + "\n" + key["SK"]["S"]
        _, _, total = by_item.setdefault(identity, (schema, id_values, {}))
        for name, amount in amounts.items():
            total[name] = _sum(total.get(name, 0), amount)
    actions = []
    for schema, id_values, total in by_item.values():
        nonzero = {name: amount for name, amount in total.items() if amount != 0}
        if nonzero:
            actions.append(increment_action(schema, id_values, nonzero))
    return actions


def apply_once(
    table: Table,
    token: str,
    *,
    consumer: str,
    increments: Sequence[tuple[EntitySchema[Any], Mapping[str, Any], Mapping[str, Amount]]],
    ttl_attribute: str | None,
    expires_in: timedelta | None = DEFAULT_MARKER_LIFETIME,
    now: datetime | None = None,
) -> bool:
    """Apply `increments` unless `consumer` already applied `token`; True when this call did.

    One TransactWriteItems: a Put of the marker (`attribute_not_exists`) and one Update per
    item. False means the marker exists — an earlier delivery applied the increments, or this
    call's own earlier attempt whose response was lost (the retry carries the same
    ClientRequestToken, and the marker catches it where tokens are not kept) — and nothing was
    changed. The marker expires `expires_in` from now through the table's TTL attribute;
    `expires_in=None` keeps markers for good (the only choice on a table without TTL).
    """
    if not consumer or not token:
        raise ValueError("apply_once needs a non-empty consumer name and token")
    marker: Item = {**marker_key(consumer, token), TYPE_ATTRIBUTE: {"S": MARKER_TYPE}}
    if expires_in is not None:
        if ttl_attribute is None:
            raise ValueError(
                "this table has no TTL attribute, so apply-once markers would never expire: "
                "mark an attribute `ttl: true` in the spec, or pass expires_in=None to keep them"
            )
        expiry = (now or datetime.now(UTC)) + expires_in
        marker[ttl_attribute] = m.put_ttl(expiry)
    actions = _merged(increments)
    if len(actions) + 1 > MAX_ACTIONS:
        raise ValueError(
            f"apply_once changes {len(actions)} items; one transaction holds "
            f"{MAX_ACTIONS - 1} besides the marker"
        )

    def applied_before(reason: Mapping[str, Any]) -> DynamodelError:
        return _AlreadyApplied(f"{consumer} already applied {token!r}")

    put = Action(
        kind="Put",
        request=conditioned({"Item": marker}, "attribute_not_exists(#pk)"),
        on_condition_failed=applied_before,
        entity=MARKER_TYPE,
    )
    try:
        run(table, [put, *actions])
    except _AlreadyApplied:
        return False
    return True
