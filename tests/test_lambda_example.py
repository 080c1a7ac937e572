"""The tracker's Lambda handlers, invoked locally with API Gateway (HTTP API 2.0) events
against moto, with the table name from the environment variable the template sets."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from moto import mock_aws

from dynamodel.runtime.paging import CursorSigner

LAMBDA = Path(__file__).resolve().parent.parent / "examples" / "tracker" / "lambda"
GENERATED = LAMBDA.parent / "generated"


def template_environment() -> dict[str, Any]:
    template = yaml.safe_load((LAMBDA / "template.yaml").read_text())
    return dict(template["Globals"]["Function"]["Environment"]["Variables"])


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    environment = template_environment()
    assert set(environment) == {"TABLE_NAME", "DYNAMODEL_CURSOR_KEY"}
    monkeypatch.setenv("TABLE_NAME", "Tracker-test")  # what the template's import resolves to
    monkeypatch.setenv("DYNAMODEL_CURSOR_KEY", "lambda-test-key")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.syspath_prepend(str(GENERATED))
    monkeypatch.syspath_prepend(str(LAMBDA))
    with mock_aws():
        sys.modules.pop("handlers", None)
        module = importlib.import_module("handlers")
        module.repository.create_table()
        yield module
    sys.modules.pop("handlers", None)


def event(
    path: dict[str, str], *, body: Any = None, query: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "ANY /",
        "rawPath": "/",
        "headers": {"content-type": "application/json"},
        "pathParameters": path,
        "queryStringParameters": query,
        "body": None if body is None else body if isinstance(body, str) else json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {"http": {"method": "POST"}},
    }


def call(handler: Any, *args: Any, **kwargs: Any) -> tuple[int, Any]:
    response = handler(event(*args, **kwargs), None)
    return response["statusCode"], json.loads(response["body"])


def ticket_body(number: int) -> dict[str, Any]:
    return {
        "ticket_no": number,
        "title": f"Ticket {number}",
        "status": "open",
        "priority": number,
        "updated_at": f"2026-11-{number:02d}T10:00:00+00:00",
        "checklist": [{"workspace_id": "w1", "ticket_no": number, "position": 1, "text": "do"}],
    }


def test_the_api_end_to_end(handlers: ModuleType) -> None:
    assert handlers.repository.table_name == "Tracker-test"
    for number in (1, 2, 3):
        status, body = call(
            handlers.create_ticket, {"workspace_id": "w1"}, body=ticket_body(number)
        )
        assert status == 201 and body["version"] == 1
    status, body = call(handlers.create_ticket, {"workspace_id": "w1"}, body=ticket_body(1))
    assert status == 409
    status, body = call(handlers.get_ticket, {"workspace_id": "w1", "ticket_no": "2"})
    assert status == 200 and body["checklist"][0]["text"] == "do"
    status, body = call(handlers.list_tickets, {"workspace_id": "w1"}, query={"limit": "2"})
    assert status == 200 and [t["ticket_no"] for t in body["items"]] == [3, 2]
    status, rest = call(
        handlers.list_tickets,
        {"workspace_id": "w1"},
        query={"limit": "2", "cursor": body["cursor"]},
    )
    assert [t["ticket_no"] for t in rest["items"]] == [1] and rest["cursor"] is None
    status, closed = call(
        handlers.close_ticket, {"workspace_id": "w1", "ticket_no": "2"}, body={"version": 1}
    )
    assert status == 200 and closed["status"] == "closed" and closed["version"] == 2
    status, conflict = call(
        handlers.close_ticket, {"workspace_id": "w1", "ticket_no": "2"}, body={"version": 1}
    )
    assert status == 409 and conflict["found"] == 2
    status, body = call(handlers.list_tickets, {"workspace_id": "w1"}, query={"status": "closed"})
    assert [t["ticket_no"] for t in body["items"]] == [2]


def test_bad_requests_are_4xx(handlers: ModuleType) -> None:
    assert call(handlers.get_ticket, {"workspace_id": "w1", "ticket_no": "9"})[0] == 404
    assert call(handlers.get_ticket, {"workspace_id": "w1", "ticket_no": "x"})[0] == 400
    assert call(handlers.create_ticket, {"workspace_id": "w1"}, body="{not json")[0] == 400
    assert call(handlers.create_ticket, {"workspace_id": "w1"}, body={"ticket_no": 1})[0] == 400
    assert call(handlers.list_tickets, {"workspace_id": "w1"}, query={"status": "x"})[0] == 400
    foreign = CursorSigner("another key").encode(
        pattern="tickets_by_status", arguments={}, state={}
    )
    status, _ = call(handlers.list_tickets, {"workspace_id": "w1"}, query={"cursor": foreign})
    assert status == 400
    assert call(handlers.close_ticket, {"workspace_id": "w1", "ticket_no": "7"}, body={})[0] == 404


def test_the_template_passes_cfn_lint_with_the_sam_transform() -> None:
    from cfnlint.api import lint_file

    assert [str(m) for m in lint_file(LAMBDA / "template.yaml")] == []
