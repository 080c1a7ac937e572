"""The NoSQL Workbench export (`emit/workbench.py`): the v3.0 model format's structure, the
design's keys and GSIs, and the sample items (exactly `SampleData.items`, which
`test_samples.py` proves are what the generated repository writes) in the facets, each once
(as Workbench's own exports keep them: no table-level `TableData`); provisioned auto scaling
blocks; an attribute name two entities store as different types."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.json_text import dumps_indented
from dynamodel.compiler.emit.workbench import (
    AUTO_SCALING_ROLE,
    emit_workbench,
    item_text,
    json_item,
    left_out,
)
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.compiler.samples import sample_data

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(ROOT.glob("examples/*/spec.yaml")) + sorted(ROOT.glob("tests/golden/*/spec.yaml"))
TYPES = {"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"}


def _design(path: Path) -> Design:
    result = compile_spec(path.read_text(encoding="utf-8"), path=path.name)
    assert result.design is not None, result.rendered()
    return result.design


def _key(name: str) -> dict[str, str]:
    return {"AttributeName": name, "AttributeType": "S"}


def _table(design: Design) -> dict[str, Any]:
    model = json.loads(emit_workbench(design))
    assert list(model) == ["ModelName", "ModelMetadata", "DataModel"]
    assert model["ModelName"] == design.table_name
    metadata = model["ModelMetadata"]
    assert set(metadata) == {
        "Author",
        "DateCreated",
        "DateLastModified",
        "Description",
        "AWSService",
        "Version",
    }
    assert metadata["AWSService"] == "Amazon DynamoDB" and metadata["Version"] == "3.0"
    assert len(model["DataModel"]) == 1
    table: dict[str, Any] = model["DataModel"][0]
    required = {
        "TableName",
        "KeyAttributes",
        "NonKeyAttributes",
        "TableFacets",
        "GlobalSecondaryIndexes",
        "DataAccess",
        "BillingMode",
    }
    assert required <= set(table)
    assert "TableData" not in table, "items belong in the facets only, as Workbench keeps them"
    return table


def _items(table: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of the model: the facets' `TableData`, together."""
    return [item for facet in table["TableFacets"] for item in facet["TableData"]]


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.parent.name)
def test_keys_and_indexes_are_the_designs(spec_path: Path) -> None:
    design = _design(spec_path)
    table = _table(design)
    assert table["TableName"] == design.table_name
    assert table["KeyAttributes"] == {
        "PartitionKey": _key(design.partition_key),
        "SortKey": _key(design.sort_key),
    }
    assert table["GlobalSecondaryIndexes"] == [
        {
            "IndexName": gsi.name,
            "KeyAttributes": {
                "PartitionKey": _key(gsi.partition_key),
                "SortKey": _key(gsi.sort_key),
            },
            "Projection": {"ProjectionType": "ALL"},
        }
        for gsi in design.indexes
    ]
    settings = design.spec.table
    if settings.billing == "provisioned":
        assert table["BillingMode"] == "PROVISIONED"
        capacity = table["ProvisionedCapacitySettings"]
        assert list(capacity) == ["ProvisionedThroughput", "AutoScalingRead", "AutoScalingWrite"]
        assert capacity["ProvisionedThroughput"] == {
            "ReadCapacityUnits": settings.read_capacity,
            "WriteCapacityUnits": settings.write_capacity,
        }
        # As Workbench writes them, pinned to the template's fixed capacity.
        for block, units in (
            ("AutoScalingRead", settings.read_capacity),
            ("AutoScalingWrite", settings.write_capacity),
        ):
            assert capacity[block] == {
                "ScalableTargetRequest": {
                    "MinCapacity": units,
                    "MaxCapacity": units,
                    "ServiceRole": AUTO_SCALING_ROLE,
                },
                "ScalingPolicyConfiguration": {"TargetValue": 70},
            }
    else:
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert "ProvisionedCapacitySettings" not in table


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.parent.name)
def test_the_facets_hold_every_sample_item_once(spec_path: Path) -> None:
    design = _design(spec_path)
    samples = sample_data(design)
    table = _table(design)
    omitted = left_out(design)
    facets = {f["FacetName"]: f for f in table["TableFacets"]}
    assert len(facets) == len(table["TableFacets"]), "facet names repeat"
    covered = []
    for entity in design.entities:
        facet = facets[entity.name]
        assert set(facet) == {
            "FacetName",
            "KeyAttributeAlias",
            "TableData",
            "NonKeyAttributes",
            "DataAccess",
        }
        assert facet["KeyAttributeAlias"] == {
            "PartitionKeyAlias": entity.table_key.partition.render(),
            "SortKeyAlias": entity.table_key.sort.render(),
        }
        own = samples.items_of(entity.name)
        leave_out = omitted.get(entity.name, frozenset())
        assert facet["TableData"] == [json_item(s, leave_out=leave_out) for s in own]
        covered += [json_item(s) for s in own]
        names = {n for s in own for n in s.item} - {design.partition_key, design.sort_key}
        assert set(facet["NonKeyAttributes"]) == names - leave_out
        guards = samples.items_of(entity.name, guards=True)
        if entity.unique_guards:
            assert facets[f"{entity.name}_unique"]["TableData"] == [json_item(s) for s in guards]
            covered += facets[f"{entity.name}_unique"]["TableData"]
        else:
            assert not guards
    assert len(facets) == len(design.entities) + sum(1 for e in design.entities if e.unique_guards)
    every = [json_item(s) for s in samples.items]
    assert sorted(map(json.dumps, covered)) == sorted(map(json.dumps, every))


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.parent.name)
def test_every_stored_attribute_is_declared_with_its_type(spec_path: Path) -> None:
    design = _design(spec_path)
    table = _table(design)
    declared = {a["AttributeName"]: a["AttributeType"] for a in table["NonKeyAttributes"]}
    assert len(declared) == len(table["NonKeyAttributes"]), "an attribute is declared twice"
    assert set(declared.values()) <= TYPES
    assert design.partition_key not in declared and design.sort_key not in declared
    for item in _items(table):
        for name, value in item.items():
            if name in (design.partition_key, design.sort_key):
                continue
            (tag,) = value
            assert declared[name] == tag, (name, value)  # else Workbench cannot load it


def test_bytes_are_base64_and_the_file_is_deterministic() -> None:
    design = _design(ROOT / "examples/iot/spec.yaml")
    text = emit_workbench(design)
    assert text == emit_workbench(design)
    table = json.loads(text)["DataModel"][0]
    samples = sample_data(design)
    releases = [i for i in _items(table) if i.get("_type") == {"S": "FirmwareRelease"}]
    records = samples.objects["FirmwareRelease"]
    assert [base64.b64decode(i["checksum"]["B"]) for i in releases] == [
        r["checksum"] for r in records
    ]


ATTRIBUTE_VALUES = st.one_of(
    st.builds(lambda tag, text: {tag: text}, st.sampled_from(["S", "N", "B"]), st.text()),
    st.builds(lambda flag: {"BOOL": flag}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda texts: {"SS": texts}, st.lists(st.text(), max_size=3)),
    st.builds(lambda value: {"L": [value]}, st.builds(lambda text: {"S": text}, st.text())),
    st.builds(lambda text: {"M": {"x": {"S": text}}}, st.text()),
    st.builds(lambda text: {"S": text, "N": "1"}, st.text()),  # not one tag: the long way
)


@settings(max_examples=200, deadline=None)
@given(item=st.dictionaries(st.text(max_size=6), ATTRIBUTE_VALUES, max_size=6))
def test_item_text_is_what_the_json_writer_writes(item: dict[str, Any]) -> None:
    assert item_text(item) == dumps_indented(item, ensure_ascii=False)


CLASH = """\
version: 1
table: Clash
entities:
  Ticket:
    id: [ticket_id]
    attributes: {ticket_id: str, priority: int, title: str}
  Team:
    id: [team_id]
    attributes:
      team_id: str
      title: str
      priority: {type: str, enum: [low, high]}
access_patterns:
  get_ticket: {entity: Ticket, by: [ticket_id]}
  get_team: {entity: Team, by: [team_id]}
"""


def test_a_name_stored_as_two_types_is_warned_about_and_left_out_of_the_later_items() -> None:
    result = compile_spec(CLASH, path="clash.yaml")
    assert result.ok and result.design is not None
    (warning,) = result.design.warnings
    assert warning.render("clash.yaml") == (
        "clash.yaml:12:7: warning: `Team.priority` is stored as S, but `Ticket.priority` as N: "
        "a NoSQL Workbench model has one type per attribute name, so workbench.json types "
        "`priority` as N (Ticket's) and leaves it out of Team's sample items (rename one of "
        "them to see both in Workbench; DynamoDB stores either)"
    )
    table = _table(result.design)
    declared = {a["AttributeName"]: a["AttributeType"] for a in table["NonKeyAttributes"]}
    assert declared["priority"] == "N"
    facets = {f["FacetName"]: f for f in table["TableFacets"]}
    assert all("priority" in item for item in facets["Ticket"]["TableData"])
    assert facets["Team"]["TableData"] and not any(
        "priority" in item for item in facets["Team"]["TableData"]
    )
    assert "priority" not in facets["Team"]["NonKeyAttributes"]
    assert "title" in facets["Team"]["NonKeyAttributes"]  # one type: kept
    model = json.loads(emit_workbench(result.design))
    assert "except Team.priority" in model["ModelMetadata"]["Description"]


def test_one_type_per_name_gives_no_warning() -> None:
    result = compile_spec(
        CLASH.replace("priority: {type: str, enum: [low, high]}", "priority: int")
    )
    assert result.ok and result.design is not None
    assert result.design.warnings == ()
    assert left_out(result.design) == {}
