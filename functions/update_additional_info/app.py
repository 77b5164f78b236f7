"""PATCH /api/v1/clients/{client_id}/additional_info: additional info."""

from aws_lambda_powertools.event_handler import Response

from clients_api.endpoints import patch_profile, patch_reads, patch_responses
from clients_api.http import create_app, lambda_handler_for
from clients_api.models import AdditionalInfoUpdate, ClientUpdated
from clients_api.repository import client_repository

app = create_app()
repository = client_repository()


@app.patch(
    "/api/v1/clients/<client_id>/additional_info",
    operation_id="updateAdditionalInfo",
    summary='Change the additional info ("" clears it)',
    tags=["clients"],
    responses=patch_responses(),
    openapi_extensions=patch_reads(AdditionalInfoUpdate, {"additional_info": "предпочитает утренние сеансы"}),
)
def update_additional_info(client_id: str) -> Response[ClientUpdated]:
    return patch_profile(app, client_id, AdditionalInfoUpdate, repository)


lambda_handler = lambda_handler_for(app)
