"""The tracker's Lambda handlers, invoked locally with API Gateway (HTTP API 2.0) events on
a fresh table of the dynamodel pytest plugin (`dynamodel_table`: embedded moto, or the
endpoint of `--dynamodel-endpoint`), which sets the environment variable the template sets
(`TRACKER_TABLE_NAME`) to that table's name."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from dynamodel.runtime.paging import CursorSigner
from dynamodel.testing import DynamodelTable

LAMBDA = Path(__file__).resolve().parent.parent / "examples" / "tracker" / "lambda"
GENERATED = LAMBDA.parent / "generated"
pytestmark = pytest.mark.dynamodel(package="tracker", path=str(GENERATED))


def template_environment() -> dict[str, Any]:
    template = yaml.safe_load((LAMBDA / "template.yaml").read_text())
    return dict(template["Globals"]["Function"]["Environment"]["Variables"])


@pytest.fixture
def handlers(dynamodel_table: DynamodelTable, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The handler module, imported as Lambda imports it (its repository built at import)
    with the template's variables: the plugin set TRACKER_TABLE_NAME to the test's table, as
    the template's import of the table stack's export does."""
    environment = template_environment()
    assert set(environment) == {"TRACKER_TABLE_NAME", "DYNAMODEL_CURSOR_KEY"}
    monkeypatch.setenv("DYNAMODEL_CURSOR_KEY", "lambda-test-key" * 3)
    monkeypatch.syspath_prepend(str(LAMBDA))
    return dynamodel_table.import_fresh("handlers")


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


def test_the_api_end_to_end(handlers: ModuleType, dynamodel_table: DynamodelTable) -> None:
    assert handlers.repository.table_name == dynamodel_table.name
    assert dynamodel_table.name.startswith("Tracker-test-")  # <Table>-<stage>-<random>
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
    foreign = CursorSigner("another key" * 3).encode(
        pattern="tickets_by_status", arguments={}, state={}
    )
    status, _ = call(handlers.list_tickets, {"workspace_id": "w1"}, query={"cursor": foreign})
    assert status == 400
    assert call(handlers.close_ticket, {"workspace_id": "w1", "ticket_no": "7"}, body={})[0] == 404


def _resolved(node: Any, table_arn: str) -> Any:
    """A policy document of policies.yaml with the table stack's export resolved."""
    if isinstance(node, list):
        return [_resolved(item, table_arn) for item in node]
    if not isinstance(node, dict):
        return node
    if node == {"Fn::ImportValue": {"Fn::Sub": "${TableStack}-TableArn"}}:
        return table_arn
    if set(node) == {"Fn::Join"}:
        separator, parts = node["Fn::Join"]
        return separator.join(_resolved(part, table_arn) for part in parts)
    return {key: _resolved(value, table_arn) for key, value in node.items()}


def _functions() -> dict[str, Any]:
    template = yaml.safe_load((LAMBDA / "template.yaml").read_text())
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def test_each_function_has_only_its_groups_policy() -> None:
    policies = yaml.safe_load((LAMBDA / "policies.yaml").read_text())
    spec = yaml.safe_load((LAMBDA.parent / "spec.yaml").read_text())
    handlers = {}
    for name, properties in _functions().items():
        for policy in properties.get("Policies", []):
            assert not {"DynamoDBCrudPolicy", "DynamoDBReadPolicy"} & set(policy), name
        module, _, handler = properties["Handler"].partition(".")
        if module == "handlers":
            handlers[handler] = properties["Policies"]
    assert set(handlers) == {"create_ticket", "get_ticket", "list_tickets", "close_ticket"}
    assert set(handlers) <= set(spec["functions"])
    for handler, attached in handlers.items():
        output = "".join(part.capitalize() for part in handler.split("_")) + "PolicyArn"
        assert attached == [{"Fn::ImportValue": {"Fn::Sub": "${PolicyStack}-" + output}}]
        assert policies["Outputs"][output]["Export"]["Name"] == {
            "Fn::Sub": "${AWS::StackName}-" + output
        }


def test_every_request_of_a_handler_is_allowed_by_its_policy(
    handlers: ModuleType, dynamodel_table: DynamodelTable
) -> None:
    from dynamodel.compiler.pipeline import compile_spec
    from tests.iam_evaluator import allowed
    from tests.iam_requests import RequestLog, table_arn

    design = compile_spec((LAMBDA.parent / "spec.yaml").read_text()).design
    assert design is not None
    log = RequestLog(handlers.repository.table.client, design)
    with log.calling("create_ticket"):
        for number in (1, 2):
            call(handlers.create_ticket, {"workspace_id": "w1"}, body=ticket_body(number))
    with log.calling("get_ticket"):
        call(handlers.get_ticket, {"workspace_id": "w1", "ticket_no": "2"})
    with log.calling("list_tickets"):
        _, page = call(handlers.list_tickets, {"workspace_id": "w1"}, query={"limit": "1"})
        call(handlers.list_tickets, {"workspace_id": "w1"}, query={"cursor": page["cursor"]})
    with log.calling("close_ticket"):
        call(handlers.close_ticket, {"workspace_id": "w1", "ticket_no": "2"}, body={"version": 1})
    template = yaml.safe_load((LAMBDA / "policies.yaml").read_text())
    arn = table_arn(dynamodel_table.name)
    documents = {
        name.removesuffix("Policy"): _resolved(resource["Properties"]["PolicyDocument"], arn)
        for name, resource in template["Resources"].items()
    }
    for handler, requests in log.requests.items():
        assert requests, handler
        policy = documents["".join(part.capitalize() for part in handler.split("_"))]
        assert [r for r in requests if not allowed(policy, r, tags={})] == [], handler
    # ... and each policy grants only what its method may send (update_ticket may also Query
    # the ticket's partition: when an update changes the expiry, members get it too).
    expected = {
        "CreateTicket": {("PutItem", arn)},
        "GetTicket": {("Query", arn)},
        "ListTickets": {("Query", f"{arn}/index/GSI1")},
        "CloseTicket": {("GetItem", arn), ("UpdateItem", arn), ("Query", arn)},
    }
    for name, policy in documents.items():
        granted = {(a, s["Resource"]) for s in policy["Statement"] for a in s["Action"]}
        assert granted == {(f"dynamodb:{a}", r) for a, r in expected[name]}, name


def test_the_template_passes_cfn_lint_with_the_sam_transform() -> None:
    from cfnlint.api import lint_file

    assert [str(m) for m in lint_file(LAMBDA / "template.yaml")] == []


# -- the copies handler's stack (copies.yaml): Membership.team_name, a copy of Team.name -------
def test_the_copies_stack_is_current_and_passes_cfn_lint() -> None:
    from cfnlint.api import lint_file
    from typer.testing import CliRunner

    from dynamodel.cli import app

    spec = LAMBDA.parent / "spec.yaml"
    result = CliRunner().invoke(app, ["cloudformation", str(spec), "--copies", "-p", "tracker"])
    assert result.exit_code == 0, result.output
    assert (LAMBDA / "copies.yaml").read_text() == result.output, (
        "regenerate: dynamodel cloudformation ../spec.yaml --copies -p tracker > copies.yaml"
    )
    assert [str(m) for m in lint_file(LAMBDA / "copies.yaml")] == []
    stack = yaml.safe_load(result.output)
    function = stack["Resources"]["CopiesFunction"]
    assert function["Properties"]["Handler"] == "tracker.copies.handler"
    assert function["Metadata"] == {"BuildMethod": "makefile"}


def test_the_makefile_builds_every_function_of_both_stacks() -> None:
    targets = {
        line.split(":")[0].removeprefix("build-")
        for line in (LAMBDA / "Makefile").read_text().splitlines()
        if line.startswith("build-")
    }
    functions = set(_functions())
    copies = yaml.safe_load((LAMBDA / "copies.yaml").read_text())
    functions |= {
        name
        for name, resource in copies["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert "CopiesFunction" in functions
    assert targets == functions


def test_the_copies_handler_keeps_team_names_current(
    handlers: ModuleType, dynamodel_table: DynamodelTable
) -> None:
    """A Membership created with a team holds the team's name; renaming the team and giving
    the handler the table's stream records (as the event source mapping does, twice: Lambda
    may deliver a batch again) brings every member of that team up to date, and no other."""
    from tests.stream_records import lambda_event, read_stream, stream_arn

    tracker = importlib.import_module("tracker")
    copies = importlib.import_module("tracker.copies")
    repo = handlers.repository
    team = repo.create_team(tracker.Team(workspace_id="w1", name="Platform"))
    other = repo.create_team(tracker.Team(workspace_id="w1", name="Billing"))
    for user, joined in (("ann", team), ("bob", team), ("cy", other), ("dee", None)):
        repo.create_membership(
            tracker.Membership(
                workspace_id="w1",
                user_id=user,
                role="member",
                joined_at="2026-12-01T00:00:00Z",
                team_id=joined.team_id if joined else None,
            )
        )

    def team_names() -> dict[str, str | None]:
        page = repo.members_of_workspace(workspace_id="w1")
        return {m.user_id: m.team_name for m in page.items}

    assert team_names() == {"ann": "Platform", "bob": "Platform", "cy": "Billing", "dee": None}
    repo.update_team(workspace_id="w1", team_id=team.team_id, name="Platform & Tools")
    client = repo.table.client
    name = dynamodel_table.name
    event = lambda_event(read_stream(client, name), stream_arn(client, name))
    copies.repository.cache_clear()
    for _ in range(2):
        assert copies.handler(event, None) == {"batchItemFailures": []}
    assert team_names() == {
        "ann": "Platform & Tools",
        "bob": "Platform & Tools",
        "cy": "Billing",
        "dee": None,
    }
