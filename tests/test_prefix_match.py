"""Prefix match: a `str` attribute as the last `sort` part also takes `<attr>_prefix=`,
`begins_with` on the encoded key. A prefix never matches across the end of the value (into
the next key part) and escapes are exact: checked as a property of the key encoding and
against an oracle through a generated repository, with hostile strings (the delimiter, the
escape character, partial escapes, control characters, unicode, the empty prefix)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.runtime import keys
from tests.test_repository_oracle import fresh_repository, spec_package
from tests.test_requests_match_design import Recorder

# Characters that matter to the encoding: the delimiter, the escape, the characters around
# them, controls, and a few beyond ASCII.
HOSTILE = "#%$&'2300Aa\x00\x01 /é€😀"
text = st.text(alphabet=st.sampled_from(HOSTILE), max_size=6)


@settings(max_examples=400, deadline=None)
@given(value=text.filter(bool), prefix=text, tail=text.filter(bool))
def test_a_prefix_matches_exactly_the_values_it_begins(value: str, prefix: str, tail: str) -> None:
    encoded, wanted = keys.encode_str(value), keys.encode_str_prefix(prefix)
    assert encoded.startswith(wanted) == value.startswith(prefix)
    # In a key the value is followed by the next part: the prefix never reaches into it.
    key = keys.join("Note", encoded, keys.encode_str(tail))
    assert key.startswith(keys.join("Note", wanted)) == value.startswith(prefix)


SPEC = """\
version: 1
table: {name: Notes}
entities:
  Note:
    id: [owner, note_id]
    attributes: {owner: str, note_id: str, folder: str, title: str, rank: int}
access_patterns:
  notes_by_title: {entity: Note, by: [owner], sort: title}
  notes_by_folder_title: {entity: Note, by: [owner], sort: [folder, title], order: desc}
  notes_by_rank: {entity: Note, by: [owner], sort: rank}
"""

TITLES = ["a", "a#", "a#b", "a%", "a%23", "a%2", "ab", "b", "é", "éa", "€", "😀", "\x00", "a\x01"]


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "notes_prefix", SPEC)


def test_prefix_reads_equal_the_oracle(
    notes: ModuleType, dynamodb_client: Any, table_name: str
) -> None:
    recorder = Recorder(dynamodb_client)
    repo = fresh_repository(notes, recorder, table_name)
    written = []
    for number, title in enumerate(TITLES * 2):
        folder = "f#1" if number % 3 else "f"
        note = notes.Note(
            owner="o", note_id=f"n{number:02d}", folder=folder, title=title, rank=number
        )
        repo.create_note(note)
        written.append(note)
    for prefix in ["", "a", "a#", "a%", "a%2", "a%23", "é", "😀", "\x00", "#", "%", "zz"]:
        recorder.calls.clear()
        recorder.recording = True
        got = repo.notes_by_title(owner="o", title_prefix=prefix, limit=100).items
        recorder.recording = False
        assert [name for name, _ in recorder.calls] == ["query"]
        expected = sorted(
            (n for n in written if n.title.startswith(prefix)), key=lambda n: (n.title, n.note_id)
        )
        assert got == expected, prefix
        for folder in ("f", "f#1"):
            got = repo.notes_by_folder_title(
                owner="o", folder=folder, title_prefix=prefix, limit=100
            ).items
            expected = sorted(
                (n for n in written if n.folder == folder and n.title.startswith(prefix)),
                key=lambda n: (n.title, n.note_id),
                reverse=True,
            )
            assert got == expected, (folder, prefix)


def test_a_prefix_takes_no_range_and_needs_the_parts_before_it(notes: ModuleType) -> None:
    repo = notes.NotesRepository(client=object(), table_name="unused", cursor_key="k" * 32)
    with pytest.raises(ValueError, match="prefix or a range"):
        repo.notes_by_title(owner="o", title_prefix="a", title_from="a")
    with pytest.raises(ValueError, match="give folder"):
        repo.notes_by_folder_title(owner="o", title_prefix="a")
    with pytest.raises(TypeError):
        repo.notes_by_rank(owner="o", rank_prefix="1")  # only a str sort part takes a prefix
