"""The API's OpenAPI 3.1 document, generated from the code: routes from template.yaml, schemas
from the layer's pydantic models, problem codes from the layer's HTTP module.

What the code cannot say (which model a route reads, which problems it can answer) is the
OPERATIONS table below, checked against the template on every generation. Needs the layer
(`layers/common`) importable, as under pytest and `python -m tools.local_api openapi`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from clients_api import models
from clients_api.problems import (
    ANSWERS,
    INTERNAL_ERROR,
    MALFORMED_JSON,
    PAYLOAD_TOO_LARGE,
    TEMPORARILY_UNAVAILABLE,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_ERROR,
    Problem,
)
from tools.local_api.template import Template

REF = "#/components/schemas/{model}"
# Every Lambda-answered error but these may happen on any route: no or a bad token (401), a
# caller the route is not for (403), a fault (500), the database or the authorizer's issuer
# out of reach (503).
ALWAYS = ("unauthorized", "forbidden", "internal_error", "temporarily_unavailable")
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
EITHER_SCHEME = [{"bearer": []}, {"sigv4": []}]
BODY = ("payload_too_large", "unsupported_media_type", "malformed_json", "validation_error")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    summary: str
    success: int
    response: type[BaseModel] | None  # None: no body (204)
    problems: tuple[str, ...]
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    headers: tuple[str, ...] = ()  # of the success response, besides X-Correlation-Id
    example: dict[str, Any] = field(default_factory=dict)
    # Registration may be open to anyone (OpenRegistration=true).
    caller_optional: bool = False


_PATCH = (*BODY, "client_not_found")
# Keyed by (function logical id, event name) as in template.yaml.
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("RegisterClientFunction", "Register"): Operation(
        "registerClient",
        "Register a client",
        201,
        models.ClientCreated,
        (*BODY, "email_taken", "phone_taken"),
        body=models.RegisterClient,
        headers=("Location",),
        caller_optional=True,
        example={
            "first_name": "Мария",
            "last_name": "Иванова",
            "email": "maria@example.com",
            "password": "паучикапау-2024",
            "phone": "89092479999",
            "additional_info": "я люблю собак",
            "birthday": "2004-10-08",
            "sex": "женщина",
        },
    ),
    ("GetClientFunction", "ByPath"): Operation(
        "getClient", "A client's profile", 200, models.ClientProfile, ("validation_error", "client_not_found")
    ),
    ("GetClientFunction", "ByLookup"): Operation(
        "lookUpClient",
        'A client\'s profile, by `?client_id=` or by a JSON body `{"client_id": ...}`',
        200,
        models.ClientProfile,
        (*BODY, "client_not_found"),
        body=models.ClientLookup,
        body_required=False,
        query=models.ClientLookup,
    ),
    ("UpdateClientFunction", "Update"): Operation(
        "updateClient",
        "Change any profile fields (absent or null: unchanged)",
        200,
        models.ClientUpdated,
        (*_PATCH, "email_taken", "phone_taken"),
        body=models.ClientUpdate,
        example={"email": "maria.ivanova@example.com", "additional_info": "и кошек"},
    ),
    ("UpdateFullNameFunction", "Update"): Operation(
        "updateFullName",
        "Change the first and/or last name",
        200,
        models.ClientUpdated,
        _PATCH,
        body=models.FullNameUpdate,
        example={"first_name": "Мария", "last_name": "Петрова"},
    ),
    ("UpdatePasswordFunction", "Update"): Operation(
        "updatePassword",
        "Set a new password (checking the current one when given)",
        200,
        models.ClientUpdated,
        (*_PATCH, "wrong_password", "too_many_attempts"),
        body=models.PasswordChange,
        example={"password": "новый-пароль-2025", "current_password": "паучикапау-2024"},
    ),
    ("VerifyPasswordFunction", "Verify"): Operation(
        "verifyPassword",
        "Check a password; repeated mismatches lock checking for a while",
        200,
        models.PasswordCheckResult,
        (*_PATCH, "too_many_attempts"),
        body=models.PasswordCheck,
        example={"password": "паучикапау-2024"},
    ),
    ("UpdatePhoneNumberFunction", "Update"): Operation(
        "updatePhoneNumber",
        "Change the phone number",
        200,
        models.ClientUpdated,
        (*_PATCH, "phone_taken"),
        body=models.PhoneNumberUpdate,
        example={"phone_number": "+7 (909) 247-99-98"},
    ),
    ("UpdateAdditionalInfoFunction", "Update"): Operation(
        "updateAdditionalInfo",
        'Change the additional info ("" clears it)',
        200,
        models.ClientUpdated,
        _PATCH,
        body=models.AdditionalInfoUpdate,
        example={"additional_info": "предпочитает утренние сеансы"},
    ),
    ("ClearPasswordLockFunction", "Clear"): Operation(
        "clearPasswordLock",
        "Clear a verification lock and the failure count (a service's job)",
        204,
        None,
        ("validation_error", "client_not_found"),
    ),
    ("ListSessionsFunction", "List"): Operation(
        "listSessions",
        "The client's sessions, newest first, a page at a time",
        200,
        models.SessionList,
        ("validation_error", "client_not_found"),
        query=models.SessionsQuery,
        headers=("X-Next-Cursor",),
    ),
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
    "WWW-Authenticate": {"description": "`Bearer`: send a valid bearer token.", "schema": {"type": "string"}},
}


def render() -> str:
    """The document as committed in openapi.json."""
    return json.dumps(document(), ensure_ascii=False, indent=2) + "\n"


def document() -> dict[str, Any]:
    events = Template.load().api_events()
    keys = {(e.function, e.event) for e in events}
    if keys != OPERATIONS.keys():
        raise LookupError(f"OPERATIONS and template.yaml differ: {sorted(keys ^ OPERATIONS.keys())}")
    refs, schemas = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for event in sorted(events, key=lambda e: (e.path, e.method)):
        operation = OPERATIONS[(event.function, event.event)]
        paths.setdefault(event.path, {})[event.method.lower()] = _operation(event.path, operation, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Clients API",
            "version": "1.0.0",
            "description": "Client registration, profiles and the sessions they booked. Errors are RFC 9457"
            " problem details with a stable `code`; an unknown route is a 404 `not_found` on AWS.",
        },
        "servers": [{"url": "http://127.0.0.1:3000", "description": "make run"}],
        "security": EITHER_SCHEME,
        "paths": paths,
        "components": {"schemas": schemas, "headers": HEADERS, "securitySchemes": SECURITY_SCHEMES},
    }


def _schemas() -> tuple[dict[tuple[type[BaseModel], str], Any], dict[str, Any]]:
    wanted = {(models.ProblemDetails, "serialization")}
    for operation in OPERATIONS.values():
        if operation.response is not None:
            wanted.add((operation.response, "serialization"))
        wanted.update((model, "validation") for model in (operation.body, operation.query) if model is not None)
    refs, top = models_json_schema(sorted(wanted, key=lambda w: (w[0].__name__, w[1])), ref_template=REF)
    return refs, top["$defs"]


def _operation(path: str, operation: Operation, refs: dict[tuple[type[BaseModel], str], Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "parameters": _path_parameters(path) + _query_parameters(operation),
    }
    if operation.body is not None:
        content: dict[str, Any] = {"schema": refs[(operation.body, "validation")]}
        if operation.example:
            content["example"] = operation.example
        spec["requestBody"] = {"required": operation.body_required, "content": {"application/json": content}}
    if operation.caller_optional:
        spec["security"] = [*EITHER_SCHEME, {}]
        spec["description"] = "Needs a service's token (or signature) unless the stack has OpenRegistration=true."
    success: dict[str, Any] = {
        "description": HTTPStatus(operation.success).phrase,
        "headers": {
            name: {"$ref": f"#/components/headers/{name}"} for name in ("X-Correlation-Id", *operation.headers)
        },
    }
    if operation.response is not None:
        success["content"] = {"application/json": {"schema": refs[(operation.response, "serialization")]}}
    spec["responses"] = {str(operation.success): success} | _problem_responses((*operation.problems, *ALWAYS))
    return spec


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
        for name in re.findall(r"\{(\w+)\}", path)
    ]


def _query_parameters(operation: Operation) -> list[dict[str, Any]]:
    if operation.query is None:
        return []
    schema = operation.query.model_json_schema(ref_template=REF)
    # With a body as the alternative form, neither form is required by itself.
    required = set(schema.get("required", [])) if operation.body is None else set()
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


def _problem_responses(codes: tuple[str, ...]) -> dict[str, Any]:
    problems = _problems()
    by_status: dict[int, list[Problem]] = {}
    for code in codes:
        problem = problems[code]
        by_status.setdefault(problem.status, []).append(problem)
    responses = {}
    for status, answered in sorted(by_status.items()):
        headers = {"X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}}
        if status in (429, 503):
            headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        if status == 401:
            headers["WWW-Authenticate"] = {"$ref": "#/components/headers/WWW-Authenticate"}
        responses[str(status)] = {
            "description": " ".join(f"`{p.code}`: {p.detail}" for p in answered),
            "headers": headers,
            "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="ProblemDetails")}}},
        }
    return responses


def _problems() -> dict[str, Problem]:
    """Problem by code, as the layer answers them; of several with one code (422s), the generic
    one comes first. The domain's problems live in a private table of the layer: reading it is
    what keeps this document from drifting from the responses."""
    found: dict[str, Problem] = {}
    generic = (PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, MALFORMED_JSON, VALIDATION_ERROR, INTERNAL_ERROR)
    for problem in (*generic, TEMPORARILY_UNAVAILABLE, *(answer.problem for answer in ANSWERS.values())):
        found.setdefault(problem.code, problem)
    return found
