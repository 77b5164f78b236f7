"""PATCH /api/v1/clients/{client_id}/password: set a new password."""

from aws_lambda_powertools.event_handler import Response

from clients_api import access, apidoc, credentials
from clients_api.endpoints import IF_MATCH_PROBLEMS
from clients_api.http import create_app, etag_header, json_response, lambda_handler_for
from clients_api.models import ClientUpdated, PasswordChange
from clients_api.problems import (
    CLIENT_NOT_FOUND,
    CURRENT_PASSWORD_REQUIRED,
    TOO_MANY_ATTEMPTS,
    WEAK_PASSWORD,
    WRONG_PASSWORD,
)
from clients_api.repository import client_repository, verification_repository
from clients_api.requests import IF_MATCH, caller, parse_body, precondition, requested_client_id

app = create_app()
clients = client_repository()
verification = verification_repository()


@app.patch(
    "/api/v1/clients/<client_id>/password",
    operation_id="updatePassword",
    summary="Set a new password (checking the current one when given)",
    tags=["passwords"],
    responses=apidoc.responses(
        200,
        *apidoc.BODY_PROBLEMS,
        CURRENT_PASSWORD_REQUIRED,
        WEAK_PASSWORD,
        CLIENT_NOT_FOUND,
        WRONG_PASSWORD,
        *IF_MATCH_PROBLEMS,
        TOO_MANY_ATTEMPTS,
        headers=("ETag",),
    ),
    openapi_extensions=apidoc.reads_headers(IF_MATCH)
    | apidoc.reads_body(
        PasswordChange, example={"password": "новый-пароль-2025", "current_password": "паучикапау-2024"}
    ),
)
def update_password(client_id: str) -> Response[ClientUpdated]:
    client_id = requested_client_id(app, client_id)
    change = parse_body(app, PasswordChange)
    access.require_current_password(caller(app), change.current_password)
    version = credentials.change_password(client_id, change, clients, verification, precondition(app))
    return json_response(ClientUpdated(client_id=client_id), headers=etag_header(version))


lambda_handler = lambda_handler_for(app)
