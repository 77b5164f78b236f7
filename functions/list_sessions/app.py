"""GET /api/v1/clients/{client_id}/sessions: the client's sessions, newest first, paged."""

from aws_lambda_powertools.event_handler import Response

from clients_api import apidoc, sessions
from clients_api.http import create_app, json_response, lambda_handler_for
from clients_api.models import SessionList, SessionsQuery
from clients_api.problems import CLIENT_NOT_FOUND, INVALID_CURSOR, VALIDATION_ERROR
from clients_api.repository import client_repository, session_repository
from clients_api.requests import parse_query, requested_client_id

app = create_app()
clients = client_repository()
sessions_repository = session_repository()


@app.get(
    "/api/v1/clients/<client_id>/sessions",
    operation_id="listSessions",
    summary="The client's sessions, newest first, a page at a time",
    tags=["sessions"],
    responses=apidoc.responses(200, VALIDATION_ERROR, INVALID_CURSOR, CLIENT_NOT_FOUND, headers=("X-Next-Cursor",)),
    openapi_extensions=apidoc.reads_query(SessionsQuery),
)
def list_sessions(client_id: str) -> Response[SessionList]:
    client_id = requested_client_id(app, client_id)
    page = sessions.list_sessions(client_id, parse_query(app, SessionsQuery), sessions_repository, clients)
    headers = {"X-Next-Cursor": page.next_cursor} if page.next_cursor else None
    return json_response(SessionList(page.sessions), headers=headers)


lambda_handler = lambda_handler_for(app)
