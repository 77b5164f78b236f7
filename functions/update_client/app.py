"""PATCH /api/v1/clients/{client_id}: general profile update."""

from aws_lambda_powertools.event_handler import Response

from clients_api.endpoints import patch_profile, patch_reads, patch_responses
from clients_api.http import create_app, lambda_handler_for
from clients_api.models import ClientUpdate, ClientUpdated
from clients_api.problems import EMAIL_TAKEN, PHONE_TAKEN
from clients_api.repository import client_repository

app = create_app()
repository = client_repository()


@app.patch(
    "/api/v1/clients/<client_id>",
    operation_id="updateClient",
    summary="Change any profile fields (absent or null: unchanged)",
    tags=["clients"],
    responses=patch_responses(EMAIL_TAKEN, PHONE_TAKEN),
    openapi_extensions=patch_reads(ClientUpdate, {"email": "maria.ivanova@example.com", "additional_info": "и кошек"}),
)
def update_client(client_id: str) -> Response[ClientUpdated]:
    return patch_profile(app, client_id, ClientUpdate, repository)


lambda_handler = lambda_handler_for(app)
