"""What a route tells the API's OpenAPI document about itself, beside its summary and operation id.

Plain dicts, handed to the route decorator (`responses=`, `security=`, `openapi_extensions=`):
powertools keeps them on the route and reads them only when tools/openapi asks the resolver for
its document. Building them costs microseconds at import, and nothing here loads powertools'
OpenAPI machinery. What powertools cannot see, because our own parser reads it (requests.py),
is marked for tools/openapi to fill in: the request body's model and the query's.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

from clients_api.models import ProblemDetails
from clients_api.problems import (
    FORBIDDEN,
    INTERNAL_ERROR,
    MALFORMED_JSON,
    PAYLOAD_TOO_LARGE,
    PROBLEM_JSON,
    TEMPORARILY_UNAVAILABLE,
    UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_ERROR,
    Problem,
)

# The security schemes tools/openapi defines: a bearer token (AuthMode=jwt) or a SigV4 signature
# (AuthMode=iam). Every route needs one of them, but registration with OpenRegistration=true.
CALLER = [{"bearer": []}, {"sigv4": []}]
CALLER_OR_ANYONE = [*CALLER, {}]
# What a route that reads a body may answer before its own logic runs (requests.parse_body).
BODY_PROBLEMS = (PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, MALFORMED_JSON, VALIDATION_ERROR)
# What any route may answer: no or a bad token, a caller the route is not for, a fault, the
# database (or the authorizer's issuer) out of reach.
_EVERY_ROUTE = (UNAUTHORIZED, FORBIDDEN, INTERNAL_ERROR, TEMPORARILY_UNAVAILABLE)
# Statuses whose answers say when to try again.
_RETRY_AFTER = frozenset({429, 503})
# The key under which a route names the model of its query string; tools/openapi turns it into
# parameters (powertools would replace a `parameters` key with the path's).
QUERY_MODEL = "x-query-model"
# The key under which a route says it reads If-Match (requests.precondition); likewise a parameter.
READS_IF_MATCH = "x-reads-if-match"


def responses(status: int, *problems: Problem, headers: tuple[str, ...] = ()) -> dict[int, dict[str, Any]]:
    """The route's answers: `status` on success (its body is the route's return annotation,
    `Response[Model]`; 204 has none), with `headers` besides X-Correlation-Id, and the problems
    it may answer besides those every route may."""
    success: dict[str, Any] = {"description": HTTPStatus(status).phrase, "headers": _refs("X-Correlation-Id", *headers)}
    if status == HTTPStatus.NO_CONTENT:
        success["content"] = {}
    answers: dict[int, dict[str, Any]] = {status: success}
    by_status: dict[int, list[Problem]] = {}
    for problem in dict.fromkeys((*problems, *_EVERY_ROUTE)):
        by_status.setdefault(problem.status, []).append(problem)
    for code, answered in sorted(by_status.items()):
        names = ["X-Correlation-Id"]
        if code in _RETRY_AFTER:
            names.append("Retry-After")
        names += sorted({name for problem in answered for name, _ in problem.headers})
        answers[code] = {
            "description": " ".join(f"`{problem.code}`: {problem.detail}" for problem in answered),
            "headers": _refs(*names),
            "content": {PROBLEM_JSON: {"model": ProblemDetails}},
        }
    return answers


def reads_body(model: type[BaseModel], *, required: bool = True, example: dict[str, Any] | None = None) -> dict:
    """The route reads a JSON body as `model` (requests.parse_body): for `openapi_extensions`."""
    content: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
    if example is not None:
        content["example"] = example
    return {"requestBody": {"required": required, "content": {"application/json": content}}}


def reads_query(model: type[BaseModel]) -> dict:
    """The route reads its query string as `model` (requests.parse_query): for `openapi_extensions`."""
    return {QUERY_MODEL: model.__name__}


def reads_if_match() -> dict:
    """The route honours an If-Match header (requests.precondition): for `openapi_extensions`."""
    return {READS_IF_MATCH: True}


def _refs(*names: str) -> dict[str, dict[str, str]]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}
