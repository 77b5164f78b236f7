"""DELETE /api/v1/clients/{client_id}: the right to erasure. The client and its email and phone
guards go in one transaction that also records the erasure (id and time only); the email and
phone are free at once; the client's sessions stay (the booking side owns them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.test_problem_details import assert_problem
from tests.support.apigw import SERVICE, client
from tests.support.data import registration
from tests.support.endpoints import CLEAR_LOCK, ON_A_CLIENT


@pytest.fixture
def body():
    return registration()


@pytest.fixture
def client_id(api, body):
    return api.call("POST", "/api/v1/clients", body=body).json()["client_id"]


def erase(api, client_id, **kwargs):
    return api.call("DELETE", f"/api/v1/clients/{client_id}", **kwargs)


def test_erasing_a_client_removes_it_and_its_guards_and_records_its_id_and_the_time(api, store, client_id):
    response = erase(api, client_id, caller=client(client_id))

    assert response.status == 204, response.body
    assert response.body == ""
    assert store.client(client_id) is None
    assert store.owned_by(client_id) == []
    record = store.erasure(client_id)
    assert set(record) == {"client_id", "erased_at"}  # nothing personal
    erased_at = datetime.fromisoformat(record["erased_at"])
    assert erased_at.utcoffset() == timedelta(0)
    assert datetime.now(UTC) - erased_at < timedelta(seconds=5)


def test_the_email_and_phone_are_free_again_at_once(api, client_id, body):
    erase(api, client_id)

    again = api.call("POST", "/api/v1/clients", body=registration(email=body["email"], phone=body["phone"]))

    assert again.status == 201, again.body


def test_sessions_stay_and_their_list_is_a_404(api, store, client_id):
    store.put_session(client_id, "2024-02-25T10:00:00Z")
    sessions_before = store.items(store.sessions_table)

    erase(api, client_id)

    assert store.items(store.sessions_table) == sessions_before
    assert_problem(api.call("GET", f"/api/v1/clients/{client_id}/sessions"), 404, "client_not_found")


def test_a_second_erasure_is_a_404_and_changes_nothing(api, store, client_id):
    erase(api, client_id)
    before = store.snapshot()

    assert_problem(erase(api, client_id), 404, "client_not_found")
    assert store.snapshot() == before


@pytest.mark.parametrize("name", [*ON_A_CLIENT, "clear lock"])
def test_every_endpoint_answers_404_for_an_erased_client_and_writes_nothing(api, store, client_id, name):
    erase(api, client_id)
    before = store.snapshot()

    response = ON_A_CLIENT.get(name, CLEAR_LOCK).call(api, client_id, SERVICE)

    assert_problem(response, 404, "client_not_found")
    assert store.snapshot() == before


@pytest.mark.parametrize("if_match", ['"1"', "*", 'W/"0", "1"'])
def test_if_match_naming_the_clients_version_erases_it(api, store, client_id, if_match):
    assert erase(api, client_id, headers={"If-Match": if_match}).status == 204
    assert store.client(client_id) is None


@pytest.mark.parametrize("if_match", ['"2"', 'W/"1"', "garbage"])
def test_if_match_naming_another_version_is_412_and_erases_nothing(api, store, client_id, if_match):
    before = store.snapshot()

    assert_problem(erase(api, client_id, headers={"If-Match": if_match}), 412, "precondition_failed")
    assert store.snapshot() == before


def test_if_match_follows_the_version_a_change_made(api, store, client_id):
    api.call("PATCH", f"/api/v1/clients/{client_id}", body={"first_name": "Олег"})

    assert erase(api, client_id, headers={"If-Match": '"1"'}).status == 412
    assert erase(api, client_id, headers={"If-Match": '"2"'}).status == 204


def test_when_the_stack_requires_if_match_an_erasure_without_it_is_428(api, store, client_id, settings_from):
    settings_from(REQUIRE_IF_MATCH="true")
    before = store.snapshot()

    assert_problem(erase(api, client_id), 428, "precondition_required")
    assert store.snapshot() == before
    assert erase(api, client_id, headers={"If-Match": "*"}).status == 204


def test_a_client_stored_before_versions_existed_is_erased(api, store, client_id):
    store.ddb.update_item(
        TableName=store.clients_table, Key={"client_id": {"S": client_id}}, UpdateExpression="REMOVE version"
    )

    assert erase(api, client_id, headers={"If-Match": '"1"'}).status == 204
    assert store.client(client_id) is None
    assert store.owned_by(client_id) == []


def test_the_erasure_is_logged_with_the_client_id_only(api, client_id, log_output):
    erase(api, client_id, caller=client(client_id))

    [logged] = [line for line in log_output.getvalue().splitlines() if '"client erased"' in line]
    assert f'"client_id":"{client_id}"' in logged
