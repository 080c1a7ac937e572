"""Request bodies serialized by the runtime, in one C-speed `json.dumps`, and handed to botocore
through its public event hooks.

botocore's JSON serializer walks every parameter against the service model (a recursive
Python call per attribute value) and then calls `json.dumps` on the copy it built. For
DynamoDB's item operations that walk only copies dicts and lists and base64-encodes binary
values, so `json.dumps(params, default=<base64 for bytes>)` gives the very same bytes: the
same key order, the same separators, the same escaping. On a 10-item TransactWriteItems the
walk is about a fifth of the client-side cost, and botocore's endpoint resolution evaluates a
JMESPath expression over every action (another tenth).

How the body reaches botocore (only on clients set up by `install`, i.e. the runtime's
default client; any other client sends the same parameters the normal way):

1. `send` puts the body in a context variable and calls the client method with the full
   parameters;
2. a `before-parameter-build` handler takes the body and replaces the parameters with the few
   that endpoint resolution reads (the table name, or the first action's table name of a
   transaction: DynamoDB's endpoint rules only read `ResourceArnList[0]`) and the scalar ones,
   so botocore's serializer and JMESPath have almost nothing to walk;
3. a `before-call` handler puts the body into the serialized request, before botocore builds,
   signs and sends the HTTP request from it (the payload hash, Content-Length and signature are
   computed from the runtime's body).

A request takes this path only while the client has no `provide-client-params`,
`before-parameter-build` or `before-call` handler but botocore's own (`hooks`): someone else's
handler may change the parameters or read the serialized request, so then botocore serializes
the full parameters, after every handler. On a client whose botocore validates parameters
(a user's client given to `tune_client`), the stand-in parameters carry the required members,
empty, so that the validator accepts them.

Retries, errors and response parsing are botocore's own, unchanged. `tests/test_wire.py`
compares the bytes with botocore's serializer for the same parameters and the HTTP requests
both clients send.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from json import JSONEncoder
from typing import Any, TypeVar

from dynamodel.runtime.transport import hooks

R = TypeVar("R")

# The client methods whose body the runtime serializes (py name -> operation name): every one
# is in the JSON protocol, and its endpoint parameters are handled by `_endpoint_params`.
OPERATIONS: Mapping[str, str] = {
    "get_item": "GetItem",
    "put_item": "PutItem",
    "update_item": "UpdateItem",
    "delete_item": "DeleteItem",
    "query": "Query",
    "scan": "Scan",
    "batch_get_item": "BatchGetItem",
    "batch_write_item": "BatchWriteItem",
    "transact_get_items": "TransactGetItems",
    "transact_write_items": "TransactWriteItems",
}
_BODY_CONTEXT_KEY = "dynamodel_body"
_HANDLER_ID = "dynamodel-wire"


def _json_default(value: object) -> Any:
    # Exactly what botocore's serializer does with these: blobs become base64 text, and sets
    # (which it iterates like lists) become lists in the same iteration order.
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not a DynamoDB request value")


# json.dumps' own defaults (separators ", " and ": ", ASCII escapes), which botocore uses; one
# encoder built once instead of one per call. Without the cycle check (the same bytes): the
# requests are trees the runtime built from models (pydantic refuses cyclic values, and
# `marshal.put_map` nesting past 64 levels), and the check's bookkeeping of every dict and
# list is a fifth of the encoding. A cycle would still end in RecursionError, not a hang.
_encode = JSONEncoder(default=_json_default, check_circular=False).encode


def encode_body(params: Mapping[str, Any]) -> bytes | None:
    """The JSON body botocore would send for these parameters, or None for a value it alone
    knows how to serialize (the caller then lets botocore do it)."""
    try:
        return _encode(params).encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        return None


class _Pending:
    __slots__ = ("body", "operation")

    def __init__(self, operation: str, body: bytes) -> None:
        self.operation = operation
        self.body = body


_PENDING: ContextVar[_Pending | None] = ContextVar("dynamodel_pending_body", default=None)
# True while the runtime's own call runs in this context (see `runtime_call`).
_CALLING: ContextVar[bool] = ContextVar("dynamodel_runtime_call", default=False)


def send(operation: Callable[..., R], params: dict[str, Any], body: bytes | None) -> R:
    """Call the client method `operation` with `params`, letting botocore send `body` (their
    serialization) when the client has the handlers of `install` and no one else handles the
    events that would be bypassed (`hooks`): then botocore serializes `params` itself."""
    name = OPERATIONS.get(getattr(operation, "__name__", ""))
    calling = _CALLING.set(True)
    try:
        if body is None or name is None:
            return operation(**params)
        watch = hooks.watched(getattr(operation, "__self__", None))
        if watch is None or watch.bypassed(name)[0]:
            return operation(**params)
        token = _PENDING.set(_Pending(name, body))
        try:
            return operation(**params)
        finally:
            _PENDING.reset(token)
    finally:
        _CALLING.reset(calling)


def runtime_call() -> bool:
    """Whether the call running in this context was sent by the runtime (through `send`)."""
    return _CALLING.get()


def install(client: Any) -> None:
    """Let this client send the bodies the runtime serialized (see the module docstring)."""
    events = client.meta.events
    handlers = _Handlers(validates=_validates(client))
    hooks.watch(client)
    events.register("before-parameter-build.dynamodb", handlers.take_body, unique_id=_HANDLER_ID)
    events.register("before-call.dynamodb", handlers.put_body, unique_id=_HANDLER_ID + "-call")


def _validates(client: Any) -> bool:
    """Whether botocore validates this client's parameters. Its serializer tells: botocore
    wraps it in a `ParamValidationDecorator` exactly when validation is on. The client's
    `meta.config.parameter_validation` does not: botocore leaves that setting out of the
    config it gives the client, which then reads True whatever was asked."""
    from botocore.validate import ParamValidationDecorator

    serializer = getattr(client, "_serializer", None)
    if serializer is not None:
        return isinstance(serializer, ParamValidationDecorator)
    return bool(getattr(client.meta.config, "parameter_validation", True))  # not botocore's


class _Handlers:
    """One client's handlers: whether its botocore validates the parameters decides whether
    the stand-in parameters need the required members too."""

    __slots__ = ("validates",)

    def __init__(self, *, validates: bool) -> None:
        self.validates = validates

    def take_body(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        pending = _PENDING.get()
        if pending is None or pending.operation != model.name:
            return
        # Consumed once: a nested call in this context (another client, a hook) is not affected.
        _PENDING.set(None)
        context[_BODY_CONTEXT_KEY] = pending.body
        minimal = _endpoint_params(params)
        if self.validates:
            # botocore's validator checks what it serializes: give it the required members,
            # empty (the body sent is the runtime's, built from the full parameters).
            minimal = _completed(model.input_shape, minimal)
        params.clear()
        params.update(minimal)

    def put_body(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        body = context.pop(_BODY_CONTEXT_KEY, None)
        if body is not None:
            params["body"] = body


def _completed(shape: Any, value: Any) -> Any:
    """`value` with every required member its shape lacks filled with an empty value of the
    least length the shape allows, so that botocore's validator accepts it."""
    kind = getattr(shape, "type_name", None)
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        done = {name: _completed(members[name], item) for name, item in value.items()}
        for name in shape.required_members:
            if name not in done:
                done[name] = _empty(members[name])
        return done
    if kind == "list" and isinstance(value, list):
        items = [_completed(shape.member, item) for item in value]
        items += [_empty(shape.member) for _ in range(len(items), shape.metadata.get("min", 0))]
        return items
    if kind == "map" and isinstance(value, dict):
        return {key: _completed(shape.value, item) for key, item in value.items()}
    return value


def _empty(shape: Any) -> Any:
    kind = shape.type_name
    least = shape.metadata.get("min", 0)
    if kind == "structure":
        return _completed(shape, {})
    if kind == "list":
        return _completed(shape, [])
    if kind == "map":
        return {}
    if kind == "string":
        return "x" * int(least)
    if kind == "blob":
        return b"x" * int(least)
    if kind == "boolean":
        return False
    if kind in ("integer", "long", "float", "double"):
        return least
    return None


def _endpoint_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters botocore still needs once the body is serialized: those endpoint
    resolution reads (`TableName`; the table names of `TransactItems` and `RequestItems`, in
    order, one entry each) and the scalars (cheap to serialize; e.g. the idempotency token)."""
    minimal: dict[str, Any] = {
        name: value for name, value in params.items() if isinstance(value, str | int)
    }
    actions = params.get("TransactItems")
    if actions:
        seen: dict[str, dict[str, Any]] = {}
        for action in actions:
            for kind, body in action.items():
                table = body.get("TableName") if isinstance(body, Mapping) else None
                if isinstance(table, str) and table not in seen:
                    seen[table] = {kind: {"TableName": table}}
        minimal["TransactItems"] = list(seen.values())
    requests = params.get("RequestItems")
    if requests:
        minimal["RequestItems"] = {table: type(value)() for table, value in requests.items()}
    return minimal
