"""Sample data (`dynamodel.compiler.samples`): the items it predicts are exactly what the
generated repository stores, and the records are shaped to show the design.

The oracle: for every example and golden case, the package is generated, every sample record
is created through the generated repository on moto (in-process), the table is scanned, and
the scanned items must equal `SampleData.items` exactly — keys, GSI keys (sparse ones only
where their conditions hold), shard numbers, `_type`, versions, TTL epochs, unique guards.
The HTML report's grids and the NoSQL Workbench export are built from these items.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from moto import mock_aws

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.names import repository_class_name, snake_case
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.compiler.samples import SampleData, sample_data
from dynamodel.runtime.stamps import INCARNATION_ATTRIBUTE
from tests.backends import REGION, client_for
from tests.spec_strategies import to_yaml, valid_specs
from tests.test_repository_oracle import load_package

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(ROOT.glob("examples/*/spec.yaml")) + sorted(ROOT.glob("tests/golden/*/spec.yaml"))


def _design(path: Path) -> Design:
    result = compile_spec(path.read_text(encoding="utf-8"))
    assert result.design is not None, result.rendered()
    return result.design


def _normal(value: Any) -> Any:
    """An AttributeValue with set members in a fixed order: DynamoDB sets have none."""
    if isinstance(value, dict):
        out = {}
        for tag, inner in value.items():
            if tag in ("SS", "BS"):
                out[tag] = sorted(inner)
            elif tag == "NS":
                out[tag] = sorted(inner, key=Decimal)
            elif tag == "B":
                out[tag] = bytes(inner)
            else:
                out[tag] = _normal(inner)
        return out
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _by_key(items: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    keyed = {(i["PK"]["S"], i["SK"]["S"]): _normal(i) for i in items}
    assert len(keyed) == len(items), "two items share a table key"
    return keyed


def _scan(client: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**request)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def write_samples(samples: SampleData, package: Any, repo: Any) -> None:
    """What `SampleData.creates()` documents: one create per record of a non-member entity."""
    for entity, record in samples.creates():
        model = getattr(package, entity)
        getattr(repo, f"create_{snake_case(entity)}")(model(**record))


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.parent.name)
def test_items_are_what_the_generated_repository_writes(spec_path: Path, tmp_path: Path) -> None:
    design, package = load_package(spec_path, tmp_path)
    samples = sample_data(design)
    assert samples.items, "no sample items"
    with mock_aws():
        client = client_for("moto")
        repo_class = getattr(package, repository_class_name(design.table_name))
        repo = repo_class(client=client, table_name=f"samples-{spec_path.parent.name}")
        repo.create_table()
        write_samples(samples, package, repo)
        plain = boto3.client("dynamodb", region_name=REGION)
        stored = _by_key(_scan(plain, f"samples-{spec_path.parent.name}"))
    expected = _by_key([dict(s.item) for s in samples.items])
    assert sorted(stored) == sorted(expected), "different item keys"
    _predicted_incarnations(stored, expected)
    for key, item in expected.items():
        assert stored[key] == item, key


def _predicted_incarnations(
    stored: dict[tuple[str, str], dict[str, Any]], expected: dict[tuple[str, str], dict[str, Any]]
) -> None:
    """A source of copies gets a random `_incarnation` (a ULID) when it is created; the samples
    predict one of their own. Each stored incarnation must be a fresh ULID, distinct per item;
    it is replaced by the predicted one, in the source's item and in every holder's stamp
    (`_copy_<Source>`: incarnation, then version), so that the stamps must name their source."""
    renamed: dict[str, str] = {}
    for key, item in stored.items():
        if INCARNATION_ATTRIBUTE in item:
            actual = item[INCARNATION_ATTRIBUTE]["S"]
            assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", actual), actual
            assert actual not in renamed, "two sources share an incarnation"
            assert INCARNATION_ATTRIBUTE in expected[key], key
            renamed[actual] = expected[key][INCARNATION_ATTRIBUTE]["S"]
            item[INCARNATION_ATTRIBUTE] = {"S": renamed[actual]}
    for item in stored.values():
        for name, value in item.items():
            if name.startswith("_copy_") and "S" in value:
                incarnation, _, version = value["S"].partition(".")
                assert incarnation in renamed, f"{name} names no stored source"
                item[name] = {"S": f"{renamed[incarnation]}.{version}"}


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.parent.name)
def test_every_entity_has_its_records(spec_path: Path) -> None:
    design = _design(spec_path)
    samples = sample_data(design, per_entity=4)
    for entity in design.spec.entities:
        records = samples.objects[entity.name]
        wanted = min(4, _distinct_ids(entity))
        assert len(records) == wanted, entity.name
        ids = {tuple(r[n] for n in entity.id_names) for r in records}
        assert len(ids) == wanted, f"{entity.name}: ids repeat"
        for composite in entity.unique:
            values = [tuple(r[c.name] for c in composite) for r in records]
            present = [v for v in values if None not in v]
            assert len(set(present)) == len(present), f"{entity.name}: unique values repeat"
        own = [s for s in samples.items if s.entity == entity.name and not s.guard]
        assert len(own) == wanted, entity.name


def _distinct_ids(entity: Any) -> int:
    """How many ids the entity can have: bounded when every id attribute is an enum or bool
    (a settings item per region), else as many as asked for."""
    count = 1
    for name in entity.id_names:
        attribute = entity.attribute(name)
        if attribute.enum:
            count *= len(attribute.enum)
        elif attribute.type.base == "bool":
            count *= 2
        else:
            return 1_000_000
    return count


def test_tracker_samples_show_the_design() -> None:
    design = _design(ROOT / "examples/tracker/spec.yaml")
    samples = sample_data(design)
    workspaces = [r["workspace_id"] for r in samples.objects["Workspace"]]
    assert workspaces == ["workspace-1", "workspace-2", "workspace-3"]
    # Memberships and tickets refer to existing workspaces, mostly the first: its partition
    # (the workspace_overview view) holds the workspace and several memberships.
    memberships = [r["workspace_id"] for r in samples.objects["Membership"]]
    tickets = [r["workspace_id"] for r in samples.objects["Ticket"]]
    assert set(memberships) | set(tickets) <= set(workspaces)
    partitions = Counter(s.item["PK"]["S"] for s in samples.items)
    assert partitions["Workspace#workspace-1"] >= 3
    users = {r["user_id"] for r in samples.objects["User"]}
    assert {r["user_id"] for r in samples.objects["Membership"]} <= users
    # Unique values are distinct and read naturally; every user has its guard item.
    emails = [r["email"] for r in samples.objects["User"]]
    assert emails == ["user1@example.com", "user2@example.com", "user3@example.com"]
    assert len(samples.items_of("User", guards=True)) == 3
    # Enums cycle, so the sparse open_tickets index (status = open) holds some tickets, not all.
    statuses = [r["status"] for r in samples.objects["Ticket"]]
    assert statuses == ["open", "in_progress", "closed"]
    in_gsi3 = [s for s in samples.items_of("Ticket") if "GSI3PK" in s.item]
    assert 0 < len(in_gsi3) < len(statuses)
    # An optional attribute is missing from some records: GSI2 (by assignee) is sparse too.
    assignees = [r["assignee_id"] for r in samples.objects["Ticket"]]
    assert None in assignees and any(a is not None for a in assignees)
    in_gsi2 = [s for s in samples.items_of("Ticket") if "GSI2PK" in s.item]
    assert len(in_gsi2) == sum(a is not None for a in assignees)
    # Members carry their root's id and sit in its partition; the TTL is copied from it.
    for record in samples.objects["ChecklistItem"]:
        key = (record["workspace_id"], record["ticket_no"])
        assert key in {(t["workspace_id"], t["ticket_no"]) for t in samples.objects["Ticket"]}
    tickets_created = [r for e, r in samples.creates() if e == "Ticket"]
    assert sum(len(t["checklist"]) for t in tickets_created) == 3
    assert [len(t["checklist"]) for t in tickets_created] == [2, 1, 0]
    # Datetimes are distinct fixed instants; titles read naturally.
    instants = [r["updated_at"] for r in samples.objects["Ticket"]]
    assert len(set(instants)) == 3 and all(i.tzinfo is not None for i in instants)
    assert [r["title"] for r in samples.objects["Ticket"]] == ["Ticket 1", "Ticket 2", "Ticket 3"]


def test_sparse_where_values_are_hit_by_some_records() -> None:
    design = _design(ROOT / "tests/golden/typed_where/spec.yaml")
    samples = sample_data(design, per_entity=4)
    things = samples.items_of("Thing")
    for index in ("GSI1", "GSI2", "GSI3", "GSI4"):
        if any(i.name == index for i in design.indexes):
            inside = [s for s in things if f"{index}PK" in s.item]
            assert 0 < len(inside) < len(things), index


def test_the_same_samples_every_time_in_every_process() -> None:
    """Set iteration order depends on PYTHONHASHSEED; the samples must not."""
    script = (
        "import json, sys; from pathlib import Path\n"
        "from dynamodel.compiler.pipeline import compile_spec\n"
        "from dynamodel.compiler.samples import sample_data\n"
        "def canon(v):\n"
        "    if isinstance(v, set): return ('set', sorted(v))\n"
        "    if isinstance(v, dict): return {k: canon(x) for k, x in v.items()}\n"
        "    if isinstance(v, (list, tuple)): return [canon(x) for x in v]\n"
        "    return v\n"
        "out = []\n"
        "for p in sys.argv[1:]:\n"
        "    d = compile_spec(Path(p).read_text()).design\n"
        "    s = sample_data(d)\n"
        "    out.append(repr([(i.entity, i.guard, dict(i.item)) for i in s.items]))\n"
        "    out.append(repr(canon(s.creates())))\n"
        "print(json.dumps(out))\n"
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, *map(str, SPECS)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())


def test_the_seed_changes_values_not_shapes() -> None:
    design = _design(ROOT / "examples/iot/spec.yaml")
    first, second = sample_data(design, seed=0), sample_data(design, seed=1)
    assert [r["firmware"] for r in first.objects["Device"]] == [
        r["firmware"] for r in second.objects["Device"]
    ]
    assert first.objects["Reading"] != second.objects["Reading"]  # numbers differ
    assert [s.item["PK"] for s in first.items] == [s.item["PK"] for s in second.items]


def test_records_are_copies() -> None:
    design = _design(ROOT / "examples/tracker/spec.yaml")
    samples = sample_data(design)
    _, record = samples.creates()[0]
    record["name"] = "changed"
    assert samples.creates()[0][1]["name"] != "changed"
    with pytest.raises(TypeError):
        samples.objects["Workspace"][0]["name"] = "changed"  # type: ignore[index]


def test_no_records_and_bad_counts() -> None:
    design = _design(ROOT / "examples/tracker/spec.yaml")
    empty = sample_data(design, per_entity=0)
    assert empty.items == () and all(not r for r in empty.objects.values())
    with pytest.raises(ValueError, match="per_entity"):
        sample_data(design, per_entity=-1)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(valid_specs())
def test_random_specs_get_consistent_samples(spec: dict[str, Any]) -> None:
    result = compile_spec(to_yaml(spec))
    if result.design is None:
        return  # only the GSI limit can stop a valid spec
    design = result.design
    samples = sample_data(design, per_entity=3)
    again = sample_data(design, per_entity=3)
    assert samples.items == again.items
    keys = [(s.item["PK"]["S"], s.item["SK"]["S"]) for s in samples.items]
    assert len(keys) == len(set(keys)), "two sample items share a table key"
    for entity in design.spec.entities:
        own = [s for s in samples.items if s.entity == entity.name and not s.guard]
        assert len(own) == len(samples.objects[entity.name])
        for index in design.indexes:
            # A GSI key is written whole or not at all.
            for s in own:
                assert (index.partition_key in s.item) == (index.sort_key in s.item)
    created = samples.creates()
    top = [e for e in design.spec.entities if design.spec.root_of(e.name) is None]
    assert len(created) == sum(len(samples.objects[e.name]) for e in top)
