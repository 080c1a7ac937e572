"""The generated `streams.py` (`dynamodel.runtime.streams`): a table key names its own entity
only and gives back its id, and a guard's key no entity (hypothesis, over both examples' key
templates); mypy --strict narrows changes by class in user code and in the iot example's
handler; `streams.py` is generated exactly for the tables with a stream. Records into
changes: tests/test_streams_changes.py."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamodel.runtime import streams as rs
from dynamodel.runtime.errors import InvalidKeyValueError
from tests.hostile_strategies import key_text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples" / "tracker" / "generated"))
sys.path.insert(0, str(ROOT / "examples" / "iot" / "generated"))

from fleet import Device  # noqa: E402
from fleet import streams as fleet_streams  # noqa: E402
from tracker import streams as tracker_streams  # noqa: E402

# -- keys alone name the entity: a property over both examples' key templates --------------

ID_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "str": key_text,
    "int": st.integers(min_value=-(10**20), max_value=10**20),
    "datetime": st.datetimes(timezones=st.just(UTC)),
    "date": st.dates(),
}
PARSERS: list[rs.StreamParser[Any]] = [fleet_streams.PARSER, tracker_streams.PARSER]
ENTITIES = [(parser, entity) for parser in PARSERS for entity in parser.entities]


def id_strategy(entity: rs.StreamEntity) -> st.SearchStrategy[dict[str, Any]]:
    types = {
        segment[0]: segment[1]
        for segment in (*entity.key.partition, *entity.key.sort)
        if isinstance(segment, tuple)
    }
    assert set(types) == set(entity.schema.id_attributes), entity.schema.name
    return st.fixed_dictionaries({name: ID_VALUES[kind] for name, kind in types.items()})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_table_key_matches_its_own_entity_only_and_gives_back_the_id(data: st.DataObject) -> None:
    parser, entity = data.draw(st.sampled_from(ENTITIES))
    id_values = data.draw(id_strategy(entity))
    try:
        key = entity.schema.key(**id_values)
    except InvalidKeyValueError:  # over DynamoDB's key size: never stored
        return
    partition, sort = key["PK"]["S"], key["SK"]["S"]
    matches = [e.schema.name for e in parser.entities if e.key.match(partition, sort) is not None]
    assert matches == [entity.schema.name]
    assert entity.key.match(partition, sort) == id_values
    assert not any(guard.match(partition, sort) for guard in parser.guards)
    record = {
        "eventID": "e",
        "eventName": "REMOVE",
        "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": key, "SequenceNumber": "1", "StreamViewType": "KEYS_ONLY"},
    }
    change = parser.parse_record(record)
    assert isinstance(change, entity.change) and change.id == id_values and change.old is None


@settings(max_examples=100, deadline=None)
@given(value=key_text)
def test_a_guard_key_matches_no_entity(value: str) -> None:
    key = (
        fleet_streams.PARSER._by_type["Device"]
        .schema.unique[0]
        .key(Device.model_construct(serial=value))
    )
    assert key is not None
    partition, sort = key["PK"]["S"], key["SK"]["S"]
    assert [g.match(partition, sort) for g in fleet_streams.PARSER.guards] == [{"serial": value}]
    assert not any(e.key.match(partition, sort) for e in fleet_streams.PARSER.entities)


# -- what mypy --strict makes of user code ---------------------------------------------------

USER_CODE = """
from typing import assert_type

from fleet import Alert, Site
from fleet.streams import AlertChange, AnyChange, SiteChange, parse_changes


def handle(change: AnyChange) -> str:
    match change:
        case AlertChange(new=Alert() as alert):
            assert_type(alert, Alert)
            return alert.status
        case SiteChange():
            assert_type(change.old, Site | None)
            return change.entity
    if isinstance(change, AlertChange):
        assert_type(change.new, Alert | None)
    return change.event_name


def handler(event: dict[str, object]) -> dict[str, list[dict[str, str]]]:
    batch = parse_changes(event)
    for change in batch.changes:
        handle(change)
    for skipped in batch.skipped:
        reason: str = skipped.reason
        print(reason, skipped)
    return batch.response(failed=batch.changes[0] if batch.changes else None)
"""


def test_mypy_strict_narrows_changes_by_class_in_user_code_and_the_example(
    tmp_path: Path,
) -> None:
    (tmp_path / "user_code.py").write_text(USER_CODE)
    example = ROOT / "examples" / "iot" / "lambda" / "alert_counter.py"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--ignore-missing-imports",
            str(tmp_path / "user_code.py"),
            str(example),
        ],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT / "examples" / "iot" / "generated")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- the generated module --------------------------------------------------------------------


def test_streams_py_is_generated_exactly_for_tables_with_a_stream() -> None:
    from dynamodel.compiler.codegen import default_package_name, generate_package
    from dynamodel.compiler.pipeline import compile_spec

    specs = sorted(ROOT.glob("examples/*/spec.yaml")) + sorted(
        ROOT.glob("tests/golden/*/spec.yaml")
    )
    seen = set()
    for spec_path in specs:
        design = compile_spec(spec_path.read_text(encoding="utf-8"), path="spec.yaml").design
        assert design is not None, spec_path
        package = default_package_name(design)
        files = generate_package(design, package=package)
        text = files.get(f"{package}/streams.py")
        stream = design.spec.table.stream
        assert (text is not None) == (stream is not None), spec_path
        if text is not None:
            seen.add(stream)
            view = {"keys_only": "KEYS_ONLY", "new_and_old_images": "NEW_AND_OLD_IMAGES"}[stream]
            assert f'STREAM_VIEW_TYPE = "{view}"' in text
            for entity in design.spec.entities:
                assert f"class {entity.name}Change(rs.Change[models.{entity.name}]):" in text
    assert seen == {"keys_only", "new_and_old_images"}
