"""The plan `dynamodel diff` prints: every change by severity, then the steps, in order."""

from __future__ import annotations

import json

from dynamodel.compiler.diff import SEVERITIES, SEVERITY_TITLES, SchemaDiff
from dynamodel.compiler.names import snake_case


def plan_steps(diff: SchemaDiff, *, old_path: str, new_path: str) -> list[str]:
    """What to do, in order, to go from the old design to the new one without losing data."""
    if diff.severity == "destroy":
        return [
            "Do not deploy this as an update of the existing stack: CloudFormation would "
            "replace the table. Create a new table (a new stack) from the new spec, copy the "
            "items over (rewriting their keys), then switch the code to it.",
        ]
    steps: list[str] = []
    rebuilt = [n for n in diff.indexes_removed if n in diff.indexes_added]
    for name in rebuilt:
        steps.append(
            f"Update the table stack to delete {name} (its keys change; code that queries it "
            "fails until the next step is done)."
        )
    for name in diff.indexes_added:
        steps.append(
            f"Update the table stack to add {name}, alone (CloudFormation creates one GSI per "
            "update); wait until it is ACTIVE."
        )
    if diff.migrated_entities or diff.backfills:
        steps.append(
            f"Generate the migrations: `dynamodel generate {new_path} --out DIR --previous "
            f"{old_path}` writes migrations.py into the package."
        )
    if diff.migrated_entities:
        functions = ", ".join(f"migrate_{snake_case(e)}()" for e in diff.migrated_entities)
        steps.append(
            "Deploy the code of the new spec, then run "
            f"{functions} (in this order) with the deployed table: each rewrites the stored "
            "items from the old keys to the new ones in transactions, is idempotent, and "
            "resumes from the cursor it reports. Run it again until a pass rewrites nothing: "
            "that pass also catches items written by old code still running during the first."
        )
    if diff.backfills:
        functions = ", ".join(f"{b.function}()" for b in diff.backfills)
        steps.append(
            ("Then, once" if diff.migrated_entities else "Deploy the code of the new spec; once")
            + " no code of the previous spec runs any more (its writes of children do not "
            f"move counters), run {functions} with the deployed table: each sets a counter "
            "of every stored item to its number of stored children, exactly while children "
            "are created and deleted, resumes from the cursor it reports, and changes nothing "
            "when run again."
        )
    elif not diff.migrated_entities and diff.severity != "safe":
        steps.append("Deploy the code of the new spec.")
    manual = [c for c in diff.changes if c.severity == "migrate" and c.migration is None]
    for change in manual:
        steps.append(f"By hand ({change.subject}): {change.summary}.")
    for name in diff.indexes_removed:
        if name in rebuilt:
            continue
        steps.append(
            f"Update the table stack to delete {name}, alone, once no deployed code reads it."
        )
    return steps


def emit_diff_text(diff: SchemaDiff, *, old_path: str, new_path: str) -> str:
    lines = [f"dynamodel diff {old_path} -> {new_path}: {SEVERITY_TITLES[diff.severity]}"]
    if not diff.changes:
        lines.append("")
        lines.append("No changes to the table, its indexes, entities or access patterns.")
    for severity in reversed(SEVERITIES):
        changes = [c for c in diff.changes if c.severity == severity]
        if not changes:
            continue
        lines.append("")
        lines.append(f"{SEVERITY_TITLES[severity].capitalize()}:")
        for change in changes:
            lines.append(f"  - {change.subject}: {change.summary}")
    steps = plan_steps(diff, old_path=old_path, new_path=new_path)
    if steps:
        lines.append("")
        lines.append("Plan:")
        for number, step in enumerate(steps, 1):
            lines.append(f"  {number}. {step}")
    return "\n".join(lines) + "\n"


def emit_diff_json(diff: SchemaDiff, *, old_path: str, new_path: str) -> str:
    document = {
        "severity": diff.severity,
        "safe": diff.safe,
        "changes": [
            {
                "severity": c.severity,
                "subject": c.subject,
                "summary": c.summary,
                "migration": c.migration,
            }
            for c in diff.changes
        ],
        "indexes_added": list(diff.indexes_added),
        "indexes_removed": list(diff.indexes_removed),
        "migrations": list(diff.migrations),
        "plan": plan_steps(diff, old_path=old_path, new_path=new_path),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
