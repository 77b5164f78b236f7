"""GET /api/v1/clients/{client_id}, and the two other forms the product owner asked for:
GET /api/v1/clients?client_id= and GET /api/v1/clients with a JSON body {"client_id": ...}."""

from aws_lambda_powertools.event_handler import Response

from clients_api import apidoc, profiles
from clients_api.http import create_app, etag_header, json_response, lambda_handler_for
from clients_api.models import ClientLookup, ClientProfile
from clients_api.problems import CLIENT_NOT_FOUND, VALIDATION_ERROR
from clients_api.repository import client_repository
from clients_api.requests import has_body, parse_body, parse_query, requested_client_id

app = create_app()
repository = client_repository()


@app.get(
    "/api/v1/clients/<client_id>",
    operation_id="getClient",
    summary="A client's profile",
    tags=["clients"],
    responses=apidoc.responses(200, VALIDATION_ERROR, CLIENT_NOT_FOUND, headers=("ETag",)),
)
def get_client(client_id: str) -> Response[ClientProfile]:
    return profile_response(requested_client_id(app, client_id))


@app.get(
    "/api/v1/clients",
    operation_id="lookUpClient",
    summary='A client\'s profile, by `?client_id=` or by a JSON body `{"client_id": ...}`',
    tags=["clients"],
    responses=apidoc.responses(200, *apidoc.BODY_PROBLEMS, CLIENT_NOT_FOUND, headers=("ETag",)),
    openapi_extensions=apidoc.reads_body(ClientLookup, required=False) | apidoc.reads_query(ClientLookup),
)
def get_client_by_lookup() -> Response[ClientProfile]:
    lookup = parse_body(app, ClientLookup) if has_body(app) else parse_query(app, ClientLookup)
    return profile_response(requested_client_id(app, lookup.client_id))


def profile_response(client_id: str) -> Response[ClientProfile]:
    """The profile, with the ETag an If-Match names to change this version of it."""
    profile, version = profiles.get_profile(client_id, repository)
    return json_response(profile, headers=etag_header(version))


lambda_handler = lambda_handler_for(app)
