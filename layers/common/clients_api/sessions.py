"""Listing a client's sessions, a page at a time, and the cursor that says where a page ended."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from clients_api.errors import ClientNotFound, InvalidCursor
from clients_api.models import Session, SessionsPage, SessionsQuery
from clients_api.repository import ClientRepository, IndexKey, SessionRepository
from clients_api.settings import get_settings


@dataclass(frozen=True, slots=True)
class SessionPosition:
    """Where a page of one client's list ended, as the opaque, URL-safe cursor callers pass back.

    Unsigned: it names a place in a list the caller may read anyway. What matters is that it
    decodes only to a place in *this* client's list."""

    client_id: str
    starts_at: str
    session_id: str

    def encode(self) -> str:
        raw = json.dumps([self.client_id, self.starts_at, self.session_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str, client_id: str) -> SessionPosition:
        """The position a cursor names in this client's list; anything else is InvalidCursor."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            values = json.loads(raw)
        except ValueError:
            raise InvalidCursor() from None
        if not (isinstance(values, list) and len(values) == 3 and all(isinstance(v, str) and v for v in values)):
            raise InvalidCursor()
        position = cls(*values)
        try:  # a position in the index: a start time (ISO 8601) and a session id (a UUID)
            datetime.fromisoformat(position.starts_at)
            uuid.UUID(position.session_id)
        except ValueError:
            raise InvalidCursor() from None
        # A cursor made for another client is refused here: the database would not notice.
        if position.client_id != client_id:
            raise InvalidCursor()
        return position


def list_sessions(
    client_id: str, query: SessionsQuery, sessions: SessionRepository, clients: ClientRepository
) -> SessionsPage:
    """One page, newest first. Raises InvalidCursor or ClientNotFound."""
    after = SessionPosition.decode(query.cursor, client_id) if query.cursor else None
    # Checked on every page: anyone can make a cursor for any id, and sessions (written by other
    # parts of the platform) do not prove that their client exists.
    if not clients.exists(client_id):
        raise ClientNotFound()
    page, stopped = _fill(client_id, query, sessions, IndexKey(after.starts_at, after.session_id) if after else None)
    next_cursor = SessionPosition(client_id, *stopped).encode() if stopped else None
    return SessionsPage(sessions=page, next_cursor=next_cursor)


def _fill(
    client_id: str, query: SessionsQuery, sessions: SessionRepository, start: IndexKey | None
) -> tuple[list[Session], IndexKey | None]:
    """Up to `limit` sessions from `start`, and where the next page starts (None: the list
    ended). DynamoDB applies its Limit before the status filter, so one read may leave a page
    short, even empty: reads go on until the page is full or the list ends, within the bound
    (Settings.session_reads_per_page); only when that runs out is a page short with more left."""
    page: list[Session] = []
    position = start
    for _ in range(get_settings().session_reads_per_page):
        read, position = sessions.page(client_id, limit=query.limit, status=query.status, after=position)
        room = query.limit - len(page)
        if len(read) > room:  # more than fits: the next page starts after the last that fits
            page += read[:room]
            last = page[-1]  # from the index, which holds only sessions with a start time
            return page, IndexKey(str(last.starts_at), last.session_id)
        page += read
        if position is None or len(page) == query.limit:
            break
    return page, position
