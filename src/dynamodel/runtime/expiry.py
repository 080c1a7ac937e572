"""TTL as the runtime sees it: an expired item is gone, whether or not DynamoDB deleted it yet.

DynamoDB deletes an item once its TTL attribute (a number of epoch seconds) is in the past,
but only eventually, often days later; until then reads return it, and an aggregate expires
piece by piece. The runtime draws the line itself: an item whose TTL attribute holds a number
below "now" is expired. Reads drop expired items after they come back (so every read is still
the one planned request, without a FilterExpression that would change what `Limit` counts),
and writes that create an item or claim a unique value accept an expired item in the way, as
if DynamoDB had already deleted it. "Now" comes from a clock the caller may replace (tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

# Seconds since the epoch, as `time.time` returns them.
Clock = Callable[[], float]
SYSTEM_CLOCK: Clock = time.time

# How long the marker of an applied stream record is kept (`counters.apply_once`): Lambda
# retries a record at most until it leaves the stream (24 hours); a marker that outlives that
# by a day can never expire before a redelivery of its record.
DEFAULT_MARKER_LIFETIME = timedelta(days=2)

# Placeholders of the TTL attribute and of "now" in condition expressions.
TTL_NAME = "#ttl"
NOW_VALUE = ":now"


def is_expired(item: Mapping[str, Any], attribute: str | None, now: int) -> bool:
    """Whether DynamoDB's TTL would delete `item`: `attribute` holds a number below `now`.

    DynamoDB ignores a TTL attribute that is not a number, and so does this.
    """
    if attribute is None:
        return False
    value = item.get(attribute)
    if not isinstance(value, dict) or not isinstance(value.get("N"), str):
        return False
    try:
        return Decimal(value["N"]) < now
    except InvalidOperation:
        return False


def unexpired(items: Sequence[Mapping[str, Any]], attribute: str | None, now: int) -> list[Any]:
    """`items` without the expired ones, in order."""
    if attribute is None:
        return list(items)
    # Most items of a table with TTL do not carry the attribute: kept without a call.
    return [item for item in items if attribute not in item or not is_expired(item, attribute, now)]


def absent_or_expired(
    attribute: str | None, now: int
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A condition (expression, names, values) that holds where no item is stored, or where
    the stored one has expired: what a create asks of the key it writes."""
    if attribute is None:
        return "attribute_not_exists(#pk)", {}, {}
    return (
        f"(attribute_not_exists(#pk) OR {TTL_NAME} < {NOW_VALUE})",
        {TTL_NAME: attribute},
        {NOW_VALUE: {"N": str(now)}},
    )
