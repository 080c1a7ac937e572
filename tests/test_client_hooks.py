"""botocore's events keep their promises on the runtime's clients (issue 14, item 4): what a
`provide-client-params` or `before-parameter-build` handler changes is sent, a `before-call`
handler sees the real body, a `before-sign` handler's header is signed, and `after-call`,
`needs-retry`, `before-send` handlers see every runtime request. Real aws-xray-sdk patching
records a subsegment per call. Everything runs against moto in process; each test uses the
generated tracker package, on the default client and on a tuned client of the user's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto import mock_aws

from dynamodel.runtime.transport import hooks
from dynamodel.runtime.transport.client import default_client, tune_client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples/tracker/generated"))

from tracker import ChecklistItem, Ticket, TrackerRepository, Workspace  # noqa: E402

OPTIONS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}
WHEN = datetime(2026, 1, 2, tzinfo=UTC)


def _default() -> Any:
    return default_client(**OPTIONS)


def _tuned() -> Any:
    return tune_client(boto3.session.Session().client("dynamodb", **OPTIONS))


CLIENTS: dict[str, Callable[[], Any]] = {"default": _default, "tuned": _tuned}


@pytest.fixture(params=sorted(CLIENTS))
def client(request: pytest.FixtureRequest) -> Iterator[Any]:
    with mock_aws():
        made = CLIENTS[request.param]()
        TrackerRepository(made, table_name="Tracker").create_table()
        yield made


def _bodies(client: Any) -> list[dict[str, Any]]:
    """The JSON bodies of the requests the client sends from now on (moto answers them)."""
    sent: list[dict[str, Any]] = []

    def spy(request: Any, **_: Any) -> None:
        sent.append(json.loads(request.body or b"{}"))

    client.meta.events.register("before-send.dynamodb", spy)
    return sent


def _workspace() -> Workspace:
    return Workspace(workspace_id="w1", name="one", plan="team", created_at=WHEN)


def test_provide_client_params_changes_are_sent(client: Any) -> None:
    repo = TrackerRepository(client, table_name="Tracker")
    sent = _bodies(client)

    def consumed(params: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**params, "ReturnConsumedCapacity": "TOTAL"}

    client.meta.events.register("provide-client-params.dynamodb.GetItem", consumed)
    repo.save_workspace(_workspace())
    assert repo.get_workspace(workspace_id="w1") is not None
    assert sent[-1]["ReturnConsumedCapacity"] == "TOTAL"
    assert sent[-1]["Key"]  # the whole request, not the endpoint parameters


def test_a_rewritten_table_name_reaches_body_and_endpoint(client: Any) -> None:
    TrackerRepository(client, table_name="Tracker-blue").create_table()
    repo = TrackerRepository(client, table_name="Tracker")
    sent = _bodies(client)

    def blue(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == "Tracker":
            params["TableName"] = "Tracker-blue"

    client.meta.events.register("before-parameter-build.dynamodb", blue)
    repo.save_workspace(_workspace())
    assert all(body.get("TableName") != "Tracker" for body in sent)
    blue_repo = TrackerRepository(client, table_name="Tracker-blue")
    client.meta.events.unregister("before-parameter-build.dynamodb", blue)
    assert blue_repo.get_workspace(workspace_id="w1") is not None
    assert TrackerRepository(client, table_name="Tracker").get_workspace(workspace_id="w1") is None


def test_before_parameter_build_injection_takes_effect(client: Any) -> None:
    repo = TrackerRepository(client, table_name="Tracker")
    capacity: list[Any] = []

    def inject(params: dict[str, Any], **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "TOTAL"

    def after(parsed: dict[str, Any], **_: Any) -> None:
        capacity.append(parsed.get("ConsumedCapacity"))

    client.meta.events.register("before-parameter-build.dynamodb.PutItem", inject)
    client.meta.events.register("after-call.dynamodb.PutItem", after)
    repo.save_workspace(_workspace())
    assert capacity and capacity[-1] is not None and capacity[-1]["TableName"] == "Tracker"


def test_before_call_handlers_see_the_real_body(client: Any) -> None:
    repo = TrackerRepository(client, table_name="Tracker")
    seen: list[dict[str, Any]] = []

    def before_call(params: dict[str, Any], **_: Any) -> None:
        seen.append(json.loads(params["body"]))

    # Registered per operation: botocore runs these before the handlers of the whole service.
    client.meta.events.register("before-call.dynamodb.PutItem", before_call)
    client.meta.events.register("before-call.dynamodb.GetItem", before_call)
    repo.save_workspace(_workspace())
    repo.get_workspace(workspace_id="w1")
    put, get = seen[-2:]
    assert put["TableName"] == "Tracker" and put["Item"]["name"] == {"S": "one"}
    assert get["TableName"] == "Tracker" and get["Key"]["PK"]


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def test_a_before_sign_header_registered_later_is_signed(client: Any) -> None:
    repo = TrackerRepository(client, table_name="Tracker")
    repo.save_workspace(_workspace())  # the fast signer has signed already
    sent: list[Any] = []

    def tag(request: Any, **_: Any) -> None:
        request.headers["X-Tenant"] = "acme"

    def spy(request: Any, **_: Any) -> None:
        sent.append(request)

    client.meta.events.register_last("before-sign.dynamodb", tag)
    client.meta.events.register("before-send.dynamodb", spy)
    assert repo.get_workspace(workspace_id="w1") is not None
    request = sent[-1]
    authorization = _text(request.headers["Authorization"])
    names = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert "x-tenant" in names
    again = AWSRequest(method=request.method, url=request.url, data=request.body)
    for name in names:
        if name != "host":
            again.headers[name] = _text(request.headers[name])
    again.context["timestamp"] = _text(request.headers["X-Amz-Date"])
    auth = SigV4Auth(Credentials("testing", "testing"), "dynamodb", "us-east-1")
    auth._timestamp = again.context["timestamp"]
    canonical = auth.canonical_request(again)
    string_to_sign = auth.string_to_sign(again, canonical)
    assert authorization.endswith("Signature=" + auth.signature(string_to_sign, again))


def test_choose_signer_handlers_are_asked(client: Any) -> None:
    repo = TrackerRepository(client, table_name="Tracker")
    asked: list[str] = []

    def choose(signature_version: str, **_: Any) -> None:
        asked.append(signature_version)

    client.meta.events.register("choose-signer.dynamodb", choose)
    repo.get_workspace(workspace_id="w1")
    assert asked == ["v4"]


def test_later_handlers_see_every_runtime_request(client: Any) -> None:
    repo = TrackerRepository(client, table_name="Tracker")
    seen: dict[str, list[str]] = {"before-send": [], "needs-retry": [], "after-call": []}

    def recorder(kind: str) -> Callable[..., None]:
        def record(event_name: str, **_: Any) -> None:
            seen[kind].append(event_name.rsplit(".", 1)[1])

        return record

    for kind in seen:
        client.meta.events.register(f"{kind}.dynamodb", recorder(kind))
    repo.save_workspace(_workspace())
    ticket = Ticket(
        workspace_id="w1",
        ticket_no=1,
        title="t",
        status="open",
        priority=1,
        updated_at=WHEN,
        labels=set(),
        checklist=[ChecklistItem(workspace_id="w1", ticket_no=1, position=1, text="x")],
    )
    repo.create_ticket(ticket)
    assert repo.get_ticket(workspace_id="w1", ticket_no=1) is not None
    page = repo.tickets_by_status(workspace_id="w1", status="open", limit=5)
    assert [t.ticket_no for t in page.items] == [1]
    expected = ["PutItem", "TransactWriteItems", "Query", "Query"]
    for kind, operations in seen.items():
        assert operations == expected, kind


def test_only_botocores_own_handlers_keep_the_shortcuts(client: Any) -> None:
    watch = hooks.watched(client)
    assert watch is not None
    assert watch.bypassed("GetItem") == (False, False)
    client.meta.events.register("before-call.dynamodb.GetItem", lambda **_: None)
    assert watch.bypassed("GetItem") == (True, False)
    assert watch.bypassed("PutItem") == (False, False)
    client.meta.events.register("before-sign.dynamodb", lambda **_: None)
    assert watch.bypassed("PutItem") == (False, True)


def test_a_botocore_stubber_sees_the_runtimes_parameters() -> None:
    from botocore.stub import Stubber
    from tracker import _schema

    client = _default()
    repo = TrackerRepository(client, table_name="Tracker")
    key = _schema.workspace_key("w1")
    with Stubber(client) as stub:
        stub.add_response(
            "get_item", {}, {"TableName": "Tracker", "Key": key, "ConsistentRead": False}
        )
        assert repo.get_workspace(workspace_id="w1") is None
        stub.assert_no_pending_responses()


XRAY = textwrap.dedent(
    """
    import json, sys
    from datetime import UTC, datetime
    from aws_xray_sdk.core import patch, xray_recorder
    from moto import mock_aws

    xray_recorder.configure(context_missing="LOG_ERROR", sampling=False)
    patch(["botocore"])
    from dynamodel.runtime.transport.client import default_client
    from tracker import TrackerRepository, Workspace

    with mock_aws():
        client = default_client(region_name="us-east-1", aws_access_key_id="t",
                                aws_secret_access_key="t")
        repo = TrackerRepository(client, table_name="Tracker", cursor_key="k" * 32)
        repo.create_table()
        segment = xray_recorder.begin_segment("test")
        repo.save_workspace(Workspace(workspace_id="w1", name="one", plan="team",
                                      created_at=datetime(2026, 1, 2, tzinfo=UTC)))
        found = repo.get_workspace(workspace_id="w1")
        page = repo.members_of_workspace(workspace_id="w1", limit=5)
        subsegments = [
            {"name": s.name, "operation": s.aws.get("operation"),
             "table": s.aws.get("table_name"), "status": s.http.get("response", {}).get("status"),
             "error": getattr(s, "error", False) or getattr(s, "fault", False)}
            for s in segment.subsegments
        ]
        xray_recorder.end_segment()
    print(json.dumps({"found": found.name, "items": len(page.items), "subsegments": subsegments}))
    """
)


def test_xray_patching_records_the_runtimes_calls() -> None:
    pytest.importorskip("aws_xray_sdk")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), str(ROOT / "examples/tracker/generated"), str(ROOT)]
        ),
        "AWS_XRAY_SDK_ENABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", XRAY], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["found"] == "one" and result["items"] == 0
    assert [
        (s["name"], s["operation"], s["table"], s["status"], s["error"])
        for s in result["subsegments"]
    ] == [
        ("dynamodb", "PutItem", "Tracker", 200, False),
        ("dynamodb", "GetItem", "Tracker", 200, False),
        ("dynamodb", "Query", "Tracker", 200, False),
    ]
