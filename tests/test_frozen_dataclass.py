"""`runtime.frozen.frozen_dataclass` behaves as `@dataclass(frozen=True, kw_only=True)`."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import pytest

from dynamodel.runtime.frozen import frozen_dataclass


@frozen_dataclass
class Cheap:
    """A record made without compiled methods."""

    name: str
    size: float = 1.0
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Standard:
    """The same record, made by the standard decorator."""

    name: str
    size: float = 1.0
    tags: dict[str, str] = field(default_factory=dict)


@frozen_dataclass
class Checked:
    """A record with a __post_init__."""

    count: int

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("negative")


def _pair(**values: Any) -> tuple[Cheap, Standard]:
    return Cheap(**values), Standard(**values)


def test_fields_defaults_and_factories() -> None:
    cheap, standard = _pair(name="a")
    assert vars(cheap) == vars(standard) == {"name": "a", "size": 1.0, "tags": {}}
    assert list(vars(cheap)) == [f.name for f in dataclasses.fields(Cheap)]
    assert cheap.tags is not Cheap(name="b").tags  # a new dict per instance
    assert dataclasses.is_dataclass(cheap)
    assert dataclasses.asdict(cheap) == dataclasses.asdict(standard)


def test_repr_and_equality_are_the_standard_ones() -> None:
    cheap, standard = _pair(name="a", size=2.5, tags={"k": "v"})
    assert repr(cheap) == repr(standard).replace("Standard", "Cheap")
    assert cheap == Cheap(name="a", size=2.5, tags={"k": "v"})
    assert cheap != Cheap(name="a", size=3.0, tags={"k": "v"})
    assert cheap != standard  # type: ignore[comparison-overlap]  # another class
    nan = Cheap(name="n", size=math.nan)
    assert nan == nan and nan == dataclasses.replace(nan)  # NaN, as tuples compare it


def test_hash_is_by_value() -> None:
    assert hash(Cheap(name="a", tags=())) == hash(Cheap(name="a", tags=()))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hash(Cheap(name="a"))  # a dict field: unhashable, as with the standard decorator


def test_frozen_keyword_only_and_replace() -> None:
    cheap = Cheap(name="a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cheap.name = "b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del cheap.name
    with pytest.raises(TypeError):
        Cheap("a")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="missing keyword argument 'name'"):
        Cheap()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        Cheap(name="a", colour="red")  # type: ignore[call-arg]
    assert dataclasses.replace(cheap, size=3.0) == Cheap(name="a", size=3.0)
    assert Cheap.__match_args__ == Standard.__match_args__ == ()


def test_post_init_runs_on_init_and_replace() -> None:
    checked = Checked(count=1)
    with pytest.raises(ValueError):
        Checked(count=-1)
    with pytest.raises(ValueError):
        dataclasses.replace(checked, count=-1)
