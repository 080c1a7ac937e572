"""`cached`: a value computed on first access and kept on the instance.

`functools.cached_property` takes a lock on every first access (Python 3.11), which costs
more than most of the values it caches: a 10,000-entity design renders a few hundred
thousand key templates once each. The compiler is single-threaded, and a race would only
compute the same value twice, so this one takes none. It works on frozen dataclasses (the
value goes straight into the instance's `__dict__`; equality and hashing ignore it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar, overload

_T = TypeVar("_T")


class cached(Generic[_T]):
    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Self: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> _T | Self:
        if instance is None:
            return self
        value = self.compute(instance)
        instance.__dict__[self.name] = value  # found before this descriptor from now on
        return value
