"""DELETE /api/v1/clients/{client_id}: erase a client (the right to erasure)."""

from aws_lambda_powertools.event_handler import Response

from clients_api import apidoc, erasure
from clients_api.endpoints import IF_MATCH_PROBLEMS
from clients_api.http import create_app, lambda_handler_for, no_content
from clients_api.problems import CLIENT_NOT_FOUND, VALIDATION_ERROR
from clients_api.repository import client_repository
from clients_api.requests import IF_MATCH, precondition, requested_client_id

app = create_app()
repository = client_repository()


@app.delete(
    "/api/v1/clients/<client_id>",
    operation_id="deleteClient",
    summary="Erase a client: its profile and password go, its email and phone are free again",
    tags=["clients"],
    responses=apidoc.responses(204, VALIDATION_ERROR, CLIENT_NOT_FOUND, *IF_MATCH_PROBLEMS),
    openapi_extensions=apidoc.reads_headers(IF_MATCH),
)
def delete_client(client_id: str) -> Response[None]:
    client_id = requested_client_id(app, client_id)
    erasure.erase(client_id, precondition(app), repository)
    return no_content()


lambda_handler = lambda_handler_for(app)
