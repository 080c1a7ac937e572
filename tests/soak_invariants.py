"""The soak's whole-table invariants: the table after the run against the log of every call
(tests/soak_workers.py).

`check_soak(calls, tracker_items, fleet_items)` checks:

* ``untyped_error``: every error a worker saw is a DynamodelError;
* ``read_mismatch``: every page a worker read holds only items its query selects, and every
  user or ticket it read carries the stamp of a write of that very item (a value changed on
  the way, say by a corrupted response, names no such write);
* the per-item invariants of tests/consistency.py on both tables (keys and index keys
  recomputed from each item's attributes, no stale sparse-index key, members under an
  existing root, guards and owners one to one);
* ``split_aggregate``: each ticket is one save: its checklist items carry the stamp of the
  create or save that wrote the root's title, and are exactly the positions that call wrote;
  and each version past that save's is one update that was acknowledged or of unknown
  outcome (more versions: a failed update was applied; fewer: an acknowledged one was lost);
* ``unknown_writer`` / ``applied_though_failed`` / ``lost_write``: the value of every user and
  ticket (or its absence) was written by a call that was acknowledged or whose outcome is
  unknown; a call that reported a definite failure was not applied; and no acknowledged
  write that started after the writer's call had ended was overwritten (a call of unknown
  outcome may have been applied at any time after it started);
* ``deleted_twice``: an absent item that needed a delete before its last create and another
  after it, when only one delete could be either;
* ``counter_mismatch`` / ``lost_marker`` / ``applied_twice``: each apply-once counter equals
  the number of apply-once markers of its site, each acknowledged delivery left its marker,
  no token was reported applied twice; the increment counter lies between the acknowledged
  increments and those plus the increments of unknown outcome.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from dynamodel.runtime.counters import MARKER_TYPE, marker_key
from dynamodel.runtime.schema import TYPE_ATTRIBUTE, EntitySchema, Item
from tests.consistency import ConsistencyReport, check_items
from tests.soak_workers import CONSUMER, FAILED, INCREMENT_SITE, OK, SITES, UNKNOWN, Call, User

__all__ = ["SoakReport", "check_soak"]

WRITES: Final = frozenset(
    {
        "create_user",
        "save_user",
        "update_user",
        "delete_user",
        "create_ticket",
        "save_ticket",
        "update_ticket",
        "delete_ticket",
    }
)
COUNTING: Final = frozenset({"apply_once", "redeliver"})


@dataclass
class SoakReport:
    """What one soak did and found."""

    operations: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    invariants_checked: int = 0
    violations: list[str] = field(default_factory=list)
    consistency: list[ConsistencyReport] = field(default_factory=list)

    def holds(self, ok: bool, kind: str, detail: str) -> bool:
        self.invariants_checked += 1
        if not ok:
            self.violations.append(f"{kind}: {detail}")
        return ok

    def kinds(self) -> Counter[str]:
        return Counter(v.split(":", 1)[0] for v in self.violations)


def _decoder(schemas: Mapping[Any, EntitySchema[Any]]) -> dict[str, EntitySchema[Any]]:
    by_name: dict[str, EntitySchema[Any]] = {}
    pending = list(schemas.values())
    while pending:
        schema = pending.pop()
        by_name[schema.name] = schema
        pending.extend(member.schema for member in schema.members)
    return by_name


def _objects(
    items: Iterable[Item], by_name: Mapping[str, EntitySchema[Any]]
) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        schema = by_name.get(item.get(TYPE_ATTRIBUTE, {}).get("S", ""))
        if schema is not None:
            try:
                found[schema.name].append(schema.from_item(item))
            except Exception:  # an undecodable item is the consistency check's violation
                continue
    return found


def check_soak(
    calls: Sequence[Call],
    tracker_items: list[Item],
    fleet_items: list[Item],
    *,
    tracker_schema: Any,
    fleet_schema: Any,
) -> SoakReport:
    """Check the tables after a soak against its log (see the module docstring)."""
    report = SoakReport(operations=len(calls), outcomes=Counter(c.outcome for c in calls))
    for call in calls:
        report.holds(
            call.typed,
            "untyped_error",
            f"{call.op} {call.args} raised {call.error}: {call.message}",
        )
        if not call.key:
            report.holds(not call.problem, "read_mismatch", call.problem)
    markers = [i for i in fleet_items if i.get(TYPE_ATTRIBUTE, {}).get("S") == MARKER_TYPE]
    entities = [i for i in fleet_items if i.get(TYPE_ATTRIBUTE, {}).get("S") != MARKER_TYPE]
    for items, schema in ((tracker_items, tracker_schema), (entities, fleet_schema)):
        checked = check_items(items, schema.SCHEMAS, schema.INDEX_KEYS)
        report.consistency.append(checked)
        report.invariants_checked += checked.invariants_checked
        report.violations.extend(str(v) for v in checked.violations)
    tracker = _objects(tracker_items, _decoder(tracker_schema.SCHEMAS))
    fleet = _objects(entities, _decoder(fleet_schema.SCHEMAS))
    by_stamp = {call.stamp: call for call in calls}
    by_key: dict[str, list[Call]] = defaultdict(list)
    for call in calls:
        by_key[call.key].append(call)
    _check_reads(report, calls, by_stamp)
    _check_aggregates(report, tracker["Ticket"], tracker["ChecklistItem"], by_stamp, by_key)
    _check_registers(report, tracker, by_stamp, by_key)
    _check_counters(report, markers, fleet["SiteAlertCount"], by_key)
    return report


def _check_reads(report: SoakReport, calls: Sequence[Call], by_stamp: Mapping[str, Call]) -> None:
    for call in calls:
        if call.key or call.outcome != OK or not isinstance(call.result, list):
            continue
        for read in call.result:
            if isinstance(read, User):
                key, stamps = f"User:{read.user_id}", [read.display_name]
            else:
                key, stamps = f"Ticket:{read.ticket_no}", [read.title, read.assignee_id]
            for stamp in stamps:
                if stamp is None:
                    continue
                writer = by_stamp.get(stamp)
                report.holds(
                    writer is not None and writer.key == key,
                    "read_mismatch",
                    f"{call.op} {call.args} read {key} carrying {stamp!r}, which "
                    + (f"{writer.op} wrote to {writer.key}" if writer else "no call wrote"),
                )


def _check_aggregates(
    report: SoakReport,
    roots: list[Any],
    members: list[Any],
    by_stamp: Mapping[str, Call],
    by_key: Mapping[str, list[Call]],
) -> None:
    held: dict[int, list[Any]] = defaultdict(list)
    for member in members:
        held[member.ticket_no].append(member)
    for root in roots:
        writer = by_stamp.get(root.title)
        if not report.holds(
            writer is not None and writer.op in ("create_ticket", "save_ticket"),
            "unknown_writer",
            f"ticket {root.ticket_no} has title {root.title!r}, which no create or save wrote",
        ):
            continue
        assert writer is not None
        texts = sorted({m.text for m in held[root.ticket_no]})
        positions = sorted(m.position for m in held[root.ticket_no])
        _check_version_count(report, root, writer, by_key[f"Ticket:{root.ticket_no}"])
        report.holds(
            texts in ([], [root.title]) and positions == writer.written["positions"],
            "split_aggregate",
            f"ticket {root.ticket_no} saved by {root.title} ({writer.written['positions']}) "
            f"holds checklist positions {positions} from saves {texts}",
        )


def _check_version_count(report: SoakReport, root: Any, save: Call, calls: list[Call]) -> None:
    """Every version since the save that wrote the title is one applied update: no more than
    the updates that may have been applied after it, no fewer than those acknowledged after
    it ended (when the save itself was acknowledged)."""
    updates = [c for c in calls if c.op == "update_ticket"]
    bumps = root.version - save.written["version"]
    possible = sum(1 for u in updates if u.outcome != FAILED and _applied_by(u) > save.start)
    certain = sum(1 for u in updates if u.outcome == OK and u.start > save.end)
    if save.outcome != OK:
        certain = 0  # the save may have landed after any of them
    report.holds(
        bumps <= possible,
        "applied_though_failed",
        f"ticket {root.ticket_no} is at version {root.version}, {bumps} past {save.stamp}; only "
        f"{possible} updates after it were acknowledged or of unknown outcome",
    )
    report.holds(
        certain <= bumps,
        "lost_write",
        f"ticket {root.ticket_no} is at version {root.version}, {bumps} past {save.stamp}; "
        f"{certain} updates acknowledged after it",
    )


def _writer_of(stored: Any, key: str, by_stamp: Mapping[str, Call]) -> Call | str:
    """The call whose stamp the stored item carries, or a description of what is wrong."""
    if key.startswith("User:"):
        stamp = stored.display_name
    else:
        save = by_stamp.get(stored.title)
        if save is None:
            return f"title {stored.title!r} names no call"
        stamp = (
            stored.title
            if stored.assignee_id == save.written.get("assignee")
            else stored.assignee_id
        )
    writer = by_stamp.get(stamp or "")
    if writer is None:
        return f"stamp {stamp!r} names no call"
    if writer.key != key:
        return f"stamp {stamp!r} is that of {writer.op} on {writer.key}"
    return writer


def _check_registers(
    report: SoakReport,
    tables: Mapping[str, list[Any]],
    by_stamp: Mapping[str, Call],
    by_key: Mapping[str, list[Call]],
) -> None:
    stored: dict[str, Any] = {f"User:{u.user_id}": u for u in tables["User"]}
    stored.update({f"Ticket:{t.ticket_no}": t for t in tables["Ticket"]})
    for key, calls in sorted(by_key.items()):
        writes = [c for c in calls if c.op in WRITES]
        if not writes:
            continue
        current = stored.get(key)
        if current is None:
            deletes = [c for c in writes if c.op.startswith("delete") and c.outcome != FAILED]
            since = max((_applied_by(c) for c in deletes), default=-math.inf)
            writer = None
            _check_deleted_twice(report, key, writes, deletes)
        else:
            found = _writer_of(current, key, by_stamp)
            if not report.holds(isinstance(found, Call), "unknown_writer", f"{key}: {found}"):
                continue
            assert isinstance(found, Call)
            writer = found
            report.holds(
                writer.outcome != FAILED,
                "applied_though_failed",
                f"{key} holds the write of {writer.op} {writer.stamp}, which raised {writer.error}: "
                f"{writer.message}",
            )
            since = _applied_by(writer) if writer.outcome == OK else math.inf
        for later in writes:
            if later is writer or later.outcome != OK:
                continue
            report.holds(
                later.start <= since,
                "lost_write",
                f"{key}: {later.op} {later.stamp} was acknowledged and started after "
                f"{'the last delete' if writer is None else writer.stamp} had ended, but the "
                f"table holds {'nothing' if writer is None else writer.stamp}",
            )


def _check_deleted_twice(
    report: SoakReport, key: str, writes: list[Call], deletes: list[Call]
) -> None:
    """An absent item whose last create needed a delete before it and one after it, where
    only one delete could have been either: that delete removed two items (a retried delete
    taking an item re-created in between: finding 3 of issue 11)."""
    for create in writes:
        if create.op not in ("create_user", "create_ticket") or create.outcome != OK:
            continue
        # an acknowledged write that made the item present before the create
        for present in writes:
            if present.op.startswith("delete") or present.outcome != OK:
                continue
            if present.end >= create.start:
                continue
            candidates = [d for d in deletes if _applied_by(d) > present.start]
            # (none, or one that ended before the create: a lost write, reported as such)
            if len(candidates) == 1 and _applied_by(candidates[0]) > create.start:
                only = candidates[0]
                report.holds(
                    False,
                    "deleted_twice",
                    f"{key}: {present.stamp} wrote it and {create.stamp} created it again, yet "
                    f"it is gone; only {only.op} {only.stamp} could have deleted it in between "
                    "and after",
                )
                return
    report.invariants_checked += 1


def _applied_by(call: Call) -> float:
    """The latest time `call` may have been applied (unknown outcomes: any time later)."""
    return call.end if call.outcome == OK else math.inf


def _check_counters(
    report: SoakReport, markers: list[Item], counts: list[Any], by_key: Mapping[str, list[Call]]
) -> None:
    value = {count.site_id: count.open_alerts for count in counts}
    site_of_marker: dict[str, str] = {}
    for site in SITES:
        applied: Counter[str] = Counter()
        for call in by_key.get(f"Counter:{site}", []):
            token = call.args["token"]
            site_of_marker[marker_key(CONSUMER, token)["PK"]["S"]] = site
            if call.outcome == OK and call.result is True:
                applied[token] += 1
        for token, times in applied.items():
            report.holds(
                times == 1, "applied_twice", f"apply_once reported {token!r} applied {times} times"
            )
    present: Counter[str] = Counter()
    marked: set[str] = set()
    for marker in markers:
        owner = site_of_marker.get(marker["PK"]["S"])
        if report.holds(
            owner is not None, "counter_mismatch", f"marker {marker['PK']} names no token sent"
        ):
            present[str(owner)] += 1
            marked.add(marker["PK"]["S"])
    for site in SITES:
        report.holds(
            value.get(site, 0) == present[site],
            "counter_mismatch",
            f"SiteAlertCount {site} is {value.get(site, 0)}, its markers number {present[site]}",
        )
        for call in by_key.get(f"Counter:{site}", []):
            if call.outcome == OK:
                report.holds(
                    marker_key(CONSUMER, call.args["token"])["PK"]["S"] in marked,
                    "lost_marker",
                    f"{call.op} of {call.args['token']!r} was acknowledged; its marker is gone",
                )
    increments = by_key.get(f"Counter:{INCREMENT_SITE}", [])
    low = sum(1 for c in increments if c.outcome == OK)
    high = low + sum(1 for c in increments if c.outcome == UNKNOWN)
    report.holds(
        low <= value.get(INCREMENT_SITE, 0) <= high,
        "counter_mismatch",
        f"SiteAlertCount {INCREMENT_SITE} is {value.get(INCREMENT_SITE, 0)}; "
        f"{low} increments were acknowledged, {high - low} have an unknown outcome",
    )
