"""The sessions cursor (SessionPosition) and paging through a client's list, against an
in-memory repository."""

from __future__ import annotations

import base64
import json
import uuid
from decimal import Decimal

import pytest

from clients_api.errors import ClientNotFound, InvalidCursor
from clients_api.models import Session, SessionsQuery
from clients_api.sessions import SessionPosition, list_sessions
from tests.support.fakes import FakeClients, FakeSessions, stored_client

POSITION = SessionPosition(str(uuid.uuid4()), "2024-03-01T10:00:00Z", str(uuid.uuid4()))


def cursor_of(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_a_cursor_decodes_to_the_position_it_was_made_from():
    cursor = POSITION.encode()

    assert SessionPosition.decode(cursor, POSITION.client_id) == POSITION
    assert "=" not in cursor


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !",
        cursor_of({"client_id": POSITION.client_id}),
        cursor_of([POSITION.client_id, POSITION.starts_at]),
        cursor_of([POSITION.client_id, POSITION.starts_at, ""]),
        cursor_of([POSITION.client_id, "yesterday", POSITION.session_id]),
        cursor_of([POSITION.client_id, POSITION.starts_at, "not-a-uuid"]),
        cursor_of([POSITION.client_id, POSITION.starts_at, 42]),
    ],
    ids=["garbage", "an object", "two parts", "an empty part", "no time", "no session id", "a number"],
)
def test_a_cursor_that_names_no_position_is_invalid(cursor):
    with pytest.raises(InvalidCursor):
        SessionPosition.decode(cursor, POSITION.client_id)


def test_another_clients_cursor_is_invalid():
    with pytest.raises(InvalidCursor):
        SessionPosition.decode(POSITION.encode(), str(uuid.uuid4()))


def session(day: int, status: str) -> Session:
    return Session(
        session_id=str(uuid.uuid4()),
        spot_id=str(uuid.uuid4()),
        status=status,
        cost=Decimal(3000),
        starts_at=f"2024-01-{day:02d}T10:00:00Z",
    )


def test_filtered_pages_walk_the_whole_list_newest_first_through_their_cursors():
    client = stored_client()
    held = [session(day, "проведена") for day in range(1, 6)]
    sessions = FakeSessions(client.client_id, [*held, *(session(day, "отменена") for day in range(6, 11))])
    seen, cursor = [], None
    for _ in range(10):
        query = SessionsQuery(status="проведена", limit=3, cursor=cursor)
        page = list_sessions(client.client_id, query, sessions, FakeClients(client))
        seen += page.sessions
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == sorted(held, key=lambda s: s.starts_at, reverse=True)


def test_a_client_that_does_not_exist_has_no_list_whatever_the_cursor():
    client_id = str(uuid.uuid4())
    cursor = SessionPosition(client_id, POSITION.starts_at, POSITION.session_id).encode()

    with pytest.raises(ClientNotFound):
        list_sessions(client_id, SessionsQuery(cursor=cursor), FakeSessions(client_id, []), FakeClients())


def test_a_filtered_page_keeps_reading_until_it_is_full_then_points_after_its_last_session():
    client = stored_client()
    cancelled = [session(day, "отменена") for day in range(10, 20)]  # newest: 10 that do not match
    held = [session(day, "проведена") for day in range(1, 6)]
    sessions = FakeSessions(client.client_id, [*held, *cancelled])

    first = list_sessions(client.client_id, SessionsQuery(status="проведена", limit=3), sessions, FakeClients(client))
    query = SessionsQuery(status="проведена", limit=3, cursor=first.next_cursor)
    second = list_sessions(client.client_id, query, sessions, FakeClients(client))

    newest_first = sorted(held, key=lambda s: s.starts_at, reverse=True)
    assert first.sessions == newest_first[:3]
    assert first.next_cursor is not None
    assert second.sessions == newest_first[3:]
    assert second.next_cursor is None


def test_only_a_page_whose_reads_ran_out_is_short_while_more_remain():
    client = stored_client()
    sessions = FakeSessions(client.client_id, [session(day, "отменена") for day in range(1, 28)])

    page = list_sessions(client.client_id, SessionsQuery(status="проведена", limit=2), sessions, FakeClients(client))

    # 5 reads of 2 sessions each found nothing: an empty page, and where to go on.
    assert page.sessions == []
    assert page.next_cursor is not None
