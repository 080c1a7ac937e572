"""The default client is built on boto3's default session (issue 14, item 5): its region,
profile, credentials and `user_agent_appid` apply; repositories built without a client share
one client; and `tune_client` gives a user's client the shortcuts for the runtime's requests
without changing its configuration or its own calls (item 6)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from moto import mock_aws

from dynamodel.runtime.transport import fastjson, hooks
from dynamodel.runtime.transport.client import default_client, shared_client, tune_client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples/tracker/generated"))

from tracker import ChecklistItem, Membership, Ticket, TrackerRepository, Workspace

WHEN = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.fixture
def no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No region, credentials or config from the environment; boto3's default session reset."""
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE", "AWS_SDK_UA_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    yield


def _sent(client: Any) -> list[Any]:
    sent: list[Any] = []
    client.meta.events.register("before-send.dynamodb", lambda request, **_: sent.append(request))
    return sent


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


@pytest.mark.usefixtures("no_environment")
def test_the_default_sessions_region_applies() -> None:
    boto3.setup_default_session(
        region_name="eu-west-2", aws_access_key_id="AKIDDEFAULT", aws_secret_access_key="s"
    )
    with mock_aws():
        # moto swaps in a fresh default session: set it up inside, as a Lambda would at import
        boto3.setup_default_session(
            region_name="eu-west-2", aws_access_key_id="AKIDDEFAULT", aws_secret_access_key="s"
        )
        repo = TrackerRepository(table_name="Tracker", cursor_key="k" * 32)
        client = repo._table.client
        assert client.meta.region_name == "eu-west-2"
        sent = _sent(client)
        repo.create_table()
        repo.save_workspace(Workspace(workspace_id="w1", name="one", plan="team", created_at=WHEN))
        assert repo.get_workspace(workspace_id="w1") is not None
        assert "Credential=AKIDDEFAULT/" in _text(sent[-1].headers["Authorization"])
        assert "/eu-west-2/dynamodb/" in _text(sent[-1].headers["Authorization"])


@pytest.mark.usefixtures("no_environment")
def test_a_profile_of_the_default_session_applies(tmp_path: Path) -> None:
    (tmp_path / "config").write_text("[profile blue]\nregion = ap-south-1\n")
    (tmp_path / "credentials").write_text(
        "[blue]\naws_access_key_id = AKIDBLUE\naws_secret_access_key = s\n"
    )
    boto3.setup_default_session(profile_name="blue")
    client = default_client()
    assert client.meta.region_name == "ap-south-1"
    assert client._request_signer._credentials.access_key == "AKIDBLUE"


@pytest.mark.usefixtures("no_environment")
def test_a_given_session_is_used() -> None:
    session = boto3.session.Session(
        region_name="sa-east-1", aws_access_key_id="a", aws_secret_access_key="s"
    )
    assert default_client(session=session).meta.region_name == "sa-east-1"


@pytest.mark.usefixtures("no_environment")
def test_the_user_agent_appid_of_the_session_is_sent() -> None:
    core = botocore.session.Session()
    core.set_config_variable("user_agent_appid", "billing-svc")
    core.set_config_variable("region", "us-east-1")
    boto3.setup_default_session(botocore_session=core)
    with_session = default_client(aws_access_key_id="a", aws_secret_access_key="s")
    with_config = default_client(
        region_name="us-east-1",
        aws_access_key_id="a",
        aws_secret_access_key="s",
        config=Config(user_agent_appid="from-config"),
    )
    agents = []
    for client in (with_session, with_config):
        sent: list[Any] = []

        def answer(request: Any, _sent: list[Any] = sent, **_: Any) -> Any:
            from botocore.awsrequest import AWSResponse

            _sent.append(request)
            return AWSResponse(request.url, 200, {}, _Raw())

        client.meta.events.register("before-send.dynamodb", answer)
        client.list_tables()
        agents.append(_text(sent[0].headers["User-Agent"]))
    assert "app/billing-svc" in agents[0] and agents[0].startswith("dynamodel/")
    assert "app/from-config" in agents[1]


class _Raw:
    def stream(self, **_: Any) -> Any:
        yield b"{}"


@pytest.mark.usefixtures("no_environment")
def test_repositories_share_the_default_sessions_client() -> None:
    boto3.setup_default_session(region_name="us-east-1")
    first = TrackerRepository(table_name="A", cursor_key="k" * 32)._table.client
    second = TrackerRepository(table_name="B", cursor_key="k" * 32)._table.client
    assert first is second is shared_client()
    boto3.setup_default_session(region_name="eu-west-1")
    third = TrackerRepository(table_name="C", cursor_key="k" * 32)._table.client
    assert third is not first and third.meta.region_name == "eu-west-1"
    assert default_client() is not third  # an explicit call builds a client of its own


# -- tune_client ------------------------------------------------------------------------------

OPTIONS = {"region_name": "us-east-1", "aws_access_key_id": "t", "aws_secret_access_key": "t"}


def _ticket(number: int) -> Ticket:
    return Ticket(
        workspace_id="w1",
        ticket_no=number,
        title=f"t{number}",
        status="open",
        priority=number,
        updated_at=WHEN,
        labels={"a"},
        checklist=[
            ChecklistItem(workspace_id="w1", ticket_no=number, position=p, text="x") for p in (1, 2)
        ],
    )


@pytest.mark.parametrize("validation", [True, False])
def test_a_tuned_users_client_serves_every_kind_of_request(validation: bool) -> None:
    with mock_aws():
        client = boto3.client(
            "dynamodb",
            config=Config(parameter_validation=validation, retries={"max_attempts": 4}),
            **OPTIONS,
        )
        before = (client.meta.config.retries, client.meta.config.parameter_validation)
        assert tune_client(client) is client
        assert (client.meta.config.retries, client.meta.config.parameter_validation) == before
        repo = TrackerRepository(client, table_name="Tracker", cursor_key="k" * 32)
        repo.create_table()
        bodies: list[bytes] = []
        client.meta.events.register(
            "before-send.dynamodb", lambda request, **_: bodies.append(request.body)
        )
        repo.save_workspace(Workspace(workspace_id="w1", name="one", plan="team", created_at=WHEN))
        for number in (1, 2, 3):
            repo.create_ticket(_ticket(number))
        members = [
            Membership(workspace_id="w1", user_id=f"u{n}", role="member", joined_at=WHEN)
            for n in range(30)
        ]
        repo.batch_write(put=members)
        got = repo.batch_get(Membership, [{"workspace_id": "w1", "user_id": "u3"}])
        assert got[0] is not None and got[0].user_id == "u3"
        page = repo.tickets_by_status(workspace_id="w1", status="open", limit=2)
        rest = repo.tickets_by_status(workspace_id="w1", status="open", limit=2, cursor=page.cursor)
        assert len(page.items) == 2 and len(rest.items) == 1 and rest.cursor is None
        ticket = repo.get_ticket(workspace_id="w1", ticket_no=2)
        assert ticket is not None and len(ticket.checklist) == 2
        repo.update_ticket(workspace_id="w1", ticket_no=2, status="closed")
        repo.delete_ticket(workspace_id="w1", ticket_no=3)
        assert repo.get_ticket(workspace_id="w1", ticket_no=3) is None
        # The runtime's requests went out as the runtime serialized them (json.dumps' spacing).
        put = json.loads(bodies[0])
        assert bodies[0].startswith(b'{"TableName": "Tracker", "Item": ') and put["Item"]


def test_tuning_leaves_the_users_own_calls_to_botocore() -> None:
    with mock_aws():
        client = tune_client(boto3.client("dynamodb", **OPTIONS))
        factory = client._endpoint._response_parser_factory
        assert isinstance(factory, fastjson.FastParserFactory)
        parser = factory.create_parser("json")
        damaged = {
            "status_code": 200,
            "headers": {"x-amz-crc32": "1"},
            "body": b'{"Item": {"PK": {"S": "a"}}}',
        }
        shape = client.meta.service_model.operation_model("GetItem").output_shape
        # Not the runtime's call: botocore's parser reads it (its retry handler checks CRC32).
        assert parser.parse(damaged, shape)["Item"] == {"PK": {"S": "a"}}
        assert client.meta.config.user_agent is None or "dynamodel" not in str(
            client.meta.config.user_agent
        )
        assert hooks.watched(client) is not None


def test_tuning_another_service_changes_nothing() -> None:
    s3 = boto3.client("s3", **OPTIONS)
    assert tune_client(s3) is s3 and hooks.watched(s3) is None
