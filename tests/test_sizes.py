"""The quick JSON size bound never undercounts DynamoDB's item size, so using it to pass
items under the limit cannot let an oversized item through."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.runtime.marshal import put_map
from dynamodel.runtime.sizes import item_size
from dynamodel.runtime.transact import size_bound
from dynamodel.runtime.transport.wire import encode_body

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.decimals(
        allow_nan=False,
        allow_infinity=False,
        places=5,
        min_value=Decimal("-1e20"),
        max_value=Decimal("1e20"),
    )
    | st.text(max_size=40)
    | st.binary(max_size=40),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), values, min_size=1, max_size=6))
def test_json_bound_is_never_below_the_item_size(data: dict[str, object]) -> None:
    item = put_map(data)["M"]
    bound = size_bound(item)
    assert bound == len(encode_body(item) or b"")  # the quick bound, not the exact fallback
    assert bound >= item_size(item)


def test_binary_values_are_bounded_by_their_base64_text() -> None:
    item = {"b": {"B": b"\x00" * 3000}, "s": {"BS": [b"\xff", b""]}}
    assert size_bound(item) >= item_size(item) == 1 + 3000 + 1 + 1
