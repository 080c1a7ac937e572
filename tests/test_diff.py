"""`dynamodel diff`: every kind of change gets the class the issue names, the plan orders the
deployment steps, and the exit code is 0 only when every change is safe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.diff import SchemaDiff, diff_designs
from dynamodel.compiler.emit.diff_plan import emit_diff_text, plan_steps
from dynamodel.compiler.pipeline import compile_spec
from tests.test_cli import run

BASE: dict[str, object] = {
    "version": 1,
    "table": "Shop",
    "entities": {
        "Customer": {
            "id": ["customer_id"],
            "attributes": {"customer_id": "str", "name": "str", "email": "str"},
            "unique": ["email"],
        },
        "Order": {
            "id": ["customer_id", "order_id"],
            "attributes": {
                "customer_id": "str",
                "order_id": "str",
                "status": {"type": "str", "enum": ["open", "paid"]},
                "total": "int",
            },
        },
    },
    "access_patterns": {
        "get_customer": {"entity": "Customer", "by": ["customer_id"]},
        "orders_of_customer": {"entity": "Order", "by": ["customer_id"]},
        "orders_by_status": {"entity": "Order", "by": ["status"], "sort": "total"},
    },
}


def design_of(spec: dict[str, object]) -> Design:
    result = compile_spec(yaml.safe_dump(spec, sort_keys=False))
    assert result.design is not None, result.rendered()
    return result.design


def changed(**edits: object) -> dict[str, object]:
    """BASE with dotted-path edits: `{"entities.Order.attributes.note": "str?"}`; None deletes."""
    spec = json.loads(json.dumps(BASE))
    for path, value in edits.items():
        *parents, last = path.split("__")
        node = spec
        for part in parents:
            node = node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return spec  # type: ignore[no-any-return]


def diff_of(**edits: object) -> SchemaDiff:
    return diff_designs(design_of(BASE), design_of(changed(**edits)))


def summaries(diff: SchemaDiff, severity: str) -> list[str]:
    return [f"{c.subject}: {c.summary}" for c in diff.changes if c.severity == severity]


def test_no_change_is_safe_and_empty() -> None:
    diff = diff_designs(design_of(BASE), design_of(BASE))
    assert diff.changes == () and diff.safe and plan_steps(diff, old_path="a", new_path="b") == []


@pytest.mark.parametrize(
    "edits",
    [
        {"entities__Note": {"id": ["note_id"], "attributes": {"note_id": "str"}}},
        {"access_patterns__customer_orders": {"entity": "Order", "by": ["customer_id"]}},
        {"entities__Order__attributes__note": "str?"},
        {"entities__Order__attributes__channel": {"type": "str", "default": "web"}},
        {"entities__Customer__attributes__name": None},
        {
            "table": {
                "name": "Shop",
                "billing": "provisioned",
                "read_capacity": 5,
                "write_capacity": 5,
            }
        },
    ],
    ids=[
        "new entity",
        "new pattern on existing keys",
        "new optional attribute",
        "new attribute with default",
        "attribute removed",
        "billing",
    ],
)
def test_safe_changes(edits: dict[str, object]) -> None:
    diff = diff_of(**edits)
    assert diff.changes, "the change must be reported"
    assert diff.safe, summaries(diff, "migrate") + summaries(diff, "deploy")
    assert not diff.migrated_entities


def test_a_new_gsi_for_a_new_entity_is_a_deployment_step() -> None:
    # A new entity with two index patterns: one fits the overloaded GSI1, one needs GSI2.
    diff = diff_of(
        entities__Coupon={
            "id": ["code"],
            "attributes": {"code": "str", "campaign": "str", "owner": "str"},
        },
        access_patterns__coupons_of_campaign={"entity": "Coupon", "by": ["campaign"]},
        access_patterns__coupons_of_owner={"entity": "Coupon", "by": ["owner"]},
    )
    assert diff.severity == "deploy", diff.changes
    assert diff.indexes_added == ("GSI2",)
    steps = plan_steps(diff, old_path="old.yaml", new_path="new.yaml")
    assert steps == [
        "Update the table stack to add GSI2, alone (CloudFormation creates one GSI per "
        "update); wait until it is ACTIVE.",
        "Deploy the code of the new spec.",
    ]


def test_two_new_gsis_are_two_updates_in_order() -> None:
    base = design_of(BASE)
    bigger = changed(
        entities__Coupon={
            "id": ["code"],
            "attributes": {"code": "str", "campaign": "str", "owner": "str"},
        },
        access_patterns__coupons_of_campaign={"entity": "Coupon", "by": ["campaign"]},
        access_patterns__coupons_of_owner={"entity": "Coupon", "by": ["owner"]},
    )
    bigger["table"] = {"name": "Shop", "indexes": "dedicated"}
    diff = diff_designs(base, design_of(bigger))
    added = [s for s in plan_steps(diff, old_path="a", new_path="b") if "to add" in s]
    assert len(added) == len(diff.indexes_added) >= 2
    assert [s.split()[6].rstrip(",") for s in added] == list(diff.indexes_added)


def test_a_changed_key_template_needs_a_migration_with_a_helper() -> None:
    diff = diff_of(
        access_patterns__orders_by_status={"entity": "Order", "by": ["status"], "sort": "order_id"}
    )
    assert diff.severity == "migrate"
    assert diff.migrated_entities == ("Order",)
    [change] = [c for c in diff.changes if c.migrates]
    assert "index keys change in GSI1" in change.summary
    assert "{total}" in change.summary and "{order_id}" in change.summary


def test_a_moved_table_key_and_a_new_unique_value_are_migrations() -> None:
    moved = changed(entities__Order__id=["order_id"])
    moved["access_patterns"]["orders_of_customer"] = {  # type: ignore[index]
        "entity": "Order",
        "by": ["customer_id"],
        "sort": "order_id",
    }
    diff = diff_designs(design_of(BASE), design_of(moved))
    assert "Order" in diff.migrated_entities
    diff = diff_of(entities__Customer__unique=["email", "name"])
    assert diff.migrated_entities == ("Customer",)
    assert any("new unique value (name)" in s for s in summaries(diff, "migrate"))


def test_a_removed_unique_value_migrates_to_delete_its_guards() -> None:
    diff = diff_of(entities__Customer__unique=None)
    assert diff.migrated_entities == ("Customer",)
    assert summaries(diff, "migrate") == [
        "entity Customer: unique (email) removed: its guard items are deleted"
    ]


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        (
            {"entities__Order__attributes__total": "decimal"},
            "attribute total changes type from int to decimal",
        ),
        (
            {"entities__Order__attributes__currency": "str"},
            "new required attribute currency without a default",
        ),
        (
            {"entities__Order__attributes__status": {"type": "str", "enum": ["open"]}},
            "attribute status no longer allows paid",
        ),
    ],
)
def test_attribute_changes_that_need_the_data_changed(
    edits: dict[str, object], expected: str
) -> None:
    diff = diff_of(**edits)
    assert diff.severity == "migrate"
    assert any(expected in s for s in summaries(diff, "migrate")), diff.changes
    steps = plan_steps(diff, old_path="a", new_path="b")
    assert any(step.startswith("By hand (entity Order)") and expected in step for step in steps)


def test_a_removed_entity_leaves_items_to_clean_up() -> None:
    spec = changed(entities__Order=None)
    del spec["access_patterns"]["orders_of_customer"]  # type: ignore[attr-defined]
    del spec["access_patterns"]["orders_by_status"]  # type: ignore[attr-defined]
    diff = diff_designs(design_of(BASE), design_of(spec))
    assert diff.severity == "migrate"
    assert diff.indexes_removed == ("GSI1",)
    steps = plan_steps(diff, old_path="a", new_path="b")
    assert steps[-1] == (
        "Update the table stack to delete GSI1, alone, once no deployed code reads it."
    )


@pytest.mark.parametrize(
    "table",
    [{"name": "Store"}],
    ids=["renamed table"],
)
def test_changes_that_replace_the_table_destroy_data(table: dict[str, object]) -> None:
    diff = diff_of(table=table)
    assert diff.severity == "destroy"
    text = emit_diff_text(diff, old_path="a.yaml", new_path="b.yaml")
    assert text.startswith("dynamodel diff a.yaml -> b.yaml: destroys data\n")
    assert "CloudFormation replaces the table" in text
    assert "Do not deploy this as an update" in text


def test_stream_and_ttl_changes_are_deployment_steps() -> None:
    diff = diff_of(table={"name": "Shop", "stream": "new_image"})
    assert diff.severity == "deploy"
    ttl = changed()
    ttl["entities"]["Order"]["attributes"]["expires"] = {  # type: ignore[index]
        "type": "datetime",
        "optional": True,
        "ttl": True,
    }
    diff = diff_designs(design_of(BASE), design_of(ttl))
    assert any("TTL attribute changes" in s for s in summaries(diff, "deploy"))


def _write(tmp_path: Path, name: str, spec: dict[str, object]) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.yaml", BASE)
    safe = _write(tmp_path, "safe.yaml", changed(entities__Order__attributes__note="str?"))
    moved = _write(
        tmp_path,
        "moved.yaml",
        changed(
            access_patterns__orders_by_status={
                "entity": "Order",
                "by": ["status"],
                "sort": "order_id",
            }
        ),
    )
    result = run("diff", old, safe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith(": safe")
    result = run("diff", old, moved)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "migrate_order()" in result.stdout
    result = run("diff", old, moved, "--format", "json")
    document = json.loads(result.stdout)
    assert document["severity"] == "migrate" and document["migrations"] == ["migrate_order"]
    assert result.returncode == 1


def test_cli_reports_spec_errors_and_missing_files(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.yaml", BASE)
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ntable: Shop\nentities: {}\n", encoding="utf-8")
    result = run("diff", old, bad)
    assert result.returncode == 1 and "bad.yaml:" in result.stderr
    assert "Traceback" not in result.stderr
    result = run("diff", old, tmp_path / "missing.yaml")
    assert result.returncode == 2 and "cannot read" in result.stderr
