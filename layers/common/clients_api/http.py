"""The resolver every function builds its one route on, the answers it gives, and the Lambda
entry point. Requests are read in requests.py; problems are catalogued in problems.py."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.content_types import APPLICATION_JSON
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from clients_api.errors import DomainError
from clients_api.observability import Metric, count, logger, metrics
from clients_api.preconditions import etag
from clients_api.problems import ANSWERS, INTERNAL_ERROR, ROUTE_NOT_FOUND, problem_response
from clients_api.requests import RequestRejected
from clients_api.settings import get_settings
from clients_api.tracing import tracer

CORRELATION_HEADER = "X-Correlation-Id"
# On every response, errors too: none of them may be cached by a browser or proxy (most hold
# personal data).
_HEADERS_ON_EVERY_RESPONSE = {"Cache-Control": "no-store"}


def json_response(model: BaseModel, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    # pydantic writes UTF-8 as is (no \u escapes) and Decimal costs as numbers (see models.Money).
    return Response(
        status_code=status, content_type=APPLICATION_JSON, body=model.model_dump_json(), headers=dict(headers or {})
    )


def etag_header(version: int) -> dict[str, str]:
    """The ETag of a client at `version`: what an If-Match names to change that version only."""
    return {"ETag": etag(version)}


def no_content() -> Response:
    return Response(status_code=204, body=None)


def location_of(resolver: APIGatewayRestResolver, child: str) -> str:
    """URL of a resource under the requested path, kept behind any stage or base-path prefix."""
    context_path = resolver.current_event.request_context.path or resolver.current_event.path
    return f"{context_path.rstrip('/')}/{child}"


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
        allow_headers=["Authorization", "Content-Type", "X-Api-Key", "If-Match", "Idempotency-Key"],
        expose_headers=["ETag", "Location", "Retry-After", CORRELATION_HEADER, "X-Next-Cursor"],
        max_age=600,
    )
    app = _ExactRoutes(cors=cors)

    @app.exception_handler(RequestRejected)
    def _rejected(exc: RequestRejected) -> Response:
        # Field names only, ours: the values, and names a caller made up, may be personal data.
        logger.info("request rejected", extra={"code": exc.problem.code, "fields": exc.logged_fields})
        return problem_response(exc.problem, errors=exc.errors)

    @app.exception_handler(DomainError)
    def _refused(exc: DomainError) -> Response:
        answer = ANSWERS[type(exc)]
        if answer.metric is not None:
            count(answer.metric)
        if answer.warning is not None:
            logger.warning(answer.warning, exc_info=exc.__cause__ or exc)
        logger.info("request refused", extra={"code": answer.problem.code})
        errors = None
        if exc.field is not None:
            errors = [{"field": exc.field, "message": exc.field_message or answer.problem.detail}]
        return problem_response(answer.problem, errors=errors, retry_after_seconds=exc.retry_after_seconds)

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
        for name, value in _HEADERS_ON_EVERY_RESPONSE.items():
            headers.setdefault(name, [value])
        return response

    return lambda_handler
