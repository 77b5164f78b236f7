"""PATCH /api/v1/clients/{client_id}/password: set a new password."""

from aws_lambda_powertools.event_handler import Response

from clients_api import credentials
from clients_api.http import client_id_param, create_app, json_response, lambda_handler_for, parse_body
from clients_api.models import ClientUpdated, PasswordChange
from clients_api.repository import client_repository

app = create_app()
repository = client_repository()


@app.patch("/api/v1/clients/<client_id>/password")
def update_password(client_id: str) -> Response:
    change = parse_body(app, PasswordChange)
    client_id = client_id_param(client_id)
    credentials.change_password(client_id, change, repository)
    return json_response(ClientUpdated(client_id=client_id))


lambda_handler = lambda_handler_for(app)
