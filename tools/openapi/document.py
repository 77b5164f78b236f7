"""The API's OpenAPI 3.1 document, generated from the functions' own routes.

Each function's resolver describes its one route (summary, operation id, tags, responses,
security: clients_api.apidoc); powertools turns each into paths and response schemas, and its
OpenAPIMerge joins them into one document. One pass then adds what powertools cannot see,
because our own strict parser reads it (clients_api.requests): the request body and query
schemas, the request headers it reads, and path parameters as the UUIDs they are. Field rules
come from the models' own JSON schemas (clients_api.fields); the problem codes from
clients_api.problems. Document-wide parts (servers, tags, security schemes, request and response
headers) and the operations' descriptions are defined here.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from clients_api import apidoc, fields, models, problems
from clients_api.fields import IDEMPOTENCY_KEY_PATTERN

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
TEMPLATE = ROOT / "template.yaml"
# A problem body in the template (GatewayResponses, the WAF's custom responses) names its code so.
_TEMPLATE_PROBLEM_CODE = re.compile(r'"code": "([a-z_]+)"')
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
SERVERS = [
    {"url": "http://127.0.0.1:3000", "description": "make run"},
    {
        "url": "https://{apiId}.execute-api.{region}.amazonaws.com/{stage}",
        "description": "A deployed stack: its ApiUrl output",
        "variables": {
            "apiId": {"default": "abcde12345", "description": "The REST API's id (ApiUrl's first label)."},
            "region": {"default": "eu-central-1", "description": "The stack's AWS region."},
            "stage": {"default": "dev", "enum": ["dev", "prod"], "description": "The template's Stage."},
        },
    },
]
TAGS = [
    {"name": "clients", "description": "Registration and the client's profile."},
    {"name": "passwords", "description": "Changing and verifying a password, and the verification lock."},
    {"name": "sessions", "description": "The sessions a client booked at spots, a page at a time."},
]
# What a caller needs beyond an operation's summary; a route may state its own instead
# (`description=` in its decorator), never both.
DESCRIPTIONS = {
    "deleteClient": "The right to erasure: the client item and its email and phone guards go in one"
    " transaction, and a record of the erasure (the id and the time, nothing else) is kept so that a"
    " restored backup can be erased again. The email and phone may register again at once; every call on"
    " this id is then a 404, a second DELETE too. Sessions stay with the booking side. The client itself"
    " or a service may erase; If-Match is honoured.",
    "getClient": "A client's own token reads only its own record: any other id is a 404 `client_not_found`,"
    " word for word what an unknown id gets.",
    "lookUpClient": "The profile, as getClient answers it. `?client_id=` is the portable form: some generators"
    " and proxies drop the body of a GET (openapi-generator's Python client never sends one). A JSON body"
    ' `{"client_id": ...}` is accepted instead, for the callers of the first version of this API, and wins'
    " when both are sent. Another query parameter, or one given twice, is a 422.",
    "updateClient": "Changes the fields that have a value in the body; setting a field to the value it has"
    " already (an email in any case, a phone in any form) is a 200 that writes nothing.",
    "updateFullName": 'Changes either name or both; `"null"` leaves a name unchanged, as null does.',
    "updatePhoneNumber": "Stored as E.164; a number another client has is a 409 `phone_taken`.",
    "updateAdditionalInfo": 'Replaces the additional info; `""` clears it.',
    "updatePassword": "A client must send `current_password`: a wrong one is a 403 `wrong_password` and counts as"
    " a failed verification. A service may leave it out. While verification is locked, every change is a 429.",
    "verifyPassword": 'Answers `{"match": true}` or `{"match": false}`. Consecutive mismatches (5 by default)'
    " lock verification for a while (15 minutes by default): meanwhile every attempt is a 429 with"
    " Retry-After. A match resets the count.",
    "clearPasswordLock": "Forgets the client's failed attempts and any lock, so that it may verify again at"
    " once (after a support desk has confirmed who it is): a 204 whether or not anything was locked.",
    "listSessions": "The client's sessions, newest first. To read them all: call without `cursor`; while the"
    " answer carries the header `X-Next-Cursor`, call again with its value as `cursor` (and the same `status`"
    " and `limit`); the list is complete when an answer has no `X-Next-Cursor`. A page holds `limit` sessions"
    " until the list ends, but with a `status` filter a page may be short, even empty, and still carry"
    " `X-Next-Cursor`: go on until the header is absent. A cursor not made for this client's list is a 422.",
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
# The type of each path parameter a handler takes: what requests.py validates it as.
PATH_PARAMETERS = {"client_id": fields.ClientId}
# The order of an operation's keys in the document, for a readable openapi.json.
_OPERATION_KEYS = ("tags", "operationId", "summary", "description", "parameters", "requestBody", "security")


def render() -> str:
    """The document as committed in openapi.json: UTF-8, Cyrillic as is, but every character one
    cannot see (in the patterns: controls, format characters, separators) as a JSON escape."""
    text = json.dumps(document(), ensure_ascii=False, indent=2) + "\n"
    return "".join(char if char.isprintable() or char in "\n " else _json_escape(char) for char in text)


def _json_escape(char: str) -> str:
    # json.dumps with ensure_ascii escapes a character as JSON spells it (a surrogate pair above U+FFFF).
    return json.dumps(char)[1:-1]


def document() -> dict[str, Any]:
    merge = OpenAPIMerge(
        title="Clients API",
        version="1.0.0",
        description="Client registration, profiles and the sessions they booked. Errors are RFC 9457"
        " problem details with a stable `code`; an unknown route is a 404 `not_found` on AWS.",
        servers=SERVERS,
        tags=TAGS,
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
    schemas = _schemas(wanted)
    schemas["ProblemDetails"]["properties"]["code"] = {"$ref": SCHEMAS + "ProblemCode"}
    schemas["ProblemCode"] = _problem_codes()
    spec["components"]["schemas"] = schemas
    spec["components"]["headers"] = HEADERS
    spec["components"]["parameters"] = PARAMETERS
    spec["paths"] = {path: spec["paths"][path] for path in sorted(spec["paths"])}
    missing = _refs(spec) - schemas.keys()
    if missing:
        raise LookupError(f"the document refers to schemas it does not define: {sorted(missing)}")
    # Only what an operation uses: a query model (SessionsQuery) becomes parameters, not a schema.
    used = _used_schemas(spec["paths"], schemas)
    spec["components"]["schemas"] = {name: schemas[name] for name in sorted(used)}
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
    """The operation with the parameters and body that clients_api.apidoc marked, and its
    description; the request models they name are added to `wanted`."""
    name = operation["operationId"]
    # powertools sees a handler's arguments: the path's, each an id that requests.py validates.
    parameters = []
    for seen in operation.pop("parameters", []):
        if seen["in"] != "path" or seen["name"] not in PATH_PARAMETERS:
            raise ValueError(f"{name}: read {seen['name']} with requests.py, or add it to PATH_PARAMETERS")
        schema = TypeAdapter(PATH_PARAMETERS[seen["name"]]).json_schema()
        parameters.append(_parameter(seen["name"], "path", required=True, schema=schema))
    parameters += [{"$ref": f"#/components/parameters/{name}"} for name in operation.pop(apidoc.HEADER_PARAMETERS, [])]
    body = operation.get("requestBody")
    if body is not None:
        ref = body["content"]["application/json"]["schema"]["$ref"]
        wanted.add((_model(ref.removeprefix(SCHEMAS)), "validation"))
    query = operation.pop(apidoc.QUERY_MODEL, None)
    if query is not None:
        model = _model(query)
        wanted.add((model, "validation"))
        parameters += _query_parameters(model)
    operation["parameters"] = parameters
    if name in DESCRIPTIONS:
        if "description" in operation:
            raise ValueError(f"{name} states its own description: remove it from DESCRIPTIONS")
        operation["description"] = DESCRIPTIONS[name]
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


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    # Required as the model requires them, where a JSON body is the alternative too (lookUpClient):
    # the query is the form every client can send, the body one that some drop from a GET.
    schema = model.model_json_schema(ref_template=SCHEMAS + "{model}")
    required = set(schema.get("required", []))
    return [
        _parameter(name, "query", required=name in required, schema=_query_schema(prop))
        for name, prop in schema["properties"].items()
    ]


def _parameter(name: str, where: str, *, required: bool, schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter, with its field's description where tools show it: on the parameter."""
    schema = dict(schema)
    description = schema.pop("description", None)
    parameter = {"name": name, "in": where, "required": required}
    if description is not None:
        parameter["description"] = description
    return parameter | {"schema": schema}


def _problem_codes() -> dict[str, Any]:
    """Every `code` a problem of the API can carry, with ASCII member names: the functions' (the
    catalogue, clients_api.problems) and those API Gateway and the WAF answer with by themselves
    (the bodies template.yaml gives them)."""
    ours = {problem.code for problem in vars(problems).values() if isinstance(problem, problems.Problem)}
    codes = sorted(ours | set(_TEMPLATE_PROBLEM_CODE.findall(TEMPLATE.read_text())))
    return {
        "description": "The stable machine key of a problem; `type` is `urn:clients-api:problem:` and the code.",
        "type": "string",
        "enum": codes,
        "x-enum-varnames": [code.upper() for code in codes],
    }


def _used_schemas(paths: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """The schemas the operations refer to, and those these refer to in turn."""
    used: set[str] = set()
    pending = _refs(paths)
    while pending:
        name = pending.pop()
        used.add(name)
        pending |= _refs(schemas[name]) - used
    return used


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
