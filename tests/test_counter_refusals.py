"""Atomic counters and apply-once writes (`dynamodel.runtime.counters`, `Repository.increment`
and `Repository.apply_once`), through the iot example's entities: the entities and attributes
a counter may not live in, and the ids, amounts and tokens DynamoDB could not take, refused
before anything is sent."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dynamodel import InvalidKeyValueError, InvalidValueError
from dynamodel.runtime import counters
from dynamodel.runtime.counters import Increment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "iot" / "generated"))

from fleet import Alert, Device, FleetRepository, Site, SiteAlertCount, Zone
from fleet import _schema as fleet_schema


class _Unreachable:
    """A client that fails the test if the runtime sends anything."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the runtime called {name} on the client")


REFUSED: dict[str, tuple[Callable[[FleetRepository], object], type[Exception], str]] = {
    "versioned root": (
        lambda r: r.increment(Site, {"site_id": "s"}, name=1),
        ValueError,
        "Site is versioned",
    ),
    "member": (
        lambda r: r.increment(Zone, {"site_id": "s", "zone_code": "z"}, floor=1),
        ValueError,
        "Zone is an aggregate member",
    ),
    "unique values": (
        lambda r: r.increment(Device, {"device_id": "d"}, tags=1),
        ValueError,
        "Device has unique values",
    ),
    "required attributes": (
        lambda r: r.increment(Alert, {"alert_id": "a"}, observed_value=1.0),
        ValueError,
        "Alert.site_id has no default",
    ),
    "unknown attribute": (
        lambda r: r.increment(SiteAlertCount, {"site_id": "s"}, closed=1),
        ValueError,
        "no counter attribute 'closed'",
    ),
    "id attribute": (
        lambda r: r.increment(SiteAlertCount, {"site_id": "s"}, site_id=1),
        ValueError,
        "no counter attribute 'site_id'",
    ),
    "wrong id": (
        lambda r: r.increment(SiteAlertCount, {"site": "s"}, open_alerts=1),
        ValueError,
        "identified by site_id",
    ),
    "no amounts": (
        lambda r: r.increment(SiteAlertCount, {"site_id": "s"}),
        ValueError,
        "nothing to add",
    ),
    "bool amount": (
        lambda r: r.increment(SiteAlertCount, {"site_id": "s"}, open_alerts=True),
        InvalidValueError,
        "must be a number",
    ),
    "float amount of an int": (
        lambda r: r.increment(SiteAlertCount, {"site_id": "s"}, open_alerts=0.5),
        InvalidValueError,
        r"SiteAlertCount.open_alerts = 0.5: .*is an int",
    ),
    "token with a lone surrogate (not UTF-8, so no DynamoDB key)": (
        lambda r: r.apply_once(
            "\ud800", consumer="c", increments=[Increment(SiteAlertCount, {"site_id": "s"}, {})]
        ),
        InvalidKeyValueError,
        r"key attribute 'token'",
    ),
    "int id of a str attribute": (
        lambda r: r.increment(SiteAlertCount, {"site_id": 5}, open_alerts=1),
        InvalidValueError,
        r"SiteAlertCount.site_id = 5: .*nothing was sent",
    ),
    "id of a str attribute in apply_once": (
        lambda r: r.apply_once(
            "t", consumer="c", increments=[Increment(SiteAlertCount, {"site_id": None}, {})]
        ),
        InvalidValueError,
        r"SiteAlertCount.site_id = None",
    ),
    "amount DynamoDB cannot store": (
        lambda r: r.increment(SiteAlertCount, {"site_id": "s"}, open_alerts=int("1" * 39)),
        InvalidValueError,
        "open_alerts",
    ),
    "too many items": (
        lambda r: r.apply_once(
            "t",
            consumer="c",
            increments=[
                Increment(SiteAlertCount, {"site_id": f"s{n}"}, {"open_alerts": 1})
                for n in range(100)
            ],
        ),
        ValueError,
        "holds 99 besides the marker",
    ),
    "no consumer": (
        lambda r: r.apply_once("t", consumer="", increments=[]),
        ValueError,
        "non-empty consumer",
    ),
    "no token": (
        lambda r: r.apply_once("", consumer="c", increments=[]),
        ValueError,
        "non-empty consumer name and token",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_counters_are_refused_where_other_writes_would_clobber_them(case: str) -> None:
    call, error, message = REFUSED[case]
    repo = FleetRepository(client=_Unreachable(), table_name="t", cursor_key="k" * 32)
    with pytest.raises(error, match=message):
        call(repo)


def test_a_counter_that_feeds_a_key_is_refused() -> None:
    schema = replace(
        fleet_schema.SITE_ALERT_COUNT,
        key_sources={
            **fleet_schema.SITE_ALERT_COUNT.key_sources,
            "GSI1PK": frozenset({"open_alerts"}),
        },
    )
    with pytest.raises(ValueError, match="feeds an index key"):
        counters.increment_action(schema, {"site_id": "s"}, {"open_alerts": 1})
