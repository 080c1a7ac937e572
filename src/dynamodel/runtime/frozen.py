"""`frozen_dataclass`: `@dataclass(frozen=True, kw_only=True)` that compiles nothing at import.

The standard decorator writes the source of `__init__`, `__repr__`, `__eq__`, `__hash__`,
`__setattr__` and `__delattr__` for each class and compiles it with `exec`: about 0.5 ms a
class on Python 3.11, 1 ms for `EntitySchema`'s eighteen fields, paid at every cold start by
every class a generated package imports (issue 14, item 5). Here the class is still made by
`dataclasses.dataclass` (so `fields`, `replace`, `asdict` and `is_dataclass` work as before),
with none of those methods; shared ones stand in for them, each closed over its class's
fields, and behave alike: keyword-only `__init__` with defaults, default factories and
`__post_init__`; the same `repr`; equality and hash by the fields' values; assignment and
deletion refused with `dataclasses.FrozenInstanceError`.

A class that defines its own `__init__` keeps it (`transact.Action`, where it is on the path
of every item written).
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")
_MISSING: Any = dataclasses.MISSING


def _refuse_setattr(self: object, name: str, value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delattr(self: object, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


@dataclass_transform(
    kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,)
)
def frozen_dataclass(cls: type[T]) -> type[T]:
    """Make `cls` a frozen, keyword-only dataclass (see the module's docstring)."""
    # In place (no slots): fields, `__match_args__` (none: keyword-only) and the docstring.
    dataclasses.dataclass(init=False, repr=False, eq=False, kw_only=True)(cls)
    made: Any = cls  # the type checker refuses setting methods on a type[T]
    fields = dataclasses.fields(made)
    if not all(f.init for f in fields):
        raise TypeError(f"{cls.__qualname__}: frozen_dataclass takes no field(init=False)")
    compared = tuple(f.name for f in fields if f.compare)
    if "__init__" not in made.__dict__:
        made.__init__ = _keyword_init(made, fields)
    made.__repr__ = _repr(tuple(f.name for f in fields if f.repr))
    made.__eq__ = _eq(compared)
    made.__hash__ = _hash(compared)
    made.__setattr__ = _refuse_setattr
    made.__delattr__ = _refuse_delattr
    return cls


def _keyword_init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    specs: tuple[tuple[str, Any, Any], ...] = tuple(
        (f.name, f.default, f.default_factory) for f in fields
    )
    post_init = getattr(cls, "__post_init__", None)

    def __init__(self: Any, **given: Any) -> None:
        values = {}
        for name, default, factory in specs:
            if name in given:
                values[name] = given.pop(name)
            elif default is not _MISSING:
                values[name] = default
            elif factory is not _MISSING:
                values[name] = factory()
            else:
                raise TypeError(f"{cls.__qualname__}() missing keyword argument {name!r}")
        if given:
            raise TypeError(f"{cls.__qualname__}() got unexpected keyword arguments {list(given)}")
        # Frozen: setattr refuses, so the dict is filled at once, in field order (the standard
        # `__init__` sets each field with `object.__setattr__`).
        self.__dict__.update(values)
        if post_init is not None:
            post_init(self)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({shown})"

    return __repr__


def _eq(names: tuple[str, ...]) -> Callable[[Any, object], bool]:
    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        # Tuples, as the standard `__eq__` compares: a field equal to itself by identity (NaN)
        # counts as equal.
        return _values(self, names) == _values(other, names)

    return __eq__


def _hash(names: tuple[str, ...]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(_values(self, names))

    return __hash__


def _values(obj: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple([getattr(obj, name) for name in names])
