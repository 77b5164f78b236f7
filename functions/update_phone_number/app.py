"""PATCH /api/v1/clients/{client_id}/phone_number: phone number."""

from aws_lambda_powertools.event_handler import Response

from clients_api.endpoints import patch_profile, patch_reads, patch_responses
from clients_api.http import create_app, lambda_handler_for
from clients_api.models import ClientUpdated, PhoneNumberUpdate
from clients_api.problems import PHONE_TAKEN
from clients_api.repository import client_repository

app = create_app()
repository = client_repository()


@app.patch(
    "/api/v1/clients/<client_id>/phone_number",
    operation_id="updatePhoneNumber",
    summary="Change the phone number",
    tags=["clients"],
    responses=patch_responses(PHONE_TAKEN),
    openapi_extensions=patch_reads(PhoneNumberUpdate, {"phone_number": "+7 (909) 247-99-98"}),
)
def update_phone_number(client_id: str) -> Response[ClientUpdated]:
    return patch_profile(app, client_id, PhoneNumberUpdate, repository)


lambda_handler = lambda_handler_for(app)
