"""API Gateway (HTTP API, payload 2.0) handlers for the tracker, on the generated package.

The repository is built once per Lambda container (at import); it reads its table name from
the TRACKER_TABLE_NAME environment variable, which template.yaml sets from the table stack's
export (`<Name>-<Stage>`).
Errors map to HTTP statuses: 404 not found, 409 version conflict or duplicate, 400 bad input.
"""

from __future__ import annotations

import json
from typing import Any

from dynamodel import (
    AlreadyExistsError,
    DynamodelError,
    InvalidCursorError,
    InvalidKeyValueError,
    NotFoundError,
    VersionConflictError,
)
from pydantic import ValidationError
from tracker import Ticket, TrackerRepository

repository = TrackerRepository()  # the table: TRACKER_TABLE_NAME

STATUSES = ("open", "in_progress", "closed")
Event = dict[str, Any]
Response = dict[str, Any]


def respond(status: int, body: Any) -> Response:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body, default=str),
    }


def _errors(error: Exception) -> Response:
    if isinstance(error, NotFoundError):
        return respond(404, {"error": str(error)})
    if isinstance(error, VersionConflictError):
        return respond(409, {"error": str(error), "found": error.found})
    if isinstance(error, AlreadyExistsError):
        return respond(409, {"error": str(error)})
    if isinstance(error, InvalidCursorError | InvalidKeyValueError | ValidationError):
        return respond(400, {"error": str(error)})
    raise error


def create_ticket(event: Event, context: object = None) -> Response:
    """POST /workspaces/{workspace_id}/tickets with a Ticket as JSON."""
    workspace_id = event["pathParameters"]["workspace_id"]
    try:
        body = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        return respond(400, {"error": "the body is not JSON"})
    try:
        ticket = Ticket.model_validate({**body, "workspace_id": workspace_id})
        created = repository.create_ticket(ticket)
    except (DynamodelError, ValidationError) as error:
        return _errors(error)
    return respond(201, created.model_dump(mode="json"))


def get_ticket(event: Event, context: object = None) -> Response:
    """GET /workspaces/{workspace_id}/tickets/{ticket_no}: the ticket with its checklist."""
    path = event["pathParameters"]
    if not path["ticket_no"].isdigit():
        return respond(400, {"error": "ticket_no must be a number"})
    try:
        ticket = repository.get_ticket(
            workspace_id=path["workspace_id"], ticket_no=int(path["ticket_no"])
        )
    except DynamodelError as error:
        return _errors(error)
    if ticket is None:
        return respond(404, {"error": "no such ticket"})
    return respond(200, ticket.model_dump(mode="json"))


def list_tickets(event: Event, context: object = None) -> Response:
    """GET /workspaces/{workspace_id}/tickets?status=open&limit=20&cursor=...: newest first."""
    workspace_id = event["pathParameters"]["workspace_id"]
    query = event.get("queryStringParameters") or {}
    status = query.get("status", "open")
    if status not in STATUSES:
        return respond(400, {"error": f"status must be one of {', '.join(STATUSES)}"})
    try:
        page = repository.tickets_by_status(
            workspace_id=workspace_id,
            status=status,
            limit=int(query.get("limit", "20")),
            cursor=query.get("cursor"),
        )
    except (DynamodelError, ValidationError) as error:
        return _errors(error)
    return respond(
        200, {"items": [t.model_dump(mode="json") for t in page.items], "cursor": page.cursor}
    )


def close_ticket(event: Event, context: object = None) -> Response:
    """POST /workspaces/{workspace_id}/tickets/{ticket_no}/close {"version": n}."""
    path = event["pathParameters"]
    body = json.loads(event.get("body") or "{}")
    try:
        closed = repository.update_ticket(
            workspace_id=path["workspace_id"],
            ticket_no=int(path["ticket_no"]),
            status="closed",
            expected_version=body.get("version"),
        )
    except DynamodelError as error:
        return _errors(error)
    return respond(200, closed.model_dump(mode="json"))
