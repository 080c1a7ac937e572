"""The keys of signed page cursors (dynamodel.runtime.paging): keys from the environment, a
per-process key without any, empty and short keys refused; a cursor bound to its table, a
maximum age, and rotation keeping both."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from dynamodel.runtime import paging
from dynamodel.runtime.paging import CURSOR_KEY_ENV, CursorSigner
from tests.paging_support import ARGS, KEY, NEW_KEY, OLD_KEY, PATTERN, STATE, _rejected

# -- keys from the environment ---------------------------------------------------------------


def test_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CURSOR_KEY_ENV, f"{NEW_KEY}, {OLD_KEY}")
    signer = CursorSigner()
    assert not signer.is_ephemeral
    previous = CursorSigner(OLD_KEY).encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert signer.decode(previous, pattern=PATTERN, arguments=ARGS) == STATE
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert CursorSigner(NEW_KEY).decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE


def test_blank_environment_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CURSOR_KEY_ENV, " , ")
    with pytest.raises(ValueError, match=CURSOR_KEY_ENV):
        CursorSigner()


def test_without_any_key_a_per_process_key_is_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(CURSOR_KEY_ENV, raising=False)
    paging._process_key.cache_clear()
    with caplog.at_level(logging.WARNING, logger=paging.__name__):
        first, second = CursorSigner(), CursorSigner()
    assert first.is_ephemeral
    assert [r.levelno for r in caplog.records] == [logging.WARNING]  # logged once
    message = caplog.records[0].getMessage()
    assert CURSOR_KEY_ENV in message
    # What users pass: the generated repository's `cursor_key=`, not CursorSigner's `keys=`.
    assert "cursor_key=" in message and "keys=" not in message.replace("cursor_key=", "")
    cursor = first.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert second.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE
    _rejected(CursorSigner(KEY), cursor)
    paging._process_key.cache_clear()  # another process: a new key
    _rejected(CursorSigner(), cursor)


@pytest.mark.parametrize("keys", [[], [""], [b""], "", [KEY, ""]])
def test_empty_keys_are_refused(keys: Any) -> None:
    with pytest.raises(ValueError):
        CursorSigner(keys)


# -- key strength, table binding, maximum age (issue 11, finding 7) --------------------------


@pytest.mark.parametrize("length", [1, 16, 31])
def test_keys_under_32_bytes_are_refused_with_advice(length: int) -> None:
    for key in (b"x" * length, "x" * length, [KEY, b"x" * length]):
        with pytest.raises(ValueError, match=r"at least 32 bytes") as caught:
            CursorSigner(key)
        assert "secrets.token_urlsafe(32)" in str(caught.value)
    CursorSigner(b"x" * 32)  # 32 bytes is enough
    CursorSigner("é" * 16)  # a str key counts its UTF-8 bytes: 32


def test_a_short_key_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CURSOR_KEY_ENV, f"{NEW_KEY},short")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        CursorSigner()


def test_a_cursor_of_another_table_is_refused_with_the_same_key() -> None:
    production = CursorSigner(KEY, table="Tracker-prod")
    staging = CursorSigner(KEY, table="Tracker-staging")
    cursor = production.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert production.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE
    assert _rejected(staging, cursor).reason == "cursor belongs to another table"
    assert _rejected(CursorSigner(KEY), cursor).reason == "cursor belongs to another table"


def test_cursors_older_than_the_maximum_age_are_refused() -> None:
    now = [1_000_000.0]
    signer = CursorSigner(KEY, max_age=timedelta(minutes=10), clock=lambda: now[0])
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    now[0] += 600  # exactly the maximum age: still valid
    assert signer.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE
    now[0] += 1
    assert _rejected(signer, cursor).reason == "cursor has expired"
    # Without a maximum age the same cursor, a day old, still resumes.
    now[0] += 86_400
    unlimited = CursorSigner(KEY, clock=lambda: now[0])
    assert unlimited.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE


def test_the_issue_time_is_signed_so_it_cannot_be_refreshed() -> None:
    now = [2_000_000.0]
    signer = CursorSigner(KEY, max_age=timedelta(seconds=60), clock=lambda: now[0])
    cursor = signer.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    encoded_payload, signature = cursor.split(".")
    payload = json.loads(paging._b64decode(encoded_payload))
    assert payload["i"] == 2_000_000 and payload["t"] == ""
    now[0] += 3600
    refreshed = json.dumps({**payload, "i": int(now[0])}, separators=(",", ":")).encode()
    error = _rejected(signer, f"{paging._b64encode(refreshed)}.{signature}")
    assert error.reason == "cursor signature is invalid"


@pytest.mark.parametrize("age", [timedelta(0), timedelta(seconds=-1)])
def test_a_non_positive_maximum_age_is_refused(age: timedelta) -> None:
    with pytest.raises(ValueError, match="max_age"):
        CursorSigner(KEY, max_age=age)


def test_rotation_keeps_table_binding_and_age() -> None:
    now = [0.0]
    old = CursorSigner(OLD_KEY, table="T", clock=lambda: now[0])
    rotating = CursorSigner([NEW_KEY, OLD_KEY], table="T", max_age=timedelta(hours=1))
    rotating = CursorSigner(
        [NEW_KEY, OLD_KEY], table="T", max_age=timedelta(hours=1), clock=lambda: now[0]
    )
    cursor = old.encode(pattern=PATTERN, arguments=ARGS, state=STATE)
    assert rotating.decode(cursor, pattern=PATTERN, arguments=ARGS) == STATE
    now[0] += 3601
    assert _rejected(rotating, cursor).reason == "cursor has expired"
