"""POST /api/v1/clients: register a client."""

from aws_lambda_powertools.event_handler import Response

from clients_api import apidoc, idempotency, registration
from clients_api.access import Rule
from clients_api.http import create_app, json_response, lambda_handler_for, location_of
from clients_api.models import ClientCreated, RegisterClient
from clients_api.problems import (
    EMAIL_TAKEN,
    IDEMPOTENCY_KEY_REUSED,
    PHONE_TAKEN,
    REQUEST_IN_PROGRESS,
    WEAK_PASSWORD,
)
from clients_api.repository import client_repository
from clients_api.requests import IDEMPOTENCY_KEY, authorize_caller, idempotency_key, parse_body

app = create_app()
repository = client_repository()


@app.post(
    "/api/v1/clients",
    operation_id="registerClient",
    summary="Register a client",
    description="Needs a service's token (or signature) unless the stack has OpenRegistration=true."
    " With an `Idempotency-Key`, a retry with the same key and body gets the first answer again"
    " (the same `client_id` and `Location`) for `IdempotencyHours` (default 24).",
    tags=["clients"],
    security=apidoc.CALLER_OR_ANYONE,
    responses=apidoc.responses(
        201,
        *apidoc.BODY_PROBLEMS,
        WEAK_PASSWORD,
        IDEMPOTENCY_KEY_REUSED,
        EMAIL_TAKEN,
        PHONE_TAKEN,
        REQUEST_IN_PROGRESS,
        headers=("Location",),
    ),
    openapi_extensions=apidoc.reads_headers(IDEMPOTENCY_KEY)
    | apidoc.reads_body(
        RegisterClient,
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
)
def register_client() -> Response[ClientCreated]:
    caller = authorize_caller(app, Rule.REGISTRATION)
    request = parse_body(app, RegisterClient)
    key = idempotency_key(app)
    if key is None:
        client_id = registration.register(request, repository)
    else:
        client_id = idempotency.register_once(request, key, caller, repository, app.lambda_context)
    # A replay answers the Location of this request's path, as the first answer did.
    return json_response(ClientCreated(client_id=client_id), 201, {"Location": location_of(app, client_id)})


lambda_handler = lambda_handler_for(app)
