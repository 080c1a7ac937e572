"""Table reads over DynamoDB's pages, against a client that answers as DynamoDB does when its
1 MB page limit cuts a partition (mutation survivors of `runtime/table.py`)."""

from __future__ import annotations

from typing import Any

from dynamodel.runtime.paging import CursorSigner
from dynamodel.runtime.retry import RetryPolicy
from dynamodel.runtime.schema import SortCondition
from dynamodel.runtime.table import Table


class _PagedClient:
    """Answers Query as DynamoDB does when its 1 MB page limit cuts a partition: at most
    `per_page` items per response, with LastEvaluatedKey while more remain."""

    def __init__(self, count: int, per_page: int) -> None:
        self.items = [{"PK": {"S": "a"}, "SK": {"S": f"{n:03d}"}} for n in range(count)]
        self.per_page = per_page
        self.requests: list[dict[str, Any]] = []

    def query(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        assert len(self.requests) <= 10, "query_all did not follow LastEvaluatedKey"
        after = request.get("ExclusiveStartKey")
        rest = [i for i in self.items if after is None or i["SK"]["S"] > after["SK"]["S"]]
        size = min(self.per_page, request.get("Limit", self.per_page))
        page = rest[:size]
        if len(rest) > size:
            return {"Items": page, "LastEvaluatedKey": page[-1]}
        return {"Items": page}


def _table(client: _PagedClient) -> Table:
    return Table(
        client=client,
        name="t",
        retry=RetryPolicy(),
        signer=CursorSigner(b"k" * 32),
        index_keys={None: ("PK", "SK")},
    )


def test_query_all_follows_dynamodbs_pages_to_the_end() -> None:

    client = _PagedClient(count=5, per_page=2)
    table = _table(client)
    items = table.query_all(index=None, partition="a", sort=None, consistent=True)
    assert [i["SK"]["S"] for i in items] == ["000", "001", "002", "003", "004"]
    assert [r.get("ExclusiveStartKey") for r in client.requests] == [
        None,
        {"PK": {"S": "a"}, "SK": {"S": "001"}},
        {"PK": {"S": "a"}, "SK": {"S": "003"}},
    ]


def test_a_view_is_read_in_the_order_asked() -> None:
    client = _PagedClient(count=1, per_page=2)
    _table(client).query_view(index=None, partition="a", parts=[], forward=False)
    assert [r["ScanIndexForward"] for r in client.requests] == [False]


class _SortKeyOnly:
    @staticmethod
    def from_item(item: dict[str, Any]) -> str:
        return str(item["SK"]["S"])


def test_a_page_of_n_reads_n_plus_one_items_to_know_whether_more_follow() -> None:
    # One extra item, not more: DynamoDB charges read capacity for every item a Query reads.
    client = _PagedClient(count=5, per_page=100)
    page: Any = _table(client).query_page(
        _SortKeyOnly,  # type: ignore[arg-type]
        pattern="p",
        arguments={},
        index=None,
        partitions=["a"],
        sort=SortCondition(kind="all"),
        forward=True,
        limit=2,
        cursor=None,
    )
    assert page.items == ["000", "001"] and page.cursor is not None
    assert [r["Limit"] for r in client.requests] == [3]


def test_sort_conditions_send_string_values() -> None:
    client = _PagedClient(count=1, per_page=2)
    table = _table(client)
    for kind in ("eq", "prefix"):
        table.query_all(
            index=None, partition="a", sort=SortCondition(kind=kind, low="000"), consistent=True
        )
    assert [r["ExpressionAttributeValues"][":sk"] for r in client.requests] == [
        {"S": "000"},
        {"S": "000"},
    ]
