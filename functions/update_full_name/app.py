"""PATCH /api/v1/clients/{client_id}/full_name: first and last name."""

from aws_lambda_powertools.event_handler import Response

from clients_api.endpoints import patch_profile, patch_reads, patch_responses
from clients_api.http import create_app, lambda_handler_for
from clients_api.models import ClientUpdated, FullNameUpdate
from clients_api.repository import client_repository

app = create_app()
repository = client_repository()


@app.patch(
    "/api/v1/clients/<client_id>/full_name",
    operation_id="updateFullName",
    summary="Change the first and/or last name",
    tags=["clients"],
    responses=patch_responses(),
    openapi_extensions=patch_reads(FullNameUpdate, {"first_name": "Мария", "last_name": "Петрова"}),
)
def update_full_name(client_id: str) -> Response[ClientUpdated]:
    return patch_profile(app, client_id, FullNameUpdate, repository)


lambda_handler = lambda_handler_for(app)
