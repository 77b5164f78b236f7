"""The shape the profile PATCH endpoints share: they differ only in their body."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from clients_api import apidoc, profiles
from clients_api.http import json_response
from clients_api.models import ClientUpdated, ProfileUpdate
from clients_api.problems import CLIENT_NOT_FOUND, Problem
from clients_api.repository import ClientRepository
from clients_api.requests import parse_body, requested_client_id


def patch_profile(
    app: APIGatewayRestResolver, client_id: str, body: type[ProfileUpdate], repo: ClientRepository
) -> Response[ClientUpdated]:
    """Parse a PATCH body, apply its changes to the client, answer 200 with the client's id."""
    client_id = requested_client_id(app, client_id)
    request = parse_body(app, body)
    profiles.update_profile(client_id, request.changes(), repo)
    return json_response(ClientUpdated(client_id=client_id))


def patch_responses(*problems: Problem) -> dict[int, dict[str, Any]]:
    """What a profile PATCH may answer: the problems of any body, an unknown client, `problems`."""
    return apidoc.responses(200, *apidoc.BODY_PROBLEMS, CLIENT_NOT_FOUND, *problems)
