"""The API's OpenAPI 3.1 document, generated from the functions' own routes.

Each function's resolver describes its one route (summary, operation id, tags, responses,
security: clients_api.apidoc); powertools turns each into paths and response schemas, and its
OpenAPIMerge joins them into one document. One pass then adds what powertools cannot see,
because our own strict parser reads it (clients_api.requests): the request body and query
schemas, the request headers it reads, and path parameters as the UUIDs they are. Document-wide
parts (security schemes, request and response headers) are defined here.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from clients_api import apidoc, models
from clients_api.fields import IDEMPOTENCY_KEY_PATTERN

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
SCHEMAS = "#/components/schemas/"
# What the functions read at import to set themselves up (table names for their repositories, a
# region for their boto3 client): the document needs none of it, and nothing is called.
_IMPORT_ENVIRONMENT = {
    "CLIENTS_TABLE": "clients",
    "SESSIONS_TABLE": "sessions",
    "ERASURES_TABLE": "erasures",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "AuthMode=jwt (the default): a token of the configured OIDC issuer. A client's token"
        " (its client id in `sub`) acts on that client only; a token whose `scope` holds `clients:admin` is a"
        " service's and may do everything. Locally: `make -s token CLIENT_ID=<id>` or `make -s token SERVICE=1`.",
    },
    "sigv4": {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "description": "AuthMode=iam: an AWS Signature Version 4 (`execute-api`); every signed caller is a service.",
    },
}
HEADERS: dict[str, dict[str, Any]] = {
    "X-Correlation-Id": {
        "description": "The API Gateway request id; quote it when reporting a problem.",
        "schema": {"type": "string"},
    },
    "Location": {"description": "The new client's URL.", "schema": {"type": "string"}},
    "X-Next-Cursor": {
        "description": "Present while more sessions may follow: pass it as `cursor` for the next page"
        " (which may be short, even empty). Absent on the last page.",
        "schema": {"type": "string"},
    },
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}},
    "ETag": {
        "description": 'The client\'s version, as a strong entity tag (`"3"`): send it as `If-Match` to change'
        " this version only. A PATCH answers the version it left.",
        "schema": {"type": "string"},
    },
    "WWW-Authenticate": {"description": "`Bearer`: send a valid bearer token.", "schema": {"type": "string"}},
}
# Request headers the routes read (clients_api.requests), named by clients_api.apidoc.reads_headers.
PARAMETERS: dict[str, dict[str, Any]] = {
    "Idempotency-Key": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Makes a retry safe: the same caller, key and body within `IdempotencyHours` (default 24)"
        " get the first answer again, no second client. Another body with the key: 422"
        " `idempotency_key_reused`; while the first request runs: 409 `request_in_progress`. Use a new random"
        " key (a UUID) per registration.",
        "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN, "minLength": 1, "maxLength": 255},
        "example": "5f0c6a1e-8d4b-4b0e-9a57-2a9f7c3d1e42",
    },
    "If-Match": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "Change only this version: the client's `ETag`, a comma-separated list of them, or `*`"
        " (any existing client). Another version: 412 `precondition_failed`, nothing written. Required (428"
        " `precondition_required` without it) when the stack has `RequireIfMatch=true`.",
        "schema": {"type": "string"},
        "example": '"3"',
    },
}
# The order of an operation's keys in the document, for a readable openapi.json.
_OPERATION_KEYS = ("tags", "operationId", "summary", "description", "parameters", "requestBody", "security")


def render() -> str:
    """The document as committed in openapi.json."""
    return json.dumps(document(), ensure_ascii=False, indent=2) + "\n"


def document() -> dict[str, Any]:
    merge = OpenAPIMerge(
        title="Clients API",
        version="1.0.0",
        description="Client registration, profiles and the sessions they booked. Errors are RFC 9457"
        " problem details with a stable `code`; an unknown route is a 404 `not_found` on AWS.",
        servers=[{"url": "http://127.0.0.1:3000", "description": "make run"}],
        security_schemes=SECURITY_SCHEMES,
        security=apidoc.CALLER,
        on_conflict="error",
    )
    for resolver in _resolvers():
        merge.add_schema(json.loads(resolver.get_openapi_json_schema(security_schemes=SECURITY_SCHEMES)))
    spec = merge.get_openapi_schema()
    # Every model the paths name, as it validates a request or as a response serialises it.
    wanted: set[tuple[type[BaseModel], JsonSchemaMode]] = set()
    for item in spec["paths"].values():
        for method, operation in item.items():
            item[method] = _what_our_parser_reads(operation, wanted)
            wanted |= {(_model(name), "serialization") for name in _refs(operation["responses"])}
    # pydantic's own schemas, not powertools' copies: those drop every `"default": null`.
    spec["components"]["schemas"] = _schemas(wanted)
    spec["components"]["headers"] = HEADERS
    spec["components"]["parameters"] = PARAMETERS
    spec["paths"] = {path: spec["paths"][path] for path in sorted(spec["paths"])}
    missing = _refs(spec) - spec["components"]["schemas"].keys()
    if missing:
        raise LookupError(f"the document refers to schemas it does not define: {sorted(missing)}")
    return spec


def _resolvers() -> Iterator[APIGatewayRestResolver]:
    """The resolver of every function that serves a route (a function folder whose app.py defines
    `app`), imported as the tests import it (the repository root and the layer on sys.path)."""
    for name, value in _IMPORT_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    for app_py in sorted(FUNCTIONS.glob("*/app.py")):
        if _defines_app(app_py):
            yield importlib.import_module(f"functions.{app_py.parent.name}.app").app


def _defines_app(app_py: Path) -> bool:
    tree = ast.parse(app_py.read_text())
    return any(
        isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "app" for t in node.targets)
        for node in tree.body
    )


def _what_our_parser_reads(
    operation: dict[str, Any], wanted: set[tuple[type[BaseModel], JsonSchemaMode]]
) -> dict[str, Any]:
    """The operation with the parameters and body that clients_api.apidoc marked; the request
    models they name are added to `wanted`."""
    # powertools sees a handler's arguments: the path's, each an id, a UUID (fields.parse_client_id).
    parameters = []
    for seen in operation.pop("parameters", []):
        if seen["in"] != "path":
            raise ValueError(f"{operation['operationId']}: read {seen['name']} with requests.py, not as an argument")
        uuid = {"type": "string", "format": "uuid"}
        parameters.append({"name": seen["name"], "in": "path", "required": True, "schema": uuid})
    parameters += [{"$ref": f"#/components/parameters/{name}"} for name in operation.pop(apidoc.HEADER_PARAMETERS, [])]
    body = operation.get("requestBody")
    if body is not None:
        ref = body["content"]["application/json"]["schema"]["$ref"]
        wanted.add((_model(ref.removeprefix(SCHEMAS)), "validation"))
    query = operation.pop(apidoc.QUERY_MODEL, None)
    if query is not None:
        model = _model(query)
        wanted.add((model, "validation"))
        parameters += _query_parameters(model, body_is_an_alternative=body is not None)
    operation["parameters"] = parameters
    for response in operation["responses"].values():
        if response.get("content") == {}:
            del response["content"]  # no body (204)
    ordered = {key: operation.pop(key) for key in _OPERATION_KEYS if key in operation}
    return ordered | operation


def _model(name: str) -> type[BaseModel]:
    """A model by name: every model at the API's boundary is defined in clients_api.models."""
    model = getattr(models, name, None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise LookupError(f"clients_api.models has no model {name}")
    return model


def _schemas(wanted: set[tuple[type[BaseModel], JsonSchemaMode]]) -> dict[str, Any]:
    """The schemas of the wanted models and of the models they refer to, by name."""
    ordered = sorted(wanted, key=lambda pair: (pair[0].__name__, pair[1]))
    _, top = models_json_schema(ordered, ref_template=SCHEMAS + "{model}")
    return top["$defs"]


def _query_parameters(model: type[BaseModel], *, body_is_an_alternative: bool) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=SCHEMAS + "{model}")
    # With a body as the alternative form, neither form is required by itself.
    required = set() if body_is_an_alternative else set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": _query_schema(prop)}
        for name, prop in schema["properties"].items()
    ]


def _query_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A field's schema as a query parameter's: a parameter is absent rather than null."""
    options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1:
        schema = options[0] | {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    return {key: value for key, value in schema.items() if key != "title"}


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"].removeprefix(SCHEMAS)} if str(value.get("$ref", "")).startswith(SCHEMAS) else set()
        return found.union(*(_refs(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_refs(item) for item in value))
    return set()
