"""The write boundary: nothing invalid is ever sent to the table.

Generated models validate on construction and on assignment, but an object can still hold a
value of the wrong type: built with `model_construct`, changed through `obj.__dict__`, or
holding a number DynamoDB cannot store. Every write path encodes its items with
`EntitySchema.to_item`, so that is where the check sits (`checked_encoder` wraps it): the
object is validated against its model in pydantic's strict mode (no coercion: the value held
is the value that would be written), then encoded. Either failure becomes an
`InvalidValueError` naming the entity, the attribute and the value, before any request.

Reads are not affected: they build models with `marshal.construct`, without validation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from dynamodel.runtime.errors import DynamodelError, InvalidValueError
from dynamodel.runtime.marshal import storage_error

M = TypeVar("M", bound=BaseModel)
Item = dict[str, dict[str, Any]]
_SHOWN = 60  # characters of a bad value shown in a message


def shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def invalid(entity: str, attribute: str, value: object, reason: str) -> InvalidValueError:
    return InvalidValueError(
        f"{entity}.{attribute} = {shown(value)}: {reason}; nothing was sent",
        entity=entity,
        attribute=attribute,
        value=value,
    )


def _from_validation(entity: str, error: ValidationError) -> InvalidValueError:
    first = error.errors(include_url=False)[0]
    location = first["loc"]
    attribute = str(location[0]) if location else ""
    path = "".join(f"[{part!r}]" for part in location[1:])
    return invalid(entity, attribute + path, first.get("input"), first["msg"])


def check_model(entity: str, model: type[BaseModel], obj: object) -> None:
    """Raise InvalidValueError unless `obj` is a `model` whose every field holds a value of its
    declared type (strict: an int is not a str, a naive datetime is not an AwareDatetime, a
    string outside an enum is refused). Member lists are only checked to hold member models;
    each member is checked when its own item is encoded."""
    if not isinstance(obj, model):
        raise InvalidValueError(
            f"expected a {entity}, got {type(obj).__name__}; nothing was sent", entity=entity
        )
    try:
        model.__pydantic_validator__.validate_python(obj.__dict__, strict=True)
    except ValidationError as error:
        raise _from_validation(entity, error) from None


def validated(entity: str, model: type[M], data: Mapping[str, Any]) -> M:
    """`model` built from `data` in pydantic's strict mode, or InvalidValueError naming the
    attribute and value (for writes that build their item from loose values, like counters)."""
    try:
        return model.__pydantic_validator__.validate_python(dict(data), strict=True)  # type: ignore[no-any-return]
    except ValidationError as error:
        raise _from_validation(entity, error) from None


def checked_encoder(
    entity: str, model: type[M], encode: Callable[[M], Item], *, members: Collection[str]
) -> Callable[[M], Item]:
    """`encode` (a generated `<entity>_to_item`), checking the object first (`check_model`)
    and turning what the encoders still refuse (a number outside DynamoDB's range, NaN) into
    InvalidValueError. Key errors (InvalidKeyValueError) pass through as they are."""
    if getattr(encode, "checks_values", False):
        return encode  # already wrapped (a schema rebuilt with dataclasses.replace)

    @functools.wraps(encode)
    def to_item(obj: M) -> Item:
        check_model(entity, model, obj)
        try:
            return encode(obj)
        except DynamodelError:
            raise
        except (TypeError, ValueError, OverflowError) as error:
            raise _culprit(entity, obj, members, error) from None

    to_item.checks_values = True  # type: ignore[attr-defined]
    return to_item


def _culprit(
    entity: str, obj: object, members: Collection[str], error: Exception
) -> InvalidValueError:
    # Only on failure: find the attribute whose value DynamoDB cannot store.
    for name, value in vars(obj).items():
        if name in members or value is None:
            continue
        reason = storage_error(value)
        if reason is not None:
            return invalid(entity, name, value, reason)
    return InvalidValueError(f"{entity}: {error}; nothing was sent", entity=entity)


@functools.cache
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    annotation = model.model_fields[name].annotation
    # Generated fields are all annotated; None (no annotation) would accept anything.
    return TypeAdapter(Any if annotation is None else annotation)


def check_changes(entity: str, model: type[BaseModel], changes: Mapping[str, Any]) -> None:
    """Validate the values of a partial update against their fields, before anything is read:
    strictly, like the objects of other writes (each value must be of the type its keyword is
    annotated with: no str parsed as a datetime, no bytes as a str), else InvalidValueError."""
    for name, value in changes.items():
        try:
            _field_adapter(model, name).validate_python(value, strict=True)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            path = "".join(f"[{part!r}]" for part in first["loc"])
            raise invalid(entity, name + path, value, first["msg"]) from None
