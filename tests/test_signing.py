"""The runtime's SigV4 signer writes exactly botocore's headers: the same Authorization,
X-Amz-Date and X-Amz-Security-Token, for the same request and clock; and the default client's
requests carry the signature botocore computes for what is actually sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel.runtime.transport import signing
from dynamodel.runtime.transport.client import default_client

NOW = datetime(2026, 11, 29, 3, 4, 5)

urls = st.sampled_from(
    [
        "https://dynamodb.us-east-1.amazonaws.com/",
        "https://123456789012.ddb.eu-west-1.amazonaws.com",
        "http://localhost:8000",
        "http://127.0.0.1:4566/",
        "https://LOCALHOST:443/a/./b/../c%20d/~x",
        "http://[::1]:8000/",
        "https://example.com:8443/path?b=2&a=1&a=0",
    ]
)
header_names = st.sampled_from(
    [
        "X-Amz-Target",
        "Content-Type",
        "User-Agent",
        "x-amz-target",
        "X-Custom",
        "x-custom",
        "Expect",
        "amz-sdk-invocation-id",
        "Authorization",
        "X-Amz-Date",
        "X-Amz-Security-Token",
    ]
)
header_values = st.text(
    st.characters(min_codepoint=32, max_codepoint=126), max_size=20
) | st.sampled_from(["  spaced   out  ", "a\tb", "DynamoDB_20120810.Query"])


def _request(url: str, body: bytes, headers: list[tuple[str, str]]) -> AWSRequest:
    request = AWSRequest(method="POST", url=url, data=body)
    for name, value in headers:
        request.headers[name] = value  # email-style headers: repeated names are kept
    return request


def freeze_botocore(monkeypatch: Any) -> None:
    """botocore's signer dated NOW: >= 1.40.2 asks `get_current_datetime`, older releases
    `datetime.datetime.utcnow()` (the runtime works on botocore 1.34: scripts/lowest_deps.sh)."""
    import botocore.auth

    if hasattr(botocore.auth, "get_current_datetime"):
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW)
        return

    class _Frozen(datetime):
        @classmethod
        def utcnow(cls) -> datetime:  # type: ignore[override]
            return NOW

    class _Module:
        datetime = _Frozen

    monkeypatch.setattr(botocore.auth, "datetime", _Module)


def _botocore(request: AWSRequest, credentials: Credentials, region: str, monkeypatch: Any) -> None:
    freeze_botocore(monkeypatch)
    SigV4Auth(credentials, "dynamodb", region).add_auth(request)


@settings(max_examples=300, deadline=None)
@given(
    url=urls,
    body=st.binary(max_size=64) | st.just(b'{"TableName": "t"}'),
    headers=st.lists(st.tuples(header_names, header_values), max_size=6),
    token=st.none() | st.just("FwoGZXIvYXdzE//token=="),
    region=st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2"]),
    secret=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40),
)
def test_headers_are_botocores(
    url: str,
    body: bytes,
    headers: list[tuple[str, str]],
    token: str | None,
    region: str,
    secret: str,
) -> None:
    credentials = Credentials("AKIDEXAMPLE", secret, token)
    theirs = _request(url, body, headers)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _botocore(theirs, credentials, region, monkeypatch)
    ours = _request(url, body, headers)
    assert signing.sign_request(
        ours,
        access_key="AKIDEXAMPLE",
        secret_key=secret,
        token=token,
        region=region,
        service="dynamodb",
        now=NOW,
    )
    assert list(ours.headers.items()) == list(theirs.headers.items())
    assert ours.context["timestamp"] == theirs.context["timestamp"]


def test_requests_it_does_not_handle_are_left_unchanged() -> None:
    for prepare in (
        lambda r: r.headers.__setitem__("Date", "Sun, 29 Nov 2026 03:04:05 GMT"),
        lambda r: r.headers.__setitem__("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"),
        lambda r: r.context.__setitem__("payload_signing_enabled", False),
        lambda r: r.params.__setitem__("a", "b"),
    ):
        request = _request("https://dynamodb.us-east-1.amazonaws.com/", b"{}", [])
        prepare(request)
        before = list(request.headers.items())
        done = signing.sign_request(
            request, access_key="A", secret_key="S", token=None, region="r", service="s", now=NOW
        )
        assert not done and list(request.headers.items()) == before


# -- the default client ---------------------------------------------------------------------


class _Body:
    def stream(self, **_: Any) -> Any:
        yield b"{}"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token")
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)  # botocore would prefer it
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    # The default client is built on boto3's default session, which keeps the credentials it
    # first found: a fresh one reads the ones above.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    freeze_botocore(monkeypatch)
    monkeypatch.setattr("dynamodel.runtime.transport.signing.current_datetime", lambda: NOW)


def _sent(client: Any) -> list[Any]:
    sent: list[Any] = []

    def before_send(request: Any, **_: Any) -> AWSResponse:
        sent.append(request)
        return AWSResponse(request.url, 200, {}, _Body())

    client.meta.events.register("before-send.dynamodb", before_send)
    return sent


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("endpoint", [None, "http://localhost:8000"])
def test_the_default_client_sends_botocores_signature(endpoint: str | None) -> None:
    fast = default_client() if endpoint is None else _with_endpoint(endpoint)
    sent = _sent(fast)
    fast.get_item(TableName="tbl", Key={"PK": {"S": "a"}})
    fast.transact_write_items(
        TransactItems=[{"Put": {"TableName": "tbl", "Item": {"PK": {"S": "é"}}}}]
    )
    credentials = Credentials(
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token"
    )
    assert len(sent) == 2
    for request in sent:
        signed = request.headers["Authorization"].decode()
        names = signed.split("SignedHeaders=")[1].split(",")[0].split(";")
        again = AWSRequest(method=request.method, url=request.url, data=request.body)
        for name in names:
            if name != "host":
                again.headers[name] = request.headers[name].decode()
        SigV4Auth(credentials, "dynamodb", "eu-west-1").add_auth(again)
        assert again.headers["Authorization"] == signed
        assert "x-amz-security-token" in names and "x-amz-date" in names


def _with_endpoint(url: str) -> Any:
    # The signer on a client for another endpoint (and port): the signature covers its host.
    client = boto3.session.Session().client("dynamodb", endpoint_url=url)
    signing.install(client)
    return client


@pytest.mark.usefixtures("frozen")
def test_plain_clients_are_signed_by_botocore() -> None:
    plain = boto3.session.Session().client("dynamodb")
    fast = default_client()
    plain_sent, fast_sent = _sent(plain), _sent(fast)
    params = {"TableName": "tbl", "Key": {"PK": {"S": "a"}}}
    plain.get_item(**params)
    fast.get_item(**params)
    # Everything signed is equal (User-Agent and the invocation id are not signed).
    assert fast_sent[0].headers["Authorization"] == plain_sent[0].headers["Authorization"]


@pytest.mark.usefixtures("frozen")
def test_the_runtimes_signer_signs_the_default_clients_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[bool] = []
    original = signing.sign_request

    def counted(*args: Any, **kwargs: Any) -> bool:
        calls.append(original(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(signing, "sign_request", counted)
    plain, fast = boto3.session.Session().client("dynamodb"), default_client()
    _sent(plain), _sent(fast)
    plain.get_item(TableName="tbl", Key={"PK": {"S": "a"}})
    assert calls == []  # a plain client keeps botocore's signer
    fast.get_item(TableName="tbl", Key={"PK": {"S": "a"}})
    fast.query(
        TableName="tbl",
        KeyConditionExpression="PK = :p",
        ExpressionAttributeValues={":p": {"S": "a"}},
    )
    assert calls == [True, True]  # signed here, not handed back to botocore
