"""PATCH /api/v1/clients/{client_id}/phone_number: phone number."""

from aws_lambda_powertools.event_handler import Response

from clients_api.endpoints import patch_profile
from clients_api.http import create_app, lambda_handler_for
from clients_api.models import PhoneNumberUpdate
from clients_api.repository import client_repository

app = create_app()
repository = client_repository()


@app.patch("/api/v1/clients/<client_id>/phone_number")
def update_phone_number(client_id: str) -> Response:
    return patch_profile(app, client_id, PhoneNumberUpdate, repository)


lambda_handler = lambda_handler_for(app)
