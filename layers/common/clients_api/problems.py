"""The catalogue of problems this API answers (RFC 9457, `application/problem+json`), and the one
table from domain errors to them."""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools.event_handler import Response

from clients_api.errors import (
    ClientNotFound,
    ConcurrentUpdate,
    CurrentPasswordRequired,
    DatabaseUnavailable,
    DomainError,
    EmailTaken,
    Forbidden,
    IdempotencyKeyReused,
    InvalidCursor,
    PhoneTaken,
    PreconditionFailed,
    PreconditionRequired,
    RequestInProgress,
    Unauthenticated,
    VerificationLocked,
    WeakPassword,
    WrongPassword,
)
from clients_api.models import ProblemDetails
from clients_api.observability import Metric
from clients_api.settings import MAX_BODY_BYTES

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:clients-api:problem:"


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    code: str  # the stable machine key callers branch on
    title: str
    detail: str
    # Sent with every answer of this problem, whatever raised it: (name, value) pairs.
    headers: tuple[tuple[str, str], ...] = ()
    # Answered with Retry-After (the error that raises it knows how long: DomainError).
    retry_after: bool = False


# Refused before the domain sees the request (requests.py), in the order they are checked.
PAYLOAD_TOO_LARGE = Problem(
    413, "payload_too_large", "Payload too large", f"The request body is over {MAX_BODY_BYTES // 1024} KiB."
)
UNSUPPORTED_MEDIA_TYPE = Problem(
    415, "unsupported_media_type", "Unsupported media type", "Send the body as application/json."
)
MALFORMED_JSON = Problem(400, "malformed_json", "Malformed JSON", "The request body must be one JSON object.")
VALIDATION_ERROR = Problem(422, "validation_error", "Invalid request", "One or more fields are invalid.")
# No route matched (a function behind a path it does not serve).
ROUTE_NOT_FOUND = Problem(404, "not_found", "Not found", "No such resource.")
METHOD_NOT_ALLOWED = Problem(
    405, "method_not_allowed", "Method not allowed", "This path does not serve this method; Allow names those it does."
)
INTERNAL_ERROR = Problem(
    500, "internal_error", "Internal error", "Something went wrong on our side; quote the correlation_id."
)

# Behind API Gateway's own checks, a function sees no caller only when a route lost its
# authorizer (a misconfiguration): refused, as the gateway refuses a missing token.
UNAUTHORIZED = Problem(
    401, "unauthorized", "Unauthorized", "Send a valid bearer token.", (("WWW-Authenticate", "Bearer"),)
)
FORBIDDEN = Problem(403, "forbidden", "Forbidden", "This caller may not do this.")
CLIENT_NOT_FOUND = Problem(404, "client_not_found", "Client not found", "No client has this id.")
EMAIL_TAKEN = Problem(409, "email_taken", "Email taken", "Another client has this email.")
PHONE_TAKEN = Problem(409, "phone_taken", "Phone taken", "Another client has this phone number.")
WRONG_PASSWORD = Problem(403, "wrong_password", "Wrong password", "current_password does not match.")
CURRENT_PASSWORD_REQUIRED = Problem(
    422, "validation_error", "Invalid request", "A client changing its own password must send current_password."
)
WEAK_PASSWORD = Problem(422, "validation_error", "Invalid request", "The password is refused.")
INVALID_CURSOR = Problem(422, "validation_error", "Invalid request", "The cursor is not a position in this list.")
PRECONDITION_FAILED = Problem(
    412,
    "precondition_failed",
    "Precondition failed",
    "The client changed since the version If-Match names; read it again (its ETag) and retry.",
)
PRECONDITION_REQUIRED = Problem(
    428, "precondition_required", "Precondition required", "Send If-Match with the ETag of the version you change."
)
REQUEST_IN_PROGRESS = Problem(
    409,
    "request_in_progress",
    "Request in progress",
    "A request with this Idempotency-Key is still being processed; retry it after Retry-After seconds.",
    retry_after=True,
)
IDEMPOTENCY_KEY_REUSED = Problem(
    422,
    "idempotency_key_reused",
    "Idempotency key reused",
    "This Idempotency-Key was sent with another request body; use a new key for a new request.",
)
TOO_MANY_ATTEMPTS = Problem(
    429, "too_many_attempts", "Too many attempts", "Password verification is locked; retry later.", retry_after=True
)
TEMPORARILY_UNAVAILABLE = Problem(
    503, "temporarily_unavailable", "Temporarily unavailable", "The service is busy; retry shortly.", retry_after=True
)


@dataclass(frozen=True, slots=True)
class Answer:
    """How the API answers one kind of domain error."""

    problem: Problem
    # Refusals an operator watches (docs/operations.md), counted where every error is answered.
    metric: Metric | None = None
    # Failures an operator looks into: logged as a warning, with what caused them.
    warning: str | None = None


# The one table from domain errors to HTTP.
ANSWERS: dict[type[DomainError], Answer] = {
    Unauthenticated: Answer(UNAUTHORIZED),
    Forbidden: Answer(FORBIDDEN),
    ClientNotFound: Answer(CLIENT_NOT_FOUND),
    EmailTaken: Answer(EMAIL_TAKEN, Metric.EMAIL_CONFLICTS),
    PhoneTaken: Answer(PHONE_TAKEN, Metric.PHONE_CONFLICTS),
    WrongPassword: Answer(WRONG_PASSWORD),
    CurrentPasswordRequired: Answer(CURRENT_PASSWORD_REQUIRED),
    VerificationLocked: Answer(TOO_MANY_ATTEMPTS, Metric.LOCKED_OUT_ATTEMPTS),
    WeakPassword: Answer(WEAK_PASSWORD),
    InvalidCursor: Answer(INVALID_CURSOR),
    PreconditionFailed: Answer(PRECONDITION_FAILED),
    PreconditionRequired: Answer(PRECONDITION_REQUIRED),
    RequestInProgress: Answer(REQUEST_IN_PROGRESS),
    IdempotencyKeyReused: Answer(IDEMPOTENCY_KEY_REUSED),
    DatabaseUnavailable: Answer(TEMPORARILY_UNAVAILABLE, Metric.DATABASE_UNAVAILABLE, "database unavailable"),
    # Contention that outlived our bounded retries is, for the caller, the same as throttling.
    ConcurrentUpdate: Answer(TEMPORARILY_UNAVAILABLE, Metric.UPDATE_CONTENTION, "update contention"),
}


def problem_response(
    problem: Problem,
    *,
    errors: list[dict[str, str]] | None = None,
    retry_after_seconds: int | None = None,
    correlation_id: str | None = None,
    headers: dict[str, str] | None = None,
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
    headers = dict(problem.headers) | (headers or {})
    if retry_after_seconds is not None:
        headers["Retry-After"] = str(retry_after_seconds)
    # Serialised here: powertools serialises only application/json bodies.
    return Response(
        status_code=problem.status,
        content_type=PROBLEM_JSON,
        body=body.model_dump_json(exclude_none=True),
        headers=headers,
    )
