"""Listing a client's sessions."""

from __future__ import annotations

from clients_api.errors import ClientNotFound
from clients_api.models import SessionsPage, SessionsQuery
from clients_api.repository import ClientRepository, SessionPosition, SessionRepository


def list_sessions(
    client_id: str, query: SessionsQuery, sessions: SessionRepository, clients: ClientRepository
) -> SessionsPage:
    """One page, newest first. Raises InvalidCursor or ClientNotFound."""
    after = SessionPosition.decode(query.cursor, client_id) if query.cursor else None
    # Checked on every page: anyone can make a cursor for any id, and sessions (written by other
    # parts of the platform) do not prove that their client exists.
    if not clients.exists(client_id):
        raise ClientNotFound()
    page, position = sessions.page(client_id, limit=query.limit, status=query.status, after=after)
    return SessionsPage(sessions=page, next_cursor=position.encode() if position else None)
