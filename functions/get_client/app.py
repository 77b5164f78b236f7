"""GET /api/v1/clients/{client_id}, and the note's forms: GET /api/v1/clients?client_id= or with
a JSON body {"client_id": ...}."""

from aws_lambda_powertools.event_handler import Response

from clients_api import profiles
from clients_api.http import create_app, json_response, lambda_handler_for
from clients_api.models import ClientLookup
from clients_api.repository import client_repository
from clients_api.requests import has_body, parse_body, parse_query, requested_client_id

app = create_app()
repository = client_repository()


@app.get("/api/v1/clients/<client_id>")
def get_client(client_id: str) -> Response:
    return json_response(profiles.get_profile(requested_client_id(app, client_id), repository))


@app.get("/api/v1/clients")
def get_client_by_lookup() -> Response:
    lookup = parse_body(app, ClientLookup) if has_body(app) else parse_query(app, ClientLookup)
    return json_response(profiles.get_profile(requested_client_id(app, lookup.client_id), repository))


lambda_handler = lambda_handler_for(app)
