"""Endpoint shapes shared by several functions: the PATCH endpoints differ only in their body."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from clients_api import profiles
from clients_api.http import json_response
from clients_api.models import ClientUpdated, ProfileUpdate
from clients_api.repository import ClientRepository
from clients_api.requests import parse_body, requested_client_id


def patch_profile(
    app: APIGatewayRestResolver, client_id: str, body: type[ProfileUpdate], repo: ClientRepository
) -> Response:
    """Parse a PATCH body, apply its changes to the client, answer 200 with the client's id."""
    client_id = requested_client_id(app, client_id)
    request = parse_body(app, body)
    profiles.update_profile(client_id, request.changes(), repo)
    return json_response(ClientUpdated(client_id=client_id))
