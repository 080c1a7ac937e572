"""Counts the open alerts of each site from the Fleet table's stream (a DynamoDB event source).

`SiteAlertCount(site_id).open_alerts` is the number of Alert items with `status: open` and
that `site_id`; `repository.site_alert_count(site_id=...)` reads it with one GetItem instead
of paging through `open_alerts_of_site`. Each Alert change moves the counts it concerns:
-1 for the site of the old image if it was open, +1 for the site of the new image if it is
open. So a change that keeps an alert open (a new message) or closed moves nothing, resolving
or deleting an open alert subtracts one, reopening adds one, and moving an open alert to
another site moves one count. Every other record (other entities, unique guards, the
counter's own items and markers) leaves the counts alone.

Lambda delivers each record at least once: a failed batch is retried whole, or, with
`ReportBatchItemFailures`, from the first record the handler reports. So the same record can
arrive twice and must not count twice. Each record's increments are applied with
`repository.apply_once(eventID, ...)`: one TransactWriteItems that puts a marker item keyed by
the record's eventID (`attribute_not_exists`) and updates the counters; a redelivery finds the
marker and changes nothing, and the markers expire through the table's TTL after two days,
when the stream (24 hours) can no longer redeliver their records.

Why not a high-water mark of sequence numbers per counter, which needs no marker items? A
site's alerts are different items in different partitions, so their records come through
different shards; sequence numbers order the records of one shard only, so a per-site mark
would discard the records of a shard that lags behind another. A mark per alert item would be
correct, but it must live as long as the alert can change and costs a read or a condition on
every record; the eventID marker is one small put in the same transaction, gone in two days.
"""

from __future__ import annotations

import logging
from typing import Any

from dynamodel.runtime.counters import Increment
from fleet import Alert, FleetRepository, SiteAlertCount
from fleet.streams import AlertChange, parse_changes

CONSUMER = "open-alert-counter"  # names this consumer's markers apart from other consumers'

log = logging.getLogger(__name__)
repository = FleetRepository()  # once per container; the table: FLEET_TABLE_NAME


def counted_site(alert: Alert | None) -> str | None:
    """The site whose count `alert` is part of, or None if it is not counted."""
    return alert.site_id if alert is not None and alert.status == "open" else None


def count_moves(change: AlertChange) -> dict[str, int]:
    """How much each site's count changes by (sites that do not change are left out)."""
    if (change.event_name != "INSERT" and change.old is None) or (
        change.event_name != "REMOVE" and change.new is None
    ):
        raise ValueError(
            f"{change.event_name} of {change.keys} lacks an image: the counter needs a "
            f"NEW_AND_OLD_IMAGES stream, not {change.stream_view_type}"
        )
    moves: dict[str, int] = {}
    if (site := counted_site(change.old)) is not None:
        moves[site] = moves.get(site, 0) - 1
    if (site := counted_site(change.new)) is not None:
        moves[site] = moves.get(site, 0) + 1
    return {site: amount for site, amount in moves.items() if amount}


def apply(change: AlertChange) -> bool:
    """Apply one change to the counts; False when an earlier delivery already did."""
    moves = count_moves(change)
    if not moves:
        return True  # nothing to count: no marker needed either
    return repository.apply_once(
        change.event_id,
        consumer=CONSUMER,
        increments=[
            Increment(SiteAlertCount, {"site_id": site}, {"open_alerts": amount})
            for site, amount in sorted(moves.items())
        ],
    )


def handler(event: dict[str, Any], context: object = None) -> dict[str, list[dict[str, str]]]:
    """The event source mapping's handler (`FunctionResponseTypes: [ReportBatchItemFailures]`).

    Records are applied in order; at the first failure the handler stops and reports that
    record, so Lambda redelivers it and everything after it (already applied records among
    them are recognised by their markers)."""
    batch = parse_changes(event)  # a record that cannot be decoded fails the whole batch
    for skipped in batch.skipped:
        log.debug("%s", skipped)  # guards and markers: expected, not errors
    for change in batch.changes:
        if not isinstance(change, AlertChange):
            continue
        try:
            if not apply(change):
                log.info("alert change %s was applied by an earlier delivery", change.event_id)
        except Exception:
            log.exception("alert change %s failed; reported for redelivery", change.event_id)
            return batch.response(failed=change)
    return batch.response()
