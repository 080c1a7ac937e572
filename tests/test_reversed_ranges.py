"""Nothing invalid reaches the table (issue 11, finding 6): a reversed range is an empty page
and sends nothing (on the tracker's patterns, exactly when the range is reversed, and on the
iot example's sharded pattern)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.hostile_fixtures import CURSOR_KEY, NOW, PROPERTY, TABLES, Client, client_fixture
from tests.write_validation_support import Sent, repo, sent

from fleet import FleetRepository  # isort: skip  (on sys.path via hostile_fixtures)
from tracker import Ticket, TrackerRepository  # isort: skip

__all__ = ["client_fixture", "repo", "sent"]  # fixtures, used by name


# -- reversed ranges ---------------------------------------------------------------------------


def test_a_reversed_range_is_an_empty_page_and_sends_nothing(
    repo: TrackerRepository, sent: Sent
) -> None:
    for n in range(1, 4):
        repo.create_ticket(
            Ticket(
                workspace_id="w1",
                ticket_no=n,
                title="t",
                status="open",
                priority=n,
                updated_at=NOW + timedelta(minutes=n),
                assignee_id="u1",
            )
        )
    later, earlier = NOW + timedelta(minutes=3), NOW + timedelta(minutes=1)
    sent.clear()
    page = repo.tickets_by_status(
        workspace_id="w1", status="open", updated_at_from=later, updated_at_to=earlier
    )
    assert page.items == [] and page.cursor is None and sent.operations == []
    page = repo.tickets_for_assignee(
        assignee_id="u1", status="open", priority_from=3, priority_to=1
    )
    assert page.items == [] and sent.operations == []
    # A one-value range and the same range the right way round still read.
    same = repo.tickets_by_status(
        workspace_id="w1", status="open", updated_at_from=earlier, updated_at_to=earlier
    )
    assert [t.ticket_no for t in same.items] == [1]
    both = repo.tickets_for_assignee(
        assignee_id="u1", status="open", priority_from=1, priority_to=3
    )
    assert [t.ticket_no for t in both.items] == [1, 2, 3]


@given(low=st.integers(-(10**6), 10**6), high=st.integers(-(10**6), 10**6))
@PROPERTY
def test_ranges_are_empty_exactly_when_reversed(
    repo: TrackerRepository, sent: Sent, low: int, high: int
) -> None:
    sent.clear()
    page = repo.tickets_for_assignee(
        assignee_id="u1", status="open", priority_from=low, priority_to=high
    )
    assert page.items == []
    assert (sent.operations == []) == (low > high)


def test_a_reversed_range_on_a_sharded_pattern_sends_nothing(client: Client, sent: Sent) -> None:
    repo = FleetRepository(client=client, table_name=f"valid-{next(TABLES)}", cursor_key=CURSOR_KEY)
    repo.create_table()
    sent.clear()
    page = repo.all_open_alerts(raised_at_from=NOW, raised_at_to=NOW - timedelta(seconds=1))
    assert page.items == [] and page.cursor is None and sent.operations == []
