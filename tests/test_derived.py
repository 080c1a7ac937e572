"""Derived attributes (spec 1.1 `derived:`): computed by the model from their source, stored
with the item, usable in `by`, `sort`, `where` and `unique`; a caller's different value is a
validation error, and `update_*` recomputes them and every key they feed. Checked as
properties (hypothesis) against an oracle computed in Python, through a generated repository
on moto."""

from __future__ import annotations

import datetime as dt
from types import ModuleType
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dynamodel import UniqueValueTakenError
from dynamodel.compiler.emit.html import emit_html
from dynamodel.compiler.emit.markdown import emit_markdown
from dynamodel.compiler.emit.text import emit_text
from dynamodel.compiler.pipeline import compile_spec
from tests.test_repository_oracle import fresh_repository, spec_package

SPEC = """\
version: 1
table: {name: Issues}
entities:
  Issue:
    id: [owner, number]
    attributes:
      owner: str
      number: int
      title: str
      title_lower: {type: str, derived: "lower(title)"}
      opened_at: datetime
      opened_on: {type: date, derived: "date(opened_at)"}
      opened_month: {type: str, derived: "month(opened_at)"}
      opened_year: {type: int, derived: "year(opened_at)"}
      closed_at: "datetime?"
      closed_hour: {type: "str?", derived: "hour(closed_at)"}
      initial: {type: str, derived: "prefix(title, 2)"}
    unique: [[owner, title_lower]]
access_patterns:
  issues_by_title: {entity: Issue, by: [owner], sort: title_lower}
  issues_on_day: {entity: Issue, by: [owner, opened_on]}
  issues_in_month: {entity: Issue, by: [opened_month], sort: opened_at}
  issue_by_title: {entity: Issue, by: [owner, title_lower]}
  issues_by_initial: {entity: Issue, by: [owner, initial]}
  closed_in_hour: {entity: Issue, by: [closed_hour]}
"""

ZONES = [dt.UTC, dt.timezone(dt.timedelta(hours=-7)), dt.timezone(dt.timedelta(hours=13))]
titles = st.text(alphabet=st.sampled_from("aAbBßİ#%é Ǆ"), min_size=1, max_size=5)
moments = st.builds(
    lambda minutes, zone: (
        dt.datetime(2026, 2, 27, 20, tzinfo=dt.UTC).astimezone(zone) + dt.timedelta(minutes=minutes)
    ),
    st.integers(0, 60 * 24 * 4),
    st.sampled_from(ZONES),
)


@pytest.fixture(scope="module")
def issues(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "issues_derived", SPEC)


def expected_values(title: str, opened: dt.datetime, closed: dt.datetime | None) -> dict[str, Any]:
    utc = opened.astimezone(dt.UTC)
    return {
        "title_lower": title.lower(),
        "opened_on": utc.date(),
        "opened_month": utc.strftime("%Y-%m"),
        "opened_year": utc.year,
        "closed_hour": None
        if closed is None
        else closed.astimezone(dt.UTC).strftime("%Y-%m-%dT%H"),
        "initial": title[:2],
    }


@settings(max_examples=200, deadline=None)
@given(title=titles, opened=moments, closed=st.none() | moments)
def test_the_model_computes_every_derived_value(
    issues: ModuleType, title: str, opened: dt.datetime, closed: dt.datetime | None
) -> None:
    issue = issues.Issue(owner="o", number=1, title=title, opened_at=opened, closed_at=closed)
    wanted = expected_values(title, opened, closed)
    assert {name: getattr(issue, name) for name in wanted} == wanted
    # Given again with the same values (a stored item, a dump), it is accepted ...
    assert issues.Issue.model_validate(issue.model_dump()) == issue
    # ... a different value is refused, and the attribute cannot be assigned.
    with pytest.raises(ValidationError, match="title_lower is derived"):
        issues.Issue(owner="o", number=1, title=title, opened_at=opened, title_lower=title + "x")
    with pytest.raises(AttributeError):
        issue.title_lower = "x"
    issue.title = title + "Q"  # follows its source after an assignment
    assert issue.title_lower == (title + "Q").lower()


def test_the_reports_show_the_derivations() -> None:
    design = compile_spec(SPEC).design
    assert design is not None
    for report in (emit_text(design), emit_markdown(design), emit_html(design)):
        assert "title_lower = lower(title)" in report and "initial = prefix(title, 2)" in report


def test_the_spec_checks_derivations() -> None:
    bad = SPEC.replace('derived: "lower(title)"', 'derived: "lower(number)"')
    assert "`lower` takes a str" in "\n".join(compile_spec(bad).rendered())


@pytest.mark.backends("moto")  # many small tables: the in-process engine
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(titles, moments, st.none() | moments), min_size=1, max_size=8))
def test_reads_by_derived_keys_equal_the_oracle(
    issues: ModuleType, dynamodb_client: Any, rows: list[Any]
) -> None:
    repo = fresh_repository(issues, dynamodb_client, f"derived-{uuid4().hex[:12]}")
    written: dict[int, Any] = {}
    for number, (title, opened, closed) in enumerate(rows):
        issue = issues.Issue(
            owner="o", number=number, title=title, opened_at=opened, closed_at=closed
        )
        try:
            repo.create_issue(issue)
        except UniqueValueTakenError as taken:  # titles equal but for case: one owner has one
            assert any(w.title_lower == issue.title_lower for w in written.values()), taken
            continue
        written[number] = issue
    # An update of a source recomputes the derived values and moves every key they feed.
    for number in sorted(written)[::2]:
        issue = written[number]
        new_title = issue.title + "#Z" + str(number)
        written[number] = repo.update_issue(owner="o", number=number, title=new_title)
        assert written[number].title_lower == new_title.lower()
    check_reads(repo, list(written.values()))


def check_reads(repo: Any, written: list[Any]) -> None:
    def ids(items: list[Any]) -> list[int]:
        return [i.number for i in items]

    by_title = sorted(written, key=lambda i: (i.title_lower.encode(), i.number))
    assert ids(repo.issues_by_title(owner="o", limit=100).items) == ids(by_title)
    for issue in written:
        assert repo.issue_by_title(owner="o", title_lower=issue.title_lower) == issue
        same_day = [i for i in written if i.opened_on == issue.opened_on]
        got = repo.issues_on_day(owner="o", opened_on=issue.opened_on, limit=100).items
        assert sorted(ids(got)) == sorted(ids(same_day))
        same_month = sorted(
            (i for i in written if i.opened_month == issue.opened_month),
            key=lambda i: (i.opened_at, i.owner, i.number),
        )
        got = repo.issues_in_month(opened_month=issue.opened_month, limit=100).items
        assert ids(got) == ids(same_month)
        got = repo.issues_by_initial(owner="o", initial=issue.initial, limit=100).items
        assert sorted(ids(got)) == sorted(ids(i for i in written if i.initial == issue.initial))
        if issue.closed_hour is not None:
            got = repo.closed_in_hour(closed_hour=issue.closed_hour, limit=100).items
            assert sorted(ids(got)) == sorted(
                ids(i for i in written if i.closed_hour == issue.closed_hour)
            )
