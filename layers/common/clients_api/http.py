"""HTTP glue: request parsing, responses, and the one place where errors become RFC 9457 problems.

Checks on a body run in the contract's order: 413 (size), 415 (media type), 400 (JSON), 422 (model).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from clients_api.access import Principal, Rule, authorize
from clients_api.errors import (
    ClientNotFound,
    ConcurrentUpdate,
    CurrentPasswordRequired,
    DatabaseUnavailable,
    DomainError,
    EmailTaken,
    Forbidden,
    InvalidCursor,
    PhoneTaken,
    Unauthenticated,
    VerificationLocked,
    WeakPassword,
    WrongPassword,
)
from clients_api.fields import parse_client_id
from clients_api.models import ProblemDetails
from clients_api.observability import Metric, count, logger, metrics
from clients_api.settings import MAX_BODY_BYTES, get_settings
from clients_api.tracing import tracer

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:clients-api:problem:"
CORRELATION_HEADER = "X-Correlation-Id"
# No response of this API may be cached by a browser or proxy: most of them hold personal data.
_ALWAYS = {"Cache-Control": "no-store"}


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    code: str
    title: str
    detail: str
    field: str | None = None


# Logged in place of a field name the caller made up: the name itself may be personal data.
UNKNOWN_FIELD = "<unknown>"


class RequestRejected(Exception):
    """A request refused before it reaches the domain (size, media type, JSON, parameters).
    `logged_fields` names the fields for the log: ours only, never a caller's unknown key."""

    def __init__(
        self, problem: Problem, errors: list[dict[str, str]] | None = None, logged_fields: list[str] | None = None
    ) -> None:
        super().__init__(problem.code)
        self.problem = problem
        self.errors = errors
        self.logged_fields = logged_fields or []


PAYLOAD_TOO_LARGE = Problem(
    413, "payload_too_large", "Payload too large", f"The request body is over {MAX_BODY_BYTES // 1024} KiB."
)
UNSUPPORTED_MEDIA_TYPE = Problem(
    415, "unsupported_media_type", "Unsupported media type", "Send the body as application/json."
)
MALFORMED_JSON = Problem(400, "malformed_json", "Malformed JSON", "The request body must be one JSON object.")
VALIDATION_ERROR = Problem(422, "validation_error", "Invalid request", "One or more fields are invalid.")
ROUTE_NOT_FOUND = Problem(404, "not_found", "Not found", "No such resource.")
INTERNAL_ERROR = Problem(
    500, "internal_error", "Internal error", "Something went wrong on our side; quote the correlation_id."
)

TEMPORARILY_UNAVAILABLE = Problem(
    503, "temporarily_unavailable", "Temporarily unavailable", "The service is busy; retry shortly."
)

# The one table from domain errors to HTTP.
DOMAIN_PROBLEMS: dict[type[DomainError], Problem] = {
    # Behind API Gateway's own checks, a function sees no caller only when a route lost its
    # authorizer (a misconfiguration): refused, as the gateway refuses a missing token.
    Unauthenticated: Problem(401, "unauthorized", "Unauthorized", "Send a valid bearer token."),
    Forbidden: Problem(403, "forbidden", "Forbidden", "This caller may not do this."),
    ClientNotFound: Problem(404, "client_not_found", "Client not found", "No client has this id."),
    EmailTaken: Problem(409, "email_taken", "Email taken", "Another client has this email.", "email"),
    PhoneTaken: Problem(409, "phone_taken", "Phone taken", "Another client has this phone number.", "phone"),
    WrongPassword: Problem(403, "wrong_password", "Wrong password", "current_password does not match."),
    CurrentPasswordRequired: Problem(
        422,
        "validation_error",
        "Invalid request",
        "A client changing its own password must send current_password.",
        "current_password",
    ),
    VerificationLocked: Problem(
        429, "too_many_attempts", "Too many attempts", "Password verification is locked; retry later."
    ),
    WeakPassword: Problem(422, "validation_error", "Invalid request", "The password is refused.", "password"),
    InvalidCursor: Problem(
        422, "validation_error", "Invalid request", "The cursor is not a position in this list.", "cursor"
    ),
    # Contention that outlived our bounded retries is, for the caller, the same as throttling.
    ConcurrentUpdate: TEMPORARILY_UNAVAILABLE,
    DatabaseUnavailable: TEMPORARILY_UNAVAILABLE,
}

# Refusals an operator watches (see README "Operations"), counted where every error is mapped.
DOMAIN_METRICS: dict[type[DomainError], Metric] = {
    EmailTaken: Metric.EMAIL_CONFLICTS,
    PhoneTaken: Metric.PHONE_CONFLICTS,
    VerificationLocked: Metric.LOCKED_OUT_ATTEMPTS,
    DatabaseUnavailable: Metric.DATABASE_UNAVAILABLE,
    ConcurrentUpdate: Metric.UPDATE_CONTENTION,
}


# ---------------------------------------------------------------- responses


def json_response(model: BaseModel, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    # pydantic writes UTF-8 as is (no \u escapes) and Decimal costs as numbers (see models.Money).
    return Response(status_code=status, content_type=JSON, body=model.model_dump_json(), headers=dict(headers or {}))


def no_content() -> Response:
    return Response(status_code=204, body=None)


def problem_response(
    problem: Problem,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    correlation_id: str | None = None,
) -> Response:
    body = ProblemDetails(
        type=PROBLEM_TYPE_PREFIX + problem.code,
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        code=problem.code,
        errors=errors or None,
        correlation_id=correlation_id,
    )
    # Serialised here: powertools serialises only application/json bodies.
    return Response(
        status_code=problem.status,
        content_type=PROBLEM_JSON,
        body=body.model_dump_json(exclude_none=True),
        headers=dict(headers or {}),
    )


def location_of(resolver: APIGatewayRestResolver, child: str) -> str:
    """URL of a resource under the requested path, kept behind any stage or base-path prefix."""
    context_path = resolver.current_event.request_context.path or resolver.current_event.path
    return f"{context_path.rstrip('/')}/{child}"


# ---------------------------------------------------------------- requests


def client_id_param(value: str | None) -> str:
    """The path's client id, validated; from here on every log line of the request carries it."""
    try:
        client_id = parse_client_id(value)
    except PydanticCustomError as exc:
        errors = [{"field": "client_id", "message": exc.message()}]
        raise RequestRejected(VALIDATION_ERROR, errors, ["client_id"]) from None
    logger.append_keys(client_id=client_id)
    return client_id


def caller(resolver: APIGatewayRestResolver) -> Principal:
    """Who sends this request, as API Gateway's authorizer (or SigV4 check) described it."""
    settings = get_settings()
    principal = Principal.from_request_context(
        resolver.current_event.raw_event.get("requestContext") or {}, settings.auth_mode
    )
    logger.append_keys(**principal.log_keys())
    return principal


def authorize_caller(resolver: APIGatewayRestResolver, rule: Rule) -> Principal:
    """The caller, once it may do an operation that names no client (registration)."""
    principal = caller(resolver)
    authorize(principal, rule, open_registration=get_settings().open_registration)
    return principal


def requested_client_id(resolver: APIGatewayRestResolver, value: str | None, rule: Rule = Rule.OWNER_OR_SERVICE) -> str:
    """The client id a request names, once the caller may act on that client, then validated.
    A client naming any other id (a malformed one too) gets the 404 of a client that does not
    exist, before anything else is looked at."""
    named = value.lower() if isinstance(value, str) else None
    authorize(caller(resolver), rule, named)
    return client_id_param(value)


def has_body(resolver: APIGatewayRestResolver) -> bool:
    return bool(resolver.current_event.body)


def parse_body[M: BaseModel](resolver: APIGatewayRestResolver, model: type[M]) -> M:
    """The request body as `model`: 413, 415, 400 and 422 problems, in that order."""
    event = resolver.current_event
    raw = _body_bytes(event.body or "", event.is_base64_encoded)
    if len(raw) > MAX_BODY_BYTES:
        raise RequestRejected(PAYLOAD_TOO_LARGE)
    content_type = event.headers.get("content-type")  # powertools' headers ignore case
    if raw and content_type and not _is_json_media_type(content_type):
        raise RequestRejected(UNSUPPORTED_MEDIA_TYPE)
    return _validated(model, _json_object(raw))


def parse_query[M: BaseModel](resolver: APIGatewayRestResolver, model: type[M]) -> M:
    params = resolver.current_event.multi_value_query_string_parameters or {}
    repeated = sorted(name for name, values in params.items() if len(values) > 1)
    if repeated:
        errors = [{"field": name, "message": "must be given at most once"} for name in repeated]
        logged = [name if name in model.model_fields else UNKNOWN_FIELD for name in repeated]
        raise RequestRejected(VALIDATION_ERROR, errors, logged)
    return _validated(model, {name: values[0] for name, values in params.items()})


def _validated[M: BaseModel](model: type[M], data: dict[str, Any]) -> M:
    """`data` as `model`, or a 422 naming the fields. Only request data is validated here: a
    ValidationError anywhere else is our fault, and a 500."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestRejected(VALIDATION_ERROR, *_field_errors(exc)) from None


def _body_bytes(body: str, is_base64: bool) -> bytes:
    if not is_base64:
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error:
        raise RequestRejected(MALFORMED_JSON) from None


def _is_json_media_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == JSON or (media_type.startswith("application/") and media_type.endswith("+json"))


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(
            raw.decode("utf-8"), object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise RequestRejected(MALFORMED_JSON) from None
    if not isinstance(value, dict):
        raise RequestRejected(MALFORMED_JSON)
    return value


def _field_errors(exc: ValidationError) -> tuple[list[dict[str, str]], list[str]]:
    """The problem's `errors`, and the field names fit for the log."""
    errors, logged = [], []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        field = ".".join(str(part) for part in error["loc"]) or "body"
        unknown = error["type"] == "extra_forbidden"
        errors.append({"field": field, "message": "unknown field" if unknown else error["msg"]})
        logged.append(UNKNOWN_FIELD if unknown else field)
    return errors, logged


# ---------------------------------------------------------------- the resolver


class _ExactRoutes(APIGatewayRestResolver):
    """Routes match the whole path. powertools ends each route's pattern with `$`, which also
    matches before a final newline: `/api/v1/clients/<id>` and a newline (`%0a` on the wire,
    decoded by API Gateway) reached the profile. `\\Z` matches only at the very end."""

    @staticmethod
    def _compile_regex(rule: str, *_args: str) -> re.Pattern[str]:
        loose = APIGatewayRestResolver._compile_regex(rule)
        return re.compile(loose.pattern.removesuffix("$") + r"\Z")


def create_app() -> APIGatewayRestResolver:
    """A resolver with this API's error handling and CORS; each function adds its one route."""
    # API Gateway answers preflights; every actual answer (errors too) names the allowed origin
    # and lets browser code read the headers the contract gives meaning to.
    cors = CORSConfig(
        allow_origin=get_settings().cors_allow_origin,
        allow_headers=["Authorization", "Content-Type", "X-Api-Key"],
        expose_headers=["Location", "Retry-After", CORRELATION_HEADER, "X-Next-Cursor"],
        max_age=600,
    )
    app = _ExactRoutes(cors=cors)

    @app.exception_handler(RequestRejected)
    def _rejected(exc: RequestRejected) -> Response:
        # Field names only, ours: the values, and names a caller made up, may be personal data.
        logger.info("request rejected", extra={"code": exc.problem.code, "fields": exc.logged_fields})
        return problem_response(exc.problem, errors=exc.errors)

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response:
        problem = DOMAIN_PROBLEMS[type(exc)]
        metric = DOMAIN_METRICS.get(type(exc))
        if metric is not None:
            count(metric)
        headers = {}
        if isinstance(exc, Unauthenticated):
            headers["WWW-Authenticate"] = "Bearer"
        elif isinstance(exc, VerificationLocked):
            headers["Retry-After"] = str(exc.retry_after_seconds)
        elif problem is TEMPORARILY_UNAVAILABLE:
            headers["Retry-After"] = str(get_settings().unavailable_retry_after_seconds)
            outage = isinstance(exc, DatabaseUnavailable)
            logger.warning("database unavailable" if outage else "update contention", exc_info=exc.__cause__ or exc)
        logger.info("request refused", extra={"code": problem.code})
        errors = None
        if problem.field:
            message = exc.reason if isinstance(exc, WeakPassword) else problem.detail
            errors = [{"field": problem.field, "message": message}]
        return problem_response(problem, errors=errors, headers=headers)

    @app.exception_handler(NotFoundError)
    def _no_route(exc: NotFoundError) -> Response:
        return problem_response(ROUTE_NOT_FOUND)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        count(Metric.INTERNAL_ERRORS)
        correlation_id = app.current_event.request_context.request_id
        return problem_response(INTERNAL_ERROR, correlation_id=correlation_id)

    return app


def lambda_handler_for(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point: correlation id in every log line and every response, the request's
    metrics published (and the cold start counted), the invocation traced."""

    # clear_state: keys appended during one request (the client id) never leak into the next.
    # The correlation id is set below from the event directly: a JMESPath query per request
    # (correlation_id_path) costs ~30 µs for the same value.
    @logger.inject_lambda_context(clear_state=True)
    # The trace gets no response body (personal data) and no exception as metadata; and since
    # the resolver answers every exception itself, none reaches X-Ray's own error recording.
    @tracer.capture_lambda_handler(capture_response=False, capture_error=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        correlation_id = (event.get("requestContext") or {}).get("requestId")
        logger.set_correlation_id(correlation_id)
        response = app.resolve(event, context)
        headers = response.setdefault("multiValueHeaders", {})
        if correlation_id:
            headers[CORRELATION_HEADER] = [correlation_id]
        for name, value in _ALWAYS.items():
            headers.setdefault(name, [value])
        return response

    return lambda_handler
