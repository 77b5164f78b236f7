"""The authorizer function (functions/authorize) as API Gateway invokes it: a REQUEST event with
the caller's headers in, a policy and the caller's context out, or the error that is a 401."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from clients_api.tokens import KeysUnavailable
from tests.support.apigw import EVENTS, lambda_context
from tests.support.concurrency import isolated_handler
from tools.local_api.issuer import AUDIENCE, ISSUER, LocalIssuer
from tools.local_api.jwks import served

CLIENT_ID = "7febf16f-651b-43b0-a5e3-0da8da49e90d"
EVENT = json.loads((EVENTS / "authorizer" / "get_client.json").read_text())
_copies = iter(range(1_000_000))


@pytest.fixture
def issuer(tmp_path: Path) -> LocalIssuer:
    return LocalIssuer(tmp_path / "issuer")


@pytest.fixture
def authorizer(issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """The authorizer's handler, loaded fresh (a new container) for the issuer's served keys."""
    with served(issuer.jwks()) as keys:
        monkeypatch.setenv("JWT_ISSUER", ISSUER)
        monkeypatch.setenv("JWT_AUDIENCE", AUDIENCE)
        monkeypatch.setenv("JWKS_URL", keys.url)
        yield isolated_handler("functions.authorize.app", next(_copies))


def event_with(authorization: str | None, header: str = "Authorization") -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    for headers in (event["headers"], event["multiValueHeaders"]):
        headers.pop("Authorization")
    if authorization is not None:
        event["headers"][header] = authorization
        event["multiValueHeaders"][header] = [authorization]
    return event


def test_a_clients_token_gets_a_policy_for_the_whole_stage_and_its_id_in_the_context(authorizer, issuer):
    answer = authorizer(event_with(f"Bearer {issuer.token(client_id=CLIENT_ID)}"), lambda_context())

    [statement] = answer["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "arn:aws:execute-api:us-east-1:123456789012:1234567890/dev/*/*"
    assert answer["principalId"] == CLIENT_ID
    assert answer["context"] == {"kind": "client", "client_id": CLIENT_ID, "scopes": "openid"}
    # API Gateway takes only strings, numbers and booleans as context values.
    assert all(isinstance(value, str | int | float | bool) for value in answer["context"].values())


def test_a_services_token_is_a_service_in_the_context(authorizer, issuer):
    answer = authorizer(event_with(f"Bearer {issuer.token(service=True)}"), lambda_context())
    assert answer["context"] == {"kind": "service", "scopes": "clients:admin"}


def test_the_header_name_is_case_insensitive(authorizer, issuer):
    event = event_with(f"Bearer {issuer.token(client_id=CLIENT_ID)}", header="authorization")
    assert authorizer(event, lambda_context())["context"]["client_id"] == CLIENT_ID


@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic dXNlcjpwYXNz"])
def test_no_or_a_bad_token_is_the_error_api_gateway_answers_with_401(authorizer, authorization, log_output, capsys):
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer(event_with(authorization), lambda_context())
    assert '"message":"token refused"' in log_output.getvalue()
    assert '"TokensRefused"' in capsys.readouterr().out  # the metric


def test_an_expired_token_is_refused_and_never_logged(authorizer, issuer, log_output):
    token = issuer.token(client_id=CLIENT_ID, lifetime_seconds=-3600)
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer(event_with(f"Bearer {token}"), lambda_context())
    logged = log_output.getvalue()
    assert '"reason":"expired"' in logged
    assert token not in logged
    assert token.split(".")[1] not in logged  # nor its claims


def test_keys_that_cannot_be_fetched_fail_the_authorizer_never_allow(issuer, monkeypatch):
    with served(issuer.jwks()) as keys:
        url = keys.url  # served, then gone
    monkeypatch.setenv("JWT_ISSUER", ISSUER)
    monkeypatch.setenv("JWT_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("JWKS_URL", url)
    authorizer = isolated_handler("functions.authorize.app", next(_copies))
    # Not "Unauthorized": API Gateway then answers AUTHORIZER_FAILURE, the template's 503.
    with pytest.raises(KeysUnavailable):
        authorizer(event_with(f"Bearer {issuer.token(service=True)}"), lambda_context())


def test_the_authorizer_loads_no_pydantic_resolver_or_boto3():
    probe = (
        "import sys; sys.path[:0] = ['functions/authorize', 'layers/common']; import app; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'boto3', 'aws_xray_sdk', 'argon2')"
        " or m.startswith(('aws_lambda_powertools.event_handler', 'clients_api.models', 'clients_api.http',"
        " 'clients_api.problems', 'clients_api.requests', 'clients_api.repository'))))"
    )
    env = {"JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE, "JWKS_URL": "http://127.0.0.1:9/jwks.json"}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(  # noqa: S603 (our own probe)
        [sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
