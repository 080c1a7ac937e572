"""DynamoDB's documented key and number limits, pinned as literals (never as the module's
constants, so a wrong constant fails here):

- a partition key is at most 2,048 bytes, a sort key at most 1,024 bytes, counted in UTF-8;
- a number has at most 38 significant digits and a magnitude from 1E-130 up to
  9.9999999999999999999999999999999999999E+125;
- a key is UTF-8, so a lone surrogate can be neither a key nor hashed to a shard;
- a range's upper bound is the prefix followed by "$", the character right after "#".

The key sizes are checked end to end through the tracker's generated repository on moto
in-process (a key at the limit is written and read back; one byte over is refused before any
request), and directly on `check_key_size`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from dynamodel import InvalidKeyValueError
from dynamodel.runtime.key_decoding import decode_number
from dynamodel.runtime.keys import (
    check_key_size,
    encode_number,
    encode_str,
    join,
    shard_of,
    upper_bound,
)
from tests.hostile_fixtures import (
    NOW,
    Client,
    Requests,
    client_fixture,  # noqa: F401  (the pytest fixture "client")
    fresh,
    raised,
    requests_fixture,  # noqa: F401  (the pytest fixture "requests")
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))

from tracker import Membership, TrackerRepository, Workspace

PARTITION_KEY_BYTES = 2048  # DynamoDB: partition key values, 1 to 2,048 bytes
SORT_KEY_BYTES = 1024  # DynamoDB: sort key values, 1 to 1,024 bytes
TOP = Decimal("9.9999999999999999999999999999999999999E+125")  # 38 nines: the largest number
NEGATIVE_TOP = Decimal("-9.9999999999999999999999999999999999999E+125")  # (unary minus rounds)
BOTTOM = Decimal("1E-130")  # the smallest positive number


# -- key sizes, end to end ------------------------------------------------------------------


def _workspace(value: str) -> tuple[Callable[[TrackerRepository], object], Callable[..., bool]]:
    def write(repo: TrackerRepository) -> object:
        return repo.create_workspace(Workspace(workspace_id=value, name="n"))

    def read_back(repo: TrackerRepository) -> bool:
        return repo.get_workspace(workspace_id=value, consistent=True) is not None

    return write, read_back


def _membership(value: str) -> tuple[Callable[[TrackerRepository], object], Callable[..., bool]]:
    def write(repo: TrackerRepository) -> object:
        member = Membership(workspace_id="w", user_id=value, role="member", joined_at=NOW)
        return repo.create_membership(member)

    def read_back(repo: TrackerRepository) -> bool:
        listed = repo.members_of_workspace(workspace_id="w").items
        return [m.user_id for m in listed] == [value]

    return write, read_back


# The key, its limit, how a value lands in it, and a value of some multi-byte characters that
# makes the key `limit + excess` bytes long ("é" is 2 UTF-8 bytes, "€" is 3).
KEYS = {
    "PK": (2048, _workspace, lambda excess: "é" * 1000 + "x" * (2048 - 10 - 2000 + excess)),
    "SK": (1024, _membership, lambda excess: "€" * 300 + "y" * (1024 - 11 - 900 + excess)),
}


@pytest.mark.parametrize("excess", [0, 1])
@pytest.mark.parametrize("attribute", sorted(KEYS))
def test_a_key_at_the_limit_is_written_and_one_byte_over_refused_unsent(
    client: Client, requests: Requests, attribute: str, excess: int
) -> None:
    limit, case, value_of = KEYS[attribute]
    value = value_of(excess)
    tag = "Workspace#" if attribute == "PK" else "Membership#"  # what the key adds to the value
    assert len((tag + value).encode("utf-8")) == limit + excess
    write, read_back = case(value)
    repo = fresh(TrackerRepository, client, requests)
    requests.clear()
    if excess == 0:
        write(repo)
        assert read_back(repo)
        return
    error = raised(lambda: write(repo))
    assert isinstance(error, InvalidKeyValueError), repr(error)
    assert error.attribute == attribute
    assert f"is {limit + 1} bytes" in str(error) and f"limit of {limit} bytes" in str(error)
    assert requests.calls == []


@pytest.mark.parametrize(
    ("key", "limit", "fits"),
    [
        ("a" * 2048, 2048, True),
        ("a" * 2049, 2048, False),
        ("é" * 512, 1024, True),  # 512 characters, 1,024 bytes
        ("é" * 512 + "a", 1024, False),
        ("\U0001f600" * 256, 1024, True),  # 4 bytes each
    ],
)
def test_check_key_size_counts_utf8_bytes_against_the_literal_limit(
    key: str, limit: int, fits: bool
) -> None:
    if fits:
        assert check_key_size(key, limit=limit, attribute="PK") == key
    else:
        with pytest.raises(InvalidKeyValueError, match=f"over the limit of {limit} bytes"):
            check_key_size(key, limit=limit, attribute="PK")


# -- lone surrogates ------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["\ud800", "User#\udfff", "é\ud83d"])
def test_check_key_size_refuses_a_lone_surrogate_typed(key: str) -> None:
    with pytest.raises(InvalidKeyValueError, match="surrogate") as info:
        check_key_size(key, limit=2048, attribute="GSI1PK")
    assert info.value.attribute == "GSI1PK"


@pytest.mark.parametrize("key", ["\ud800", "Reading#\udfff#1", "é\ud83d"])
def test_shard_of_refuses_a_lone_surrogate_typed(key: str) -> None:
    with pytest.raises(InvalidKeyValueError, match="surrogate"):
        shard_of(key, shards=4)


# -- the number range -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        TOP,
        NEGATIVE_TOP,
        BOTTOM,
        -BOTTOM,
        # The largest int DynamoDB stores: 38 nines, then 88 zeros (= TOP).
        (10**38 - 1) * 10**88,
        -((10**38 - 1) * 10**88),
        9 * 10**125,  # 419 bits, in range
        10**125,
        10**38 - 1,  # 38 digits, exactly
        -(10**38 - 1),
        10**38,  # 39 digits but 1 significant digit
        -(10**38),
        Decimal("0.99999999999999999999999999999999999999E-129"),  # 38 digits at the bottom
    ],
)
def test_the_ends_of_dynamodbs_number_range_are_keys(value: int | Decimal) -> None:
    assert decode_number(encode_number(value)) == value


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1E+126"),
        -Decimal("1E+126"),
        10**126,
        -(10**126),
        2**419,  # 1.35E+126
        Decimal("9.99E-131"),
        -Decimal("1E-131"),
        float("1e126"),
    ],
)
def test_just_outside_the_number_range_is_refused(value: int | float | Decimal) -> None:
    with pytest.raises(InvalidKeyValueError, match="outside DynamoDB's number range"):
        encode_number(value)


@pytest.mark.parametrize(
    "value",
    [
        10**38 + 1,  # 39 significant digits
        Decimal("9.99999999999999999999999999999999999999E+125"),  # 39 nines
        Decimal("1." + "0" * 37 + "1E-100"),  # 39 digits
    ],
)
def test_more_than_38_significant_digits_are_refused(value: int | Decimal) -> None:
    with pytest.raises(InvalidKeyValueError, match="38 significant digits"):
        encode_number(value)


def test_the_top_of_the_range_sorts_last_and_its_negation_first() -> None:
    near_top = Decimal("9.9999999999999999999999999999999999998E+125")
    assert encode_number(near_top) < encode_number(TOP)
    assert encode_number(10**125) < encode_number(9 * 10**125) < encode_number(TOP)
    negative_near_top = Decimal("-9.9999999999999999999999999999999999998E+125")
    assert encode_number(NEGATIVE_TOP) < encode_number(negative_near_top)
    assert encode_number(negative_near_top) < encode_number(-BOTTOM)
    assert encode_number(-BOTTOM) < encode_number(0) < encode_number(BOTTOM)


# -- the range end --------------------------------------------------------------------------


def test_the_upper_bound_of_a_prefix_is_the_prefix_and_a_dollar_sign() -> None:
    prefix = join("Ticket", encode_str("w1"))
    assert upper_bound(prefix) == "Ticket#w1$"
    assert upper_bound("") == "$"
    # "$" is the character right after the delimiter "#": every longer key of the prefix is
    # inside the bound, and the next value of the segment is outside.
    assert ord("$") == ord("#") + 1
    assert join(prefix, encode_str("~~~~")) < upper_bound(prefix) < join("Ticket", "w1%")
