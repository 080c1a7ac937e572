"""The copies handler's own SAM stack (`dynamodel cloudformation SPEC --copies`).

A spec with `copy_of` gets a generated `<package>/copies.py` whose `handler` keeps the copies
current from the table's stream. This template deploys it next to the table stack:

- the function (`<package>.copies.handler`), on a DynamoDB event source that imports the
  table stack's `${TableStack}-StreamArn` export, with bisection on error, bounded retries,
  `ReportBatchItemFailures`, an SQS queue as on-failure destination, and a filter that
  delivers only inserts and changes of copy sources (the only records the handler acts on);
- when a holder lookup is served by a GSI, a batching window of a few seconds: a GSI is
  eventually consistent, so a holder written just before its source changed may not be in
  the index yet when the change arrives; waiting gives the index time to catch up (usually
  well under a second; not a guarantee);
- a role of its own with exactly what the handler sends (the statements of `dynamodel iam`:
  Query on the lookup patterns' table or indexes, UpdateItem on the holder items), reading
  that one stream, sending to the failure queue, and writing to its log group. It is not
  SAM's generated role, which would attach AWSLambdaDynamoDBExecutionRole (every stream of
  the account).

Intrinsics in their long form, like the table template. Described in docs/cloudformation.md.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.cloudformation import stage_parameter
from dynamodel.compiler.emit.iam import POLICY_VERSION, policy_document
from dynamodel.compiler.emit.iam_plan import copies_selection, plan_policy
from dynamodel.compiler.emit.table_link import IMPORTED, STAGE, TABLE_STACK, TableLink
from dynamodel.compiler.names import table_name_variable
from dynamodel.compiler.spec.copies import copy_lookups
from dynamodel.runtime.names import TYPE_ATTRIBUTE

FUNCTION = "CopiesFunction"
ROLE = "CopiesRole"
QUEUE = "CopiesFailureQueue"
LOG_GROUP = "CopiesLogGroup"
EVENT = "TableStream"
# As the tracker's Lambda example (examples/tracker/lambda/template.yaml).
RUNTIME = "python3.13"
ARCHITECTURE = "arm64"
MEMORY_MB = 256
TIMEOUT_SECONDS = 60  # a batch fans out to every holder of each changed source
BATCH_SIZE = 100  # DynamoDB's default; a failing batch is bisected
MAX_RETRIES = 10  # then the batch's details go to the failure queue
GSI_WINDOW_SECONDS = 5  # the batching window when a lookup reads a GSI (see above)
QUEUE_RETENTION_SECONDS = 1_209_600  # 14 days, SQS's maximum
LOG_RETENTION_DAYS = 30
STREAM_ACTIONS = ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams")


class NoCopiesError(ValueError):
    """The spec declares no `copy_of`: there is no copies handler to deploy."""


def needs_window(design: Design) -> bool:
    """Whether any holder lookup is served by a GSI (eventually consistent)."""
    return any(
        design.pattern(lookup.name).index is not None for lookup in copy_lookups(design.spec)
    )


def source_filter(design: Design) -> dict[str, Any]:
    """The event filter: inserts and changes of items whose `_type` is a copy source. The
    handler skips every other record (a deleted source leaves its copies as they were)."""
    sources = [e.name for e in design.spec.entities if design.spec.is_copy_source(e.name)]
    return {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {"NewImage": {TYPE_ATTRIBUTE: {"S": sources}}},
    }


def _event(design: Design, link: TableLink) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "Stream": link.stream_arn(),
        # The oldest record still in the stream (24 hours): changes made before this stack
        # existed are propagated too; the handler applies each change once.
        "StartingPosition": "TRIM_HORIZON",
        "BatchSize": BATCH_SIZE,
    }
    if needs_window(design):
        properties["MaximumBatchingWindowInSeconds"] = GSI_WINDOW_SECONDS
    properties |= {
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": MAX_RETRIES,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [QUEUE, "Arn"]}}},
        "FilterCriteria": {
            "Filters": [{"Pattern": json.dumps(source_filter(design), separators=(",", ":"))}]
        },
    }
    return {"Type": "DynamoDB", "Properties": properties}


def role_policy(design: Design, *, link: TableLink = IMPORTED) -> dict[str, Any]:
    """The role's one policy: the handler's DynamoDB requests (as `dynamodel iam` plans them,
    for a role serving every tenant), the stream, the failure queue and the log group."""
    selection = copies_selection(design)
    if selection is None:
        raise NoCopiesError(f"table {design.table_name} has no copies")
    plan = plan_policy(design, selection, tenant_scope=False)
    document = policy_document(plan, link.arn)
    statements: list[dict[str, Any]] = document["Statement"]
    statements += [
        {
            "Sid": "ReadStream",
            "Effect": "Allow",
            "Action": [f"dynamodb:{a}" for a in STREAM_ACTIONS],
            "Resource": link.stream_arn(),
        },
        {
            "Sid": "SendFailures",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": {"Fn::GetAtt": [QUEUE, "Arn"]},
        },
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": [LOG_GROUP, "Arn"]},
        },
    ]
    return document


def _output(description: str, value: Any, name: str) -> dict[str, Any]:
    return {
        "Description": description,
        "Value": value,
        "Export": {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{name}"}},
    }


def _function(design: Design, package: str, link: TableLink) -> dict[str, Any]:
    name = design.table_name
    return {
        "Type": "AWS::Serverless::Function",
        # `sam build` runs `make build-CopiesFunction` next to the template: it puts the
        # generated package and the dynamodel runtime into $(ARTIFACTS_DIR).
        "Metadata": {"BuildMethod": "makefile"},
        "Properties": {
            "Description": f"Keeps the denormalized copies of the {name} table current",
            "Handler": f"{package}.copies.handler",
            "Runtime": RUNTIME,
            "Architectures": [ARCHITECTURE],
            "MemorySize": MEMORY_MB,
            "Timeout": TIMEOUT_SECONDS,
            "CodeUri": ".",
            "Role": {"Fn::GetAtt": [ROLE, "Arn"]},
            "LoggingConfig": {"LogGroup": {"Ref": LOG_GROUP}, "LogFormat": "Text"},
            # The variable the generated repository reads its table name from, as the other
            # functions get it; the handler itself takes the table from each record's
            # eventSourceARN, and signs its page cursors with a key of its own.
            "Environment": {"Variables": {table_name_variable(package): link.table_name()}},
            "Tags": link.tag_map(name),
            "Events": {EVENT: _event(design, link)},
        },
    }


def copies_resources(design: Design, *, package: str, link: TableLink = IMPORTED) -> dict[str, Any]:
    """The handler's resources (queue, log group, role, function), on the table as `link`
    reaches it: the table stack's exports, or a table resource of the same template."""
    name = design.table_name
    return {
        QUEUE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "MessageRetentionPeriod": QUEUE_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
                "Tags": link.tags(name),
            },
        },
        LOG_GROUP: {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"RetentionInDays": LOG_RETENTION_DAYS, "Tags": link.tags(name)},
        },
        ROLE: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": f"The copies handler of {name}: only what it sends",
                "AssumeRolePolicyDocument": {
                    "Version": POLICY_VERSION,
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "Policies": [
                    {"PolicyName": "copies", "PolicyDocument": role_policy(design, link=link)}
                ],
                "Tags": link.tags(name),
            },
        },
        FUNCTION: _function(design, package, link),
    }


def copies_template(design: Design, *, package: str) -> dict[str, Any]:
    """The SAM template of the copies handler; NoCopiesError for a spec without copies."""
    if copies_selection(design) is None:
        raise NoCopiesError(
            f"--copies: the spec declares no `copy_of` attribute, so table {design.table_name} "
            "has no copies handler to deploy"
        )
    name = design.table_name
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": f"The copies handler of {name} ({package}.copies.handler) on the table "
        "stack's stream. Generated by dynamodel from the spec; do not edit. Deploy after the "
        "table stack.",
        "Parameters": {
            STAGE: stage_parameter(
                name, f"Deployment stage, as in the table stack ({name}-<Stage>)"
            ),
            TABLE_STACK: {
                "Type": "String",
                "MinLength": 1,
                "Description": "Name of the stack deployed from `dynamodel cloudformation`, "
                "whose StreamArn, TableArn and TableName exports this stack imports",
            },
        },
        "Resources": copies_resources(design, package=package),
        "Outputs": {
            "CopiesFunctionArn": _output(
                "ARN of the copies handler", {"Fn::GetAtt": [FUNCTION, "Arn"]}, "CopiesFunctionArn"
            ),
            "CopiesFailureQueueUrl": _output(
                "URL of the queue that receives the batches the handler gave up on",
                {"Ref": QUEUE},
                "CopiesFailureQueueUrl",
            ),
            "CopiesFailureQueueArn": _output(
                "ARN of the failure queue", {"Fn::GetAtt": [QUEUE, "Arn"]}, "CopiesFailureQueueArn"
            ),
        },
    }


def regenerate_command(*, package: str, default: str) -> str:
    return "dynamodel cloudformation SPEC --copies" + (
        f" --package {package}" if package != default else ""
    )


def emit_copies_stack(
    design: Design, *, package: str, default_package: str, fmt: Literal["yaml", "json"] = "yaml"
) -> str:
    """The template as text, deterministic; NoCopiesError for a spec without copies."""
    template = copies_template(design, package=package)
    if fmt == "json":
        return json.dumps(template, indent=2) + "\n"
    command = regenerate_command(package=package, default=default_package)
    body = yaml.safe_dump(template, sort_keys=False, default_flow_style=False, width=100)
    return (
        f"# Generated by dynamodel from the spec; do not edit. Regenerate with: {command}\n{body}"
    )


__all__ = [
    "NoCopiesError",
    "copies_resources",
    "copies_template",
    "emit_copies_stack",
    "needs_window",
]
