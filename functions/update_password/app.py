"""PATCH /api/v1/clients/{client_id}/password: set a new password."""

from aws_lambda_powertools.event_handler import Response

from clients_api import access, credentials
from clients_api.http import create_app, json_response, lambda_handler_for
from clients_api.models import ClientUpdated, PasswordChange
from clients_api.repository import client_repository, verification_repository
from clients_api.requests import caller, parse_body, requested_client_id

app = create_app()
clients = client_repository()
verification = verification_repository()


@app.patch("/api/v1/clients/<client_id>/password")
def update_password(client_id: str) -> Response:
    client_id = requested_client_id(app, client_id)
    change = parse_body(app, PasswordChange)
    access.require_current_password(caller(app), change.current_password)
    credentials.change_password(client_id, change, clients, verification)
    return json_response(ClientUpdated(client_id=client_id))


lambda_handler = lambda_handler_for(app)
