"""`construct`: a pydantic model instance from already-typed values, without validation (the
generated decoders' last step on every item read; `marshal.construct` is the same function).

pydantic is not imported here: the compiler imports `marshal`, which re-exports this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # only a bound: importing pydantic here would slow the compiler's start
    from pydantic import BaseModel

_M = TypeVar("_M", bound="BaseModel")

_new_object = object.__new__
_INSTANCE_SLOTS = (
    "__dict__",
    "__pydantic_fields_set__",
    "__pydantic_extra__",
    "__pydantic_private__",
)
_Setter = Callable[[object, object], None]
# The `__set__` of BaseModel's instance slots, found on the first read (pydantic is not
# imported here: the compiler imports this module): calling them directly is what
# `object.__setattr__` ends up doing, for a quarter less per attribute.
_setters: tuple[_Setter, _Setter, _Setter, _Setter] | None = None


def _slot_setters(model: type[Any]) -> tuple[_Setter, _Setter, _Setter, _Setter]:
    global _setters
    base = next(k for k in reversed(model.__mro__) if "__pydantic_extra__" in vars(k))
    set_dict, set_fields, set_extra, set_private = (
        vars(base)[name].__set__ for name in _INSTANCE_SLOTS
    )
    found = _setters = (set_dict, set_fields, set_extra, set_private)
    return found


def construct(model: type[_M], data: dict[str, Any]) -> _M:
    """A model instance from already-typed values, without validation.

    `data` must hold every field (generated decoders fill defaults). This is what pydantic's
    `model_construct` does, minus its per-call default handling: the same documented instance
    attributes, set directly, for a third of the cost on the hot path of every read.
    """
    set_dict, set_fields, set_extra, set_private = _setters or _slot_setters(model)
    obj = _new_object(model)
    set_dict(obj, data)
    set_fields(obj, set(data))
    set_extra(obj, None)
    set_private(obj, None)
    return obj
