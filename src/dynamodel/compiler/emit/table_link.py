"""How a template reaches the table: through the table stack's exports, or as a resource of
the same template.

The policy stack (`dynamodel iam --format cloudformation`) and the copies handler's stack
(`--copies`) are deployed next to the table stack and import its `TableArn`, `StreamArn` and
`TableName` exports. Their snippets (`--snippet`) are the same resources merged into a
template that also holds the table, so they name it with `Fn::GetAtt`/`Ref` instead, and
carry no `Stage`: one link object decides every such reference, so that a stack and its
snippet differ in nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# The table's logical id in a snippet (`--table-id` names another).
TABLE_ID = "Table"

TABLE_STACK = "TableStack"
STAGE = "Stage"
# CloudFormation logical ids: ASCII letters and digits (AWS::CloudFormation template anatomy).
_LOGICAL_ID = re.compile(r"^[A-Za-z0-9]{1,255}$")


@dataclass(frozen=True)
class TableLink:
    """The table as a template names it: through the stack named by the `TableStack`
    parameter (`logical_id` None), or as the resource `logical_id` of the same template.

    Every method builds a new value, so no two places of a template share one object (YAML
    would write them as `&id001` anchors)."""

    logical_id: str | None = None

    def _import(self, export: str) -> dict[str, Any]:
        return {"Fn::ImportValue": {"Fn::Sub": f"${{{TABLE_STACK}}}-{export}"}}

    def table_name(self) -> dict[str, Any]:
        if self.logical_id is None:
            return self._import("TableName")
        return {"Ref": self.logical_id}

    def table_arn(self) -> dict[str, Any]:
        if self.logical_id is None:
            return self._import("TableArn")
        return {"Fn::GetAtt": [self.logical_id, "Arn"]}

    def stream_arn(self) -> dict[str, Any]:
        if self.logical_id is None:
            return self._import("StreamArn")
        return {"Fn::GetAtt": [self.logical_id, "StreamArn"]}

    def stage(self) -> dict[str, Any] | None:
        """The `Stage` parameter, or None in a template that has none (a snippet)."""
        return {"Ref": STAGE} if self.logical_id is None else None

    def arn(self, index: str | None) -> dict[str, Any]:
        """The ARN of the table (None) or of one of its indexes."""
        if index is None:
            return self.table_arn()
        return {"Fn::Join": ["", [self.table_arn(), f"/index/{index}"]]}

    def name_parts(self, table: str) -> tuple[Any, ...]:
        """The deployed table's name as parts to `Fn::Join` (in a policy's description)."""
        stage = self.stage()
        return (f"{table}-", stage) if stage is not None else (self.table_name(),)

    def tags(self, table: str) -> list[dict[str, Any]]:
        tags: list[dict[str, Any]] = [{"Key": "dynamodel:table", "Value": table}]
        stage = self.stage()
        if stage is not None:
            tags.append({"Key": "dynamodel:stage", "Value": stage})
        return tags

    def tag_map(self, table: str) -> dict[str, Any]:
        """The same tags as a map (SAM's `AWS::Serverless::Function` takes them so)."""
        return {tag["Key"]: tag["Value"] for tag in self.tags(table)}


# The table of the stack named by the `TableStack` parameter, staged by `Stage`.
IMPORTED = TableLink()


def check_logical_id(logical_id: str) -> None:
    """ValueError unless CloudFormation accepts `logical_id` as a resource's logical id."""
    if not _LOGICAL_ID.match(logical_id):
        raise ValueError(
            f"--table-id {logical_id!r} is not a CloudFormation logical id: use ASCII letters "
            "and digits only (e.g. Table, TrackerTable)"
        )


def same_template(logical_id: str) -> TableLink:
    """The table resource `logical_id` of the same template."""
    check_logical_id(logical_id)
    return TableLink(logical_id)


__all__ = ["IMPORTED", "STAGE", "TABLE_STACK", "TableLink", "check_logical_id", "same_template"]
