"""GET /api/v1/clients/{client_id}/sessions."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from tests.support.data import registration


@pytest.fixture
def client_id(api):
    return api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]


def sessions(api, client_id, **query):
    return api.call("GET", f"/api/v1/clients/{client_id}/sessions", query=query or None)


def test_sessions_newest_first_with_the_contracts_fields(api, store, client_id):
    old = store.put_session(client_id, "2024-01-01T10:00:00Z", status="проведена", cost="3000")
    new = store.put_session(client_id, "2024-03-01T10:00:00Z", status="на согласовании", cost="5000.5")
    store.put_session(str(uuid.uuid4()), "2024-02-01T10:00:00Z")  # someone else's

    response = sessions(api, client_id)

    assert response.status == 200
    body = response.json()
    assert [s["session_id"] for s in body] == [new, old]
    assert body[0]["status"] == "на согласовании"
    assert body[0]["cost"] == 5000.5
    assert body[1]["cost"] == 3000
    assert set(body[0]) >= {"session_id", "spot_id", "status", "cost"}
    assert "x-next-cursor" not in response.headers
    assert '"cost":5000.5' in response.body


def test_no_sessions_is_an_empty_list(api, client_id):
    response = sessions(api, client_id)
    assert response.status == 200
    assert response.json() == []


def test_unknown_client_is_404(api):
    assert sessions(api, str(uuid.uuid4())).status == 404


def forged_cursor(client_id):
    position = json.dumps([client_id, "2024-01-01T10:00:00Z", str(uuid.uuid4())]).encode()
    return base64.urlsafe_b64encode(position).decode().rstrip("=")


def test_unknown_client_is_404_with_a_cursor_too(api):
    unknown = str(uuid.uuid4())
    response = sessions(api, unknown, cursor=forged_cursor(unknown))
    assert response.status == 404
    assert response.json()["code"] == "client_not_found"


@pytest.mark.parametrize("cursor", [False, True], ids=["first page", "with a cursor"])
def test_sessions_of_a_client_that_does_not_exist_are_404_not_listed(api, store, cursor):
    unknown = str(uuid.uuid4())  # sessions are written by other parts of the platform
    store.put_session(unknown, "2023-12-01T10:00:00Z")
    response = sessions(api, unknown, **({"cursor": forged_cursor(unknown)} if cursor else {}))
    assert response.status == 404


def test_status_filter(api, store, client_id):
    held = store.put_session(client_id, "2024-01-01T10:00:00Z", status="проведена")
    store.put_session(client_id, "2024-01-02T10:00:00Z", status="отменена")

    response = sessions(api, client_id, status="проведена")

    assert [s["session_id"] for s in response.json()] == [held]


def test_unknown_status_is_422(api, client_id):
    response = sessions(api, client_id, status="done")
    assert response.status == 422
    assert response.json()["errors"][0]["field"] == "status"


@pytest.mark.parametrize("limit", ["0", "101", "ten", "-1", "1.5"])
def test_limit_outside_1_to_100_is_422(api, client_id, limit):
    response = sessions(api, client_id, limit=limit)
    assert response.status == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_pages_walk_the_whole_list_exactly_once(api, store, client_id):
    ids = [store.put_session(client_id, f"2024-01-{day:02d}T10:00:00Z") for day in range(1, 8)]
    seen, cursor, pages = [], None, 0

    while True:
        query = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        response = sessions(api, client_id, **query)
        assert response.status == 200
        page = response.json()
        assert len(page) <= 3
        seen += [s["session_id"] for s in page]
        pages += 1
        cursor = response.headers.get("x-next-cursor")
        if not cursor:
            break

    assert seen == list(reversed(ids))
    assert pages >= 3


def test_filtered_pages_may_be_short_but_the_walk_is_complete(api, store, client_id):
    held = [
        store.put_session(client_id, f"2024-01-{day:02d}T10:00:00Z", status="проведена" if day % 3 == 0 else "отменена")
        for day in range(1, 10)
    ]
    expected = [sid for day, sid in zip(range(1, 10), held, strict=True) if day % 3 == 0]
    seen, cursor = [], None

    for _ in range(20):
        query = {"limit": "2", "status": "проведена"} | ({"cursor": cursor} if cursor else {})
        response = sessions(api, client_id, **query)
        seen += [s["session_id"] for s in response.json()]
        cursor = response.headers.get("x-next-cursor")
        if not cursor:
            break

    assert seen == list(reversed(expected))


def test_cursor_is_url_safe(api, store, client_id):
    for day in range(1, 4):
        store.put_session(client_id, f"2024-01-{day:02d}T10:00:00Z")
    cursor = sessions(api, client_id, limit="1").headers["x-next-cursor"]
    assert all(c.isalnum() or c in "-_" for c in cursor)


@pytest.mark.parametrize("cursor", ["garbage", "e30", "W10", "!!!", base64.urlsafe_b64encode(b'["a","b"]').decode()])
def test_garbage_cursor_is_422(api, client_id, cursor):
    response = sessions(api, client_id, cursor=cursor)
    assert response.status == 422
    assert response.json()["errors"][0]["field"] == "cursor"


def test_another_clients_cursor_is_422(api, store, client_id):
    other = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]
    for day in range(1, 4):
        store.put_session(other, f"2024-01-{day:02d}T10:00:00Z")
    foreign = sessions(api, other, limit="1").headers["x-next-cursor"]

    response = sessions(api, client_id, cursor=foreign)

    assert response.status == 422


def test_a_forged_cursor_for_another_client_is_422(api, client_id):
    forged = json.dumps([str(uuid.uuid4()), "2024-01-01T10:00:00Z", str(uuid.uuid4())]).encode()
    response = sessions(api, client_id, cursor=base64.urlsafe_b64encode(forged).decode().rstrip("="))
    assert response.status == 422


@pytest.mark.parametrize(
    ("starts_at", "session_id"),
    [("not-a-date", str(uuid.uuid4())), ("2024-01-01T10:00:00Z", "x"), ("2024-13-01T10:00:00Z", str(uuid.uuid4()))],
    ids=["start time", "session id", "month 13"],
)
def test_a_forged_cursor_for_this_client_that_names_no_position_is_422(api, client_id, starts_at, session_id):
    forged = json.dumps([client_id, starts_at, session_id]).encode()
    response = sessions(api, client_id, cursor=base64.urlsafe_b64encode(forged).decode().rstrip("="))
    assert response.status == 422
    assert response.json()["errors"][0]["field"] == "cursor"


def test_a_status_filtered_page_is_full_even_when_the_newest_sessions_do_not_match(api, store, client_id):
    held = [store.put_session(client_id, f"2024-01-0{day}T10:00:00Z", status="проведена") for day in (1, 2, 3)]
    for day in range(10, 18):  # the 8 newest are cancelled: four whole reads of 2 match nothing
        store.put_session(client_id, f"2024-02-{day}T10:00:00Z", status="отменена")

    first = sessions(api, client_id, status="проведена", limit="2")
    rest = sessions(api, client_id, status="проведена", limit="2", cursor=first.headers["x-next-cursor"])

    assert [s["session_id"] for s in first.json()] == [held[2], held[1]]
    assert [s["session_id"] for s in rest.json()] == [held[0]]
    assert "x-next-cursor" not in rest.headers
