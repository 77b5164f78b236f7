"""The shape the profile PATCH endpoints share: they differ only in their body."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from clients_api import apidoc, profiles
from clients_api.http import etag_header, json_response
from clients_api.models import ClientUpdated, ProfileUpdate
from clients_api.problems import CLIENT_NOT_FOUND, PRECONDITION_FAILED, PRECONDITION_REQUIRED, Problem
from clients_api.repository import ClientRepository
from clients_api.requests import IF_MATCH, parse_body, precondition, requested_client_id

# What every change of a client may answer for its If-Match (requests.precondition).
IF_MATCH_PROBLEMS = (PRECONDITION_FAILED, PRECONDITION_REQUIRED)


def patch_profile(
    app: APIGatewayRestResolver, client_id: str, body: type[ProfileUpdate], repo: ClientRepository
) -> Response[ClientUpdated]:
    """Parse a PATCH body, apply its changes to the client (If-Match permitting), answer 200 with
    the client's id and its new ETag."""
    client_id = requested_client_id(app, client_id)
    request = parse_body(app, body)
    version = profiles.update_profile(client_id, request.changes(), repo, precondition(app))
    return json_response(ClientUpdated(client_id=client_id), headers=etag_header(version))


def patch_reads(body: type[ProfileUpdate], example: dict[str, Any]) -> dict[str, Any]:
    """What a profile PATCH reads besides its path: If-Match, and `body` (with an example)."""
    return apidoc.reads_headers(IF_MATCH) | apidoc.reads_body(body, example=example)


def patch_responses(*problems: Problem) -> dict[int, dict[str, Any]]:
    """What a profile PATCH may answer: the problems of any body, an unknown client, its If-Match,
    `problems`."""
    return apidoc.responses(
        200, *apidoc.BODY_PROBLEMS, CLIENT_NOT_FOUND, *IF_MATCH_PROBLEMS, *problems, headers=("ETag",)
    )
