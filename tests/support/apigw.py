"""Invoke our Lambda handlers the way API Gateway does: REST proxy events in, proxy results out."""

from __future__ import annotations

import base64
import copy
import importlib
import json
import time
import uuid
from functools import cache
from typing import Any
from urllib.parse import parse_qs

from clients_api.access import CallerKind, Principal
from clients_api.tokens import allow_whole_api
from tests.support.replies import HttpResult
from tests.support.template import ROOT, route_for
from tools.local_api.worker import LambdaContext

EVENTS = ROOT / "events"
STAGE = "dev"
# Callers, as the authorizer describes them to the functions.
SERVICE = Principal(CallerKind.SERVICE, scopes=("clients:admin",))


def client(client_id: str) -> Principal:
    """The caller holding a token of the client `client_id`."""
    return Principal(CallerKind.CLIENT, client_id, ("openid",))


def authorizer_context(caller: Principal) -> dict[str, Any]:
    """`requestContext.authorizer` as API Gateway fills it from the authorizer's answer."""
    answer = allow_whole_api(caller, "arn:aws:execute-api:eu-central-1:123456789012:api/dev/GET/x")
    return {"principalId": answer["principalId"], **answer["context"], "integrationLatency": 0}


@cache
def _base_event() -> dict[str, Any]:
    return json.loads((EVENTS / "get_client.json").read_text())


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def lambda_context() -> LambdaContext:
    """What Lambda passes a handler with each invocation: a new request id, the timeout ahead."""
    return LambdaContext(
        "test-function",
        str(uuid.uuid4()),
        int(time.time() * 1000) + 30_000,
        memory_limit_in_mb="512",
        region="eu-central-1",
        account_id="123456789012",
    )


def build_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | bytes | None = None,
    query: str | dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    caller: Principal | None = SERVICE,
) -> tuple[dict[str, Any], str]:
    """A REST proxy event for `method path` sent by `caller` (None: no authorizer ran), and the
    handler module that serves it."""
    route, params = route_for(method, path)
    event = copy.deepcopy(_base_event())
    request_id = str(uuid.uuid4())
    event.update(httpMethod=method, path=path, resource=route.resource, pathParameters=params or None)
    event["requestContext"].update(
        httpMethod=method, resourcePath=route.resource, path=f"/{STAGE}{path}", requestId=request_id
    )
    event["requestContext"].pop("authorizer", None)
    if caller is not None:
        event["requestContext"]["authorizer"] = authorizer_context(caller)
    all_headers = {k: v for k, v in event["headers"].items() if k.lower() != "content-type"}
    if body is not None:
        raw_body = json.dumps(body, ensure_ascii=False)
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    event["headers"] = all_headers
    event["multiValueHeaders"] = {k: [v] for k, v in all_headers.items()}
    if isinstance(raw_body, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(raw_body).decode(), True
    else:
        event["body"], event["isBase64Encoded"] = raw_body, False
    multi = (
        parse_qs(query, keep_blank_values=True)
        if isinstance(query, str)
        else {k: [v] for k, v in (query or {}).items()}
    )
    event["multiValueQueryStringParameters"] = multi or None
    event["queryStringParameters"] = {k: v[-1] for k, v in multi.items()} or None
    return event, route.module


def invoke(event: dict[str, Any], module: str) -> tuple[HttpResult, dict[str, Any]]:
    handler = importlib.import_module(module).lambda_handler
    result = handler(event, lambda_context())
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ",".join(values)
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return HttpResult(result["statusCode"], headers, body), result


def call(method: str, path: str, **kwargs: Any) -> HttpResult:
    event, module = build_event(method, path, **kwargs)
    return invoke(event, module)[0]
