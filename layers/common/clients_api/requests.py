"""Reading a request: who sends it, which client it names, its body and query as models.

Our own strict parser, not powertools' validation: checks on a body run in the contract's order,
413 (size), 415 (media type), 400 (JSON), 422 (model), and every refusal is one of our problems.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.content_types import APPLICATION_JSON
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from clients_api.access import Principal, Rule, authorize
from clients_api.errors import PreconditionRequired
from clients_api.fields import parse_client_id, parse_idempotency_key
from clients_api.observability import logger
from clients_api.preconditions import Precondition
from clients_api.problems import MALFORMED_JSON, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, VALIDATION_ERROR, Problem
from clients_api.settings import MAX_BODY_BYTES, get_settings

# The request headers we read, as the OpenAPI document names them.
IDEMPOTENCY_KEY = "Idempotency-Key"
IF_MATCH = "If-Match"
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
    return _client_id(value)


def _client_id(value: str | None) -> str:
    """The client id, validated; from here on every log line of the request carries it."""
    client_id = _parsed(parse_client_id, value, "client_id")
    logger.append_keys(client_id=client_id)
    return client_id


def _parsed(parse: Callable[[object], str], value: object, field: str) -> str:
    """`value` as one of our field rules reads it (fields.py), or a 422 naming `field`."""
    try:
        return parse(value)
    except PydanticCustomError as exc:
        errors = [{"field": field, "message": exc.message()}]
        raise RequestRejected(VALIDATION_ERROR, errors, [field]) from None


def precondition(resolver: APIGatewayRestResolver) -> Precondition | None:
    """The request's If-Match, if it sent one. Raises PreconditionRequired when the stack
    requires one (RequireIfMatch) and it sent none."""
    value = resolver.current_event.headers.get(IF_MATCH)  # powertools' headers ignore case
    if value is None:
        if get_settings().require_if_match:
            raise PreconditionRequired()
        return None
    return Precondition.from_header(value)


def idempotency_key(resolver: APIGatewayRestResolver) -> str | None:
    """The request's Idempotency-Key, if it sent one; a malformed one is a 422."""
    # powertools' headers ignore case: HTTP/2 sends them lower-cased, curl as typed.
    value = resolver.current_event.headers.get(IDEMPOTENCY_KEY)
    return None if value is None else _parsed(parse_idempotency_key, value, IDEMPOTENCY_KEY)


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
    return media_type == APPLICATION_JSON or (media_type.startswith("application/") and media_type.endswith("+json"))


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
        # U+FFFD is what API Gateway hands a function for bytes that are not UTF-8 (a body it
        # passes as text): the trace of a failed decoding, refused rather than stored as mojibake.
        if "\ufffd" in text:
            raise ValueError("not UTF-8")
        value = json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise RequestRejected(MALFORMED_JSON) from None
    if not isinstance(value, dict):
        raise RequestRejected(MALFORMED_JSON)
    return value


# pydantic's own messages, as a person reads them ("must be at least 8 characters", not "Value
# should have at least 8 items after validation, not 5"), by error type; the limits come from
# the error's context, never the input. Our own rules (fields.py) word theirs themselves.
_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "unknown field",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "bool_type": "must be true or false",
    "string_too_short": "must be at least {min_length} characters",
    "string_too_long": "must be at most {max_length} characters",
    "too_short": "must be at least {min_length} characters",
    "too_long": "must be at most {max_length} characters",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "string_pattern_mismatch": "holds characters that are not allowed here",
    "literal_error": "must be {expected}",
    "model_type": "must be a JSON object",
}


def _message(error: Any) -> str:
    template = _MESSAGES.get(error["type"])
    context = error.get("ctx")
    if template is None or ("{" in template and not context):
        return error["msg"]  # ours (fields.py), already worded for people, or no limits to name
    if error["type"] == "string_too_short" and context["min_length"] == 1:
        return "must not be empty"
    return template.format(**(context or {}))


def _field_errors(exc: ValidationError) -> tuple[list[dict[str, str]], list[str]]:
    """The problem's `errors`, and the field names fit for the log."""
    errors, logged = [], []
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in error["loc"]) or "body"
        errors.append({"field": field, "message": _message(error)})
        logged.append(UNKNOWN_FIELD if error["type"] == "extra_forbidden" else field)
    return errors, logged
