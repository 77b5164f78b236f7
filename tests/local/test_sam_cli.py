"""The aws-sam-cli internals `make run` builds on, checked on the pinned version.

`LocalApigwService`, `LocalLambdaRunner` and the providers are not public APIs: an upgrade that
changes what we rely on must fail here, loudly, rather than as a broken `make run`.
"""

from __future__ import annotations

import inspect
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import samcli
from flask.testing import FlaskClient
from samcli.local.apigw.route import Route as SamRoute

from tests.support.template import ANY, routes
from tools.local_api.gateway import LocalApiGateway
from tools.local_api.gateway_responses import GatewayResponses
from tools.local_api.runtime import ProcessRuntime
from tools.local_api.server import OPENAPI, local_runner
from tools.local_api.template import ROOT, Template

# sam-cli's template translation warns about its own dependencies' deprecations.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

SAM = f"aws-sam-cli {samcli.__version__}"
ENDPOINT = "http://127.0.0.1:9"
PROXY_RESULT = {"statusCode": 201, "multiValueHeaders": {"X-Answer": ["a", "b"]}, "body": '{"ok": true}'}


class RecordingRuntime:
    """Stands where ProcessRuntime stands: records what sam-cli's runner hands over, answers
    with a canned result (the authorizer with `authorizer_result`)."""

    def __init__(self, result: dict[str, Any], authorizer_result: dict[str, Any] | None = None) -> None:
        self.result = result
        self.authorizer_result = authorizer_result
        self.calls: list[inspect.BoundArguments] = []

    def invoke(self, *args: Any, **kwargs: Any) -> None:
        call = inspect.signature(ProcessRuntime.invoke).bind(None, *args, **kwargs)  # fails if ours cannot take it
        self.calls.append(call)
        authorizing = call.arguments["function_config"].name == "AuthorizerFunction"
        call.arguments["stdout"].write_str(json.dumps(self.authorizer_result if authorizing else self.result))

    @property
    def last_event(self) -> dict[str, Any]:
        return json.loads(self.calls[-1].arguments["event"])


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.load(parameters={"AuthMode": "none"})


@pytest.fixture(scope="module")
def guarded() -> Template:
    return Template.load(parameters={"AuthMode": "jwt", "JwtIssuer": "urn:test", "JwtAudience": "test"})


def client(template: Template, runtime: RecordingRuntime) -> FlaskClient:
    gateway = LocalApiGateway(
        template.api(),
        local_runner(template, runtime, ENDPOINT),  # type: ignore[arg-type]
        host="127.0.0.1",
        port=3000,
        openapi=OPENAPI,
        gateway_responses=GatewayResponses(template.gateway_responses()),
        key_set=lambda: {"keys": []},
        authorizer_cache_seconds=template.authorizer_cache_seconds(),
    )
    gateway.create()
    return gateway.app.test_client()


def test_sam_cli_finds_every_route_of_the_template(template: Template) -> None:
    # sam adds OPTIONS to every route of an API with CORS: preflights it answers itself.
    # sam turns ANY (the 405 function's) into every method, each kept on its route.
    from_sam = {
        (ANY if len(route.methods) == len(SamRoute.ANY_HTTP_METHODS) else method, route.path, route.function_name)
        for route in template.api().routes
        for method in route.methods
        if method != "OPTIONS"
    }
    # The tests' routes: the functions' Api events, as the template declares them.
    from_events = {(route.method, route.resource, route.function) for route in routes()}

    assert len({event for event in from_events if event[0] != ANY}) == 12
    assert from_sam == from_events, SAM


def test_a_request_becomes_the_rest_proxy_event_of_its_function(
    template: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLIENTS_TABLE", raising=False)
    monkeypatch.setenv("SESSIONS_TABLE", "set-in-the-shell")  # a declared variable: the shell wins, as in sam
    runtime = RecordingRuntime(PROXY_RESULT)
    client_id = str(uuid.uuid4())

    reply = client(template, runtime).get(
        f"/api/v1/clients/{client_id}/sessions?limit=2&limit=3", headers={"X-Custom": "yes"}
    )

    config = runtime.calls[0].arguments["function_config"]
    assert config.name == "ListSessionsFunction", SAM
    assert Path(config.code_abs_path) == ROOT / "functions" / "list_sessions", SAM
    assert [ROOT / layer.codeuri for layer in config.layers] == [ROOT / "layers" / "common"], SAM
    env = config.env_vars.resolve()
    assert env["CLIENTS_TABLE"] == "ClientsTable", SAM  # !Ref of a table: its logical id
    assert env["SESSIONS_TABLE"] == "set-in-the-shell", SAM
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == ENDPOINT, SAM
    event = runtime.last_event
    assert event["httpMethod"] == "GET", SAM
    assert event["resource"] == "/api/v1/clients/{client_id}/sessions", SAM
    assert event["path"] == f"/api/v1/clients/{client_id}/sessions", SAM
    assert event["pathParameters"] == {"client_id": client_id}, SAM
    assert event["multiValueQueryStringParameters"] == {"limit": ["2", "3"]}, SAM
    assert event["headers"]["X-Custom"] == "yes", SAM
    assert event["requestContext"]["stage"] == "dev", SAM
    assert (reply.status_code, reply.json) == (201, {"ok": True}), SAM
    assert reply.headers.getlist("X-Answer") == ["a", "b"], SAM


def test_each_request_has_its_own_request_id(template: Template) -> None:
    runtime = RecordingRuntime(PROXY_RESULT)
    api = client(template, runtime)

    ids = set()
    for _ in range(2):
        api.get(f"/api/v1/clients/{uuid.uuid4()}")
        ids.add(runtime.last_event["requestContext"]["requestId"])

    assert len(ids) == 2, SAM


def test_a_function_error_is_a_500_as_under_sam_local(template: Template) -> None:
    runtime = RecordingRuntime({"errorMessage": "boom", "errorType": "ValueError", "stackTrace": []})

    reply = client(template, runtime).post("/api/v1/clients", json={})

    assert reply.status_code == 500, SAM  # API Gateway itself answers 502


def test_unknown_routes_are_answered_by_the_gateway_as_the_template_says(template: Template) -> None:
    runtime = RecordingRuntime(PROXY_RESULT)

    reply = client(template, runtime).delete("/api/v2/clients")

    assert reply.status_code == 404, SAM  # MISSING_AUTHENTICATION_TOKEN, rendered from the template
    assert reply.json["code"] == "not_found"
    assert runtime.calls == []


ALLOW = {
    "principalId": "c",
    "policyDocument": {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "arn:aws:execute-api:*"}],
    },
    "context": {"kind": "client", "client_id": "c", "scopes": ""},
}


def test_the_lambda_authorizer_runs_first_and_hands_its_context_to_the_function(guarded: Template) -> None:
    runtime = RecordingRuntime(PROXY_RESULT, authorizer_result=ALLOW)

    reply = client(guarded, runtime).get(f"/api/v1/clients/{uuid.uuid4()}", headers={"Authorization": "Bearer t"})

    assert reply.status_code == 201, SAM
    authorizer, function = (call.arguments for call in runtime.calls)
    assert authorizer["function_config"].name == "AuthorizerFunction", SAM
    authorizer_event = json.loads(authorizer["event"])
    assert authorizer_event["type"] == "REQUEST", SAM
    assert authorizer_event["headers"]["Authorization"] == "Bearer t", SAM
    assert authorizer_event["methodArn"].startswith("arn:aws:execute-api:"), SAM
    assert json.loads(function["event"])["requestContext"]["authorizer"] == ALLOW["context"] | {"principalId": "c"}


@pytest.mark.parametrize(
    ("authorization", "answer", "status"),
    [
        (None, None, 401),  # no identity source: the authorizer does not even run
        ("Bearer t", {"errorMessage": "Unauthorized", "errorType": "Exception"}, 401),
        ("Bearer t", {"errorMessage": "keys unreachable", "errorType": "KeysUnavailable"}, 503),
    ],
)
def test_what_the_authorizer_refuses_is_the_templates_gateway_response(guarded, authorization, answer, status) -> None:
    runtime = RecordingRuntime(PROXY_RESULT, authorizer_result=answer)
    headers = {"Authorization": authorization} if authorization else {}

    reply = client(guarded, runtime).get(f"/api/v1/clients/{uuid.uuid4()}", headers=headers)

    assert reply.status_code == status, SAM
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert all(call.arguments["function_config"].name == "AuthorizerFunction" for call in runtime.calls)


def test_the_authorizers_answer_is_kept_per_token_as_api_gateway_keeps_it(guarded: Template) -> None:
    runtime = RecordingRuntime(PROXY_RESULT, authorizer_result=ALLOW)
    api = client(guarded, runtime)

    for token in ("one", "one", "two", "one"):
        assert (
            api.get(f"/api/v1/clients/{uuid.uuid4()}", headers={"Authorization": f"Bearer {token}"}).status_code == 201
        )

    authorized = [
        json.loads(c.arguments["event"])["headers"]["Authorization"]
        for c in runtime.calls
        if c.arguments["function_config"].name == "AuthorizerFunction"
    ]
    assert authorized == ["Bearer one", "Bearer two"], SAM
