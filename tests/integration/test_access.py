"""Who may call what: every endpoint, for each kind of caller the authorizer can describe.

A client acts on its own record only (another id is the 404 of a client that does not exist,
and nothing is written); a service may do everything; a request no authorizer vouched for is a
401. The gateway answers missing and bad tokens itself (tests/local drives that through real
tokens); these tests pin what each function decides from the context it is handed.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.apigw import SERVICE, client
from tests.support.data import registration
from tests.support.endpoints import CLEAR_LOCK, ERASE, NEW_PASSWORD, ON_A_CLIENT

# Besides ON_A_CLIENT, whose requests leave the client in place.
ELSEWHERE = {"clear lock": CLEAR_LOCK, "erase": ERASE}


@pytest.fixture
def owner(api: Any) -> str:
    return api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]


@pytest.fixture
def stranger(api: Any) -> str:
    return api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]


@pytest.mark.parametrize("name", [*ON_A_CLIENT, "erase"])
def test_a_client_may_act_on_its_own_record(api, owner, name):
    endpoint = ON_A_CLIENT.get(name, ERASE)
    response = endpoint.call(api, owner, client(owner))
    assert response.status == endpoint.success, response.body


@pytest.mark.parametrize("name", [*ON_A_CLIENT, "erase"])
def test_a_service_may_act_on_any_record(api, owner, name):
    endpoint = ON_A_CLIENT.get(name, ERASE)
    response = endpoint.call(api, owner, SERVICE)
    assert response.status == endpoint.success, response.body


@pytest.mark.parametrize("name", [*ON_A_CLIENT, *ELSEWHERE])
def test_another_clients_record_is_a_404_like_no_client_and_nothing_changes(api, store, owner, stranger, name):
    endpoint = ON_A_CLIENT.get(name) or ELSEWHERE[name]
    before = store.snapshot()

    response = endpoint.call(api, stranger, client(owner))

    assert response.status == 404, response.body
    assert response.json()["code"] == "client_not_found"
    assert store.snapshot() == before
    # Word for word what a client that does not exist gets: nothing tells that it does.
    unknown = endpoint.call(api, "0f0e0d0c-0b0a-4908-8706-050403020100", client(owner)).json()
    assert response.json() | {"correlation_id": None} == unknown | {"correlation_id": None}


@pytest.mark.parametrize("name", [*ON_A_CLIENT, *ELSEWHERE])
def test_a_request_no_authorizer_vouched_for_is_401_and_changes_nothing(api, store, owner, name):
    before = store.snapshot()

    response = (ON_A_CLIENT.get(name) or ELSEWHERE[name]).call(api, owner, None)

    assert response.status == 401, response.body
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
    assert store.snapshot() == before


def test_a_client_may_not_register_anyone(api, store, owner):
    before = store.snapshot()
    response = api.call("POST", "/api/v1/clients", body=registration(), caller=client(owner))
    assert response.status == 403
    assert response.json()["code"] == "forbidden"
    assert store.snapshot() == before


def test_registration_without_a_caller_is_401_unless_registration_is_open(api, store, settings_from):
    before = store.snapshot()
    assert api.call("POST", "/api/v1/clients", body=registration(), caller=None).status == 401
    assert store.snapshot() == before

    settings_from(OPEN_REGISTRATION="true")
    assert api.call("POST", "/api/v1/clients", body=registration(), caller=None).status == 201


def test_open_registration_opens_nothing_else(api, owner, settings_from):
    settings_from(OPEN_REGISTRATION="true")
    assert ON_A_CLIENT["profile"].call(api, owner, None).status == 401


def test_a_client_changing_its_own_password_must_send_the_current_one(api, store, owner):
    before = store.snapshot()

    response = api.call(
        "PATCH", f"/api/v1/clients/{owner}/password", body={"password": NEW_PASSWORD}, caller=client(owner)
    )

    assert response.status == 422
    assert response.json()["errors"] == [
        {"field": "current_password", "message": "A client changing its own password must send current_password."}
    ]
    assert store.snapshot() == before


def test_a_service_may_set_a_password_without_the_current_one(api, owner):
    response = api.call("PATCH", f"/api/v1/clients/{owner}/password", body={"password": NEW_PASSWORD}, caller=SERVICE)
    assert response.status == 200
    verified = api.call("POST", f"/api/v1/clients/{owner}/password/verify", body={"password": NEW_PASSWORD})
    assert verified.json() == {"match": True}


def test_only_a_service_may_clear_a_verification_lock(api, store, owner):
    before = store.snapshot()
    response = CLEAR_LOCK.call(api, owner, client(owner))
    assert response.status == 403
    assert response.json()["code"] == "forbidden"
    assert store.snapshot() == before


def test_a_client_id_in_another_case_is_the_same_client(api, owner):
    assert api.call("GET", f"/api/v1/clients/{owner.upper()}", caller=client(owner)).status == 200


def test_an_authorizer_context_of_an_unknown_kind_is_no_caller(api, owner):
    from tests.support import apigw

    event, module = apigw.build_event("GET", f"/api/v1/clients/{owner}")
    event["requestContext"]["authorizer"] = {"principalId": "x", "kind": "admin", "client_id": owner}
    response, _ = apigw.invoke(event, module)
    assert response.status == 401


def test_with_auth_off_anyone_may_do_everything(api, owner, settings_from):
    settings_from(AUTH_MODE="none")
    for name, endpoint in ON_A_CLIENT.items():
        if name != "password":  # its current_password changed in the first round
            assert endpoint.call(api, owner, None).status == endpoint.success, name
    assert api.call("POST", "/api/v1/clients", body=registration(), caller=None).status == 201
    assert CLEAR_LOCK.call(api, owner, None).status == 204
    assert ERASE.call(api, owner, None).status == 204


def test_with_iam_every_signed_caller_is_a_service_and_an_unsigned_one_is_refused(api, owner, settings_from):
    from tests.support import apigw

    settings_from(AUTH_MODE="iam")

    def sent_with(user_arn: str | None) -> int:
        event, module = apigw.build_event("GET", f"/api/v1/clients/{owner}", caller=None)
        event["requestContext"]["identity"]["userArn"] = user_arn
        return apigw.invoke(event, module)[0].status

    assert sent_with("arn:aws:sts::123456789012:assumed-role/booking-service/session") == 200
    assert sent_with(None) == 401


def test_log_lines_name_the_callers_kind_and_client_id_only(api, owner, log_output):
    api.call("PATCH", f"/api/v1/clients/{owner}", body={"sex": "?"}, caller=client(owner))  # logs its refusal
    api.call("DELETE", f"/api/v1/clients/{owner}/password/lock", caller=SERVICE)

    lines = [line for line in log_output.getvalue().splitlines() if '"caller"' in line]
    assert any(f'"caller_client_id":"{owner}"' in line and '"caller":"client"' in line for line in lines)
    assert any('"caller":"service"' in line and "caller_client_id" not in line for line in lines)
    assert "openid" not in log_output.getvalue()  # scopes are claims: never logged
