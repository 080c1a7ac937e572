"""Generated ids (runtime/ids.py): ULIDs begin with the time they were made, so ids that end up
in sort keys sort by age."""

from __future__ import annotations

import time

from dynamodel.runtime.ids import new_ulid

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def test_a_ulid_begins_with_the_milliseconds_it_was_made_at() -> None:
    before = int(time.time() * 1000)
    ulid = new_ulid()
    after = int(time.time() * 1000)
    assert len(ulid) == 26 and set(ulid) <= set(CROCKFORD)
    made = 0
    for char in ulid[:10]:  # 50 bits: the 48 of the time, two zero bits first
        made = made * 32 + CROCKFORD.index(char)
    assert before <= made <= after


def test_ulids_made_later_sort_later() -> None:
    first = new_ulid()
    time.sleep(0.002)
    assert new_ulid() > first
