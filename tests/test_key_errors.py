"""Key encoding errors: each rejection names the value (shortened), where it was used and why,
in full, and the attribute it names (moved out of the encoding's tests, tests/test_keys_*.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from dynamodel.runtime.errors import InvalidKeyValueError
from dynamodel.runtime.keys import (
    check_key_size,
    encode,
    encode_bool,
    encode_bytes,
    encode_date,
    encode_datetime,
    encode_number,
    encode_str,
    shard_of,
)

PROPERTY = settings(max_examples=300, deadline=None)

# ---------------------------------------------------------------------------------------------
# Strategies

# Characters around the delimiter, escape and range end, controls, and non-ASCII up to the
# astral planes; mixed with arbitrary non-surrogate characters.
TRICKY = ["#", "%", "$", " ", "!", '"', "&", "\x00", "\x1f", "~", "\x7f", "0", "A", "F", "a"]
TRICKY += ["é", "\u20ac", "\uffff", "\U0001f600", "\U0010ffff"]
CHARS = st.one_of(st.sampled_from(TRICKY), st.characters(exclude_categories=["Cs"]))
TEXT = st.text(CHARS, min_size=1, max_size=10)
# A tiny alphabet, so that equal strings and strings that are prefixes of each other are common.
SMALL_TEXT = st.text(st.sampled_from(["#", "%", "$", " ", "a", "é"]), min_size=1, max_size=4)
TEXTS = st.one_of(SMALL_TEXT, TEXT)


@pytest.mark.parametrize(
    ("call", "message", "attribute"),
    [
        (
            lambda: encode_str("", attribute="name"),
            "'' cannot be used in key attribute 'name': empty strings cannot be keys",
            "name",
        ),
        (lambda: encode_str(""), "'' cannot be used in a key: empty strings cannot be keys", None),
        (
            lambda: encode_str(5, attribute="name"),
            "5 cannot be used in key attribute 'name': expected str, got int",
            "name",
        ),
        (
            lambda: encode_str("a\ud800", attribute="name"),
            "'a\\ud800' cannot be used in key attribute 'name': contains a lone surrogate "
            "(not valid UTF-8)",
            "name",
        ),
        (
            lambda: encode_bool(1, attribute="flag"),
            "1 cannot be used in key attribute 'flag': expected bool, got int",
            "flag",
        ),
        (
            lambda: encode_date("2024-01-01", attribute="day"),
            "'2024-01-01' cannot be used in key attribute 'day': expected date, got str",
            "day",
        ),
        (
            lambda: encode_bytes("00", attribute="blob"),
            "'00' cannot be used in key attribute 'blob': expected bytes, got str",
            "blob",
        ),
        (
            lambda: encode_bytes(b"", attribute="blob"),
            "b'' cannot be used in key attribute 'blob': empty bytes cannot be keys",
            "blob",
        ),
        (
            lambda: encode("decimal", Decimal("-1E-131"), attribute="d"),
            "Decimal('-1E-131') cannot be used in key attribute 'd': outside DynamoDB's number "
            "range (magnitude 1E-130 .. 9.99...E+125)",
            "d",
        ),
        (
            lambda: encode("int", True, attribute="n"),
            "True cannot be used in key attribute 'n': expected int, got bool",
            "n",
        ),
        (
            lambda: check_key_size("a\ud800", limit=2048, attribute="PK"),
            "'a\\ud800' cannot be used in key attribute 'PK': contains a lone surrogate "
            "(not valid UTF-8)",
            "PK",
        ),
        (
            lambda: check_key_size("", limit=1024, attribute="SK"),
            "'' cannot be used in key attribute 'SK': DynamoDB key values cannot be empty",
            "SK",
        ),
        (
            lambda: encode_number(10**38 + 1, attribute="n"),
            "100000000000000000000000000000000000001 cannot be used in key attribute 'n': "
            "more than 38 significant digits",
            "n",
        ),
        (
            lambda: encode_number(Decimal("1E+126"), attribute="n"),
            "Decimal('1E+126') cannot be used in key attribute 'n': outside DynamoDB's number "
            "range (magnitude 1E-130 .. 9.99...E+125)",
            "n",
        ),
        (
            lambda: encode_number(2**420, attribute="n"),
            f"{str(2**420)[:57]}... cannot be used in key attribute 'n': outside "
            "DynamoDB's number range (magnitude 1E-130 .. 9.99...E+125)",
            "n",
        ),
        (
            lambda: encode_number(True, attribute="n"),
            "True cannot be used in key attribute 'n': bool is not a number key",
            "n",
        ),
        (
            lambda: encode_number(float("nan"), attribute="x"),
            "nan cannot be used in key attribute 'x': NaN and infinity cannot be keys",
            "x",
        ),
        (
            lambda: encode_number(Decimal("-Infinity"), attribute="x"),
            "Decimal('-Infinity') cannot be used in key attribute 'x': NaN and infinity "
            "cannot be keys",
            "x",
        ),
        (
            lambda: encode_number("1", attribute="x"),  # type: ignore[arg-type]
            "'1' cannot be used in key attribute 'x': expected a number, got str",
            "x",
        ),
        (
            lambda: encode_datetime(date(2024, 1, 1), attribute="at"),
            "datetime.date(2024, 1, 1) cannot be used in key attribute 'at': expected "
            "datetime, got date",
            "at",
        ),
        (
            lambda: encode_datetime(datetime(2024, 1, 1), attribute="at"),
            "datetime.datetime(2024, 1, 1, 0, 0) cannot be used in key attribute 'at': naive "
            "datetime; give it a time zone",
            "at",
        ),
        (
            lambda: encode_datetime(
                datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))), attribute="at"
            ),
            f"{repr(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))))[:57]}... "
            "cannot be used in key attribute 'at': outside years 1..9999 once converted to UTC",
            "at",
        ),
        (
            lambda: check_key_size("é" * 513, limit=1024, attribute="SK"),
            f"key attribute 'SK' is 1026 bytes in UTF-8, over the limit of 1024 bytes: "
            f"{repr('é' * 513)[:57]}...",
            "SK",
        ),
        (
            lambda: shard_of("\udc00", shards=4),
            "'\\udc00' cannot be used in a key: contains a lone surrogate (not valid UTF-8)",
            None,
        ),
    ],
)
def test_rejections_say_what_where_and_why(call: Any, message: str, attribute: str | None) -> None:
    with pytest.raises(InvalidKeyValueError) as info:
        call()
    assert str(info.value) == message
    assert info.value.attribute == attribute


def test_values_are_shown_whole_up_to_60_characters_then_cut_to_57_and_dots() -> None:
    whole = "x" * 58  # its repr, with the quotes, is 60 characters
    with pytest.raises(InvalidKeyValueError) as info:
        encode_number(whole)  # type: ignore[arg-type]
    assert str(info.value) == f"'{whole}' cannot be used in a key: expected a number, got str"
    cut = "x" * 59  # 61 characters: shown as its first 57, then "..."
    with pytest.raises(InvalidKeyValueError) as info:
        encode_number(cut)  # type: ignore[arg-type]
    shown = ("'" + cut)[:57] + "..."
    assert str(info.value) == f"{shown} cannot be used in a key: expected a number, got str"


def test_the_local_time_zone_of_the_process_does_not_change_datetime_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    value = datetime(2024, 3, 1, 1, 2, 3, tzinfo=timezone(timedelta(hours=2)))
    try:
        monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30, whatever the machine runs in
        time.tzset()
        assert encode_datetime(value) == "2024-02-29T23:02:03.000000Z"
    finally:
        monkeypatch.undo()
        time.tzset()
