"""POST /api/v1/clients: register a client."""

from aws_lambda_powertools.event_handler import Response

from clients_api import registration
from clients_api.access import Rule
from clients_api.http import create_app, json_response, lambda_handler_for, location_of
from clients_api.models import ClientCreated, RegisterClient
from clients_api.repository import client_repository
from clients_api.requests import authorize_caller, parse_body

app = create_app()
repository = client_repository()


@app.post("/api/v1/clients")
def register_client() -> Response:
    authorize_caller(app, Rule.REGISTRATION)
    client_id = registration.register(parse_body(app, RegisterClient), repository)
    return json_response(ClientCreated(client_id=client_id), 201, {"Location": location_of(app, client_id)})


lambda_handler = lambda_handler_for(app)
