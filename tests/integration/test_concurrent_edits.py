"""ETag and If-Match: every profile answer names the client's version, every change answers the
version it left, and a change sent with If-Match lands only on the version it names."""

from __future__ import annotations

import pytest

from tests.support.data import STRONG_PASSWORD, registration

NEW_PASSWORD = "совсем-другой-пароль-77"
# Every change of a client, with a body that changes something, and the stored field it changes.
CHANGES = {
    "update": ("", {"additional_info": "новое"}, "additional_info"),
    "full name": ("/full_name", {"last_name": "Петрова"}, "last_name"),
    "phone": ("/phone_number", {"phone_number": "+79990001122"}, "phone"),
    "additional info": ("/additional_info", {"additional_info": "другое"}, "additional_info"),
    "password": ("/password", {"password": NEW_PASSWORD, "current_password": STRONG_PASSWORD}, "password_hash"),
}
READS = {
    "by path": lambda api, client_id: api.call("GET", f"/api/v1/clients/{client_id}"),
    "by query": lambda api, client_id: api.call("GET", "/api/v1/clients", query={"client_id": client_id}),
    "by body": lambda api, client_id: api.call("GET", "/api/v1/clients", body={"client_id": client_id}),
}


@pytest.fixture
def client_id(api):
    return api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]


def change(api, client_id, name, if_match=None, body=None):
    path, default_body, _ = CHANGES[name]
    headers = {"If-Match": if_match} if if_match is not None else None
    return api.call("PATCH", f"/api/v1/clients/{client_id}{path}", body=body or default_body, headers=headers)


def etag_of(api, client_id):
    return READS["by path"](api, client_id).headers["etag"]


@pytest.mark.parametrize("read", READS)
def test_every_form_of_the_profile_answers_the_version_as_a_strong_etag(api, client_id, read):
    response = READS[read](api, client_id)

    assert response.status == 200
    assert response.headers["etag"] == '"1"'


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_answers_the_new_etag_and_the_profile_shows_it(api, store, client_id, name):
    response = change(api, client_id, name)

    assert response.status == 200
    assert response.headers["etag"] == '"2"'
    assert etag_of(api, client_id) == '"2"'
    assert store.client(client_id)["version"] == 2


def test_a_change_that_changes_nothing_answers_the_etag_it_had_and_writes_nothing(api, store, client_id):
    change(api, client_id, "full name")
    before = store.snapshot()

    response = change(api, client_id, "full name", if_match='"2"')

    assert response.status == 200
    assert response.headers["etag"] == '"2"'
    assert store.snapshot() == before


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_with_the_current_etag_lands(api, store, client_id, name):
    response = change(api, client_id, name, if_match=etag_of(api, client_id))

    assert response.status == 200
    assert response.headers["etag"] == '"2"'


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_with_a_stale_etag_is_412_and_writes_nothing(api, store, client_id, name):
    change(api, client_id, "full name", body={"first_name": "Ольга"})  # someone else's change: version 2
    before = store.snapshot()

    response = change(api, client_id, name, if_match='"1"')

    assert response.status == 412
    assert response.json()["code"] == "precondition_failed"
    assert store.snapshot() == before


def test_a_change_that_would_change_nothing_is_412_all_the_same_when_the_etag_is_stale(api, store, client_id):
    change(api, client_id, "full name")
    before = store.snapshot()

    response = change(api, client_id, "full name", if_match='"1"')

    assert response.status == 412
    assert store.snapshot() == before


@pytest.mark.parametrize(("header", "status"), [("*", 200), ('"7", "1"', 200), ('W/"1"', 412), ("1", 412)])
def test_if_match_takes_any_of_a_list_and_star_but_never_a_weak_or_bare_tag(api, client_id, header, status):
    assert change(api, client_id, "update", if_match=header).status == status


def test_star_on_a_client_that_does_not_exist_is_404_and_creates_nothing(api, store):
    before = store.snapshot()

    response = change(api, "7febf16f-651b-43b0-a5e3-0da8da49e90d", "update", if_match="*")

    assert response.status == 404
    assert store.snapshot() == before


def test_a_stale_etag_is_412_before_the_current_password_is_checked_or_counted(api, store, client_id):
    before = store.snapshot()
    body = {"password": NEW_PASSWORD, "current_password": "не-тот-пароль-1"}

    response = change(api, client_id, "password", if_match='"9"', body=body)

    assert response.json()["code"] == "precondition_failed"
    assert store.snapshot() == before


@pytest.mark.parametrize("name", CHANGES)
def test_with_require_if_match_a_change_without_it_is_428_and_writes_nothing(
    api, store, client_id, name, settings_from
):
    settings_from(REQUIRE_IF_MATCH="true")
    before = store.snapshot()

    response = change(api, client_id, name)

    assert response.status == 428
    assert response.json()["code"] == "precondition_required"
    assert store.snapshot() == before
    assert change(api, client_id, name, if_match='"1"').status == 200


def test_with_require_if_match_reads_verification_and_clearing_a_lock_need_none(api, client_id, settings_from):
    settings_from(REQUIRE_IF_MATCH="true")

    assert api.call("GET", f"/api/v1/clients/{client_id}").status == 200
    verify = api.call("POST", f"/api/v1/clients/{client_id}/password/verify", body={"password": STRONG_PASSWORD})
    assert verify.status == 200
    assert api.call("DELETE", f"/api/v1/clients/{client_id}/password/lock").status == 204


def test_verification_locking_and_clearing_a_lock_never_change_the_version(api, store, client_id):
    verify = f"/api/v1/clients/{client_id}/password/verify"
    api.call("POST", verify, body={"password": STRONG_PASSWORD})
    for _ in range(5):
        api.call("POST", verify, body={"password": "не-тот-пароль-1"})
    assert api.call("POST", verify, body={"password": STRONG_PASSWORD}).status == 429
    api.call("DELETE", f"/api/v1/clients/{client_id}/password/lock")

    assert store.client(client_id)["version"] == 1
    assert etag_of(api, client_id) == '"1"'


@pytest.mark.parametrize("name", CHANGES)
def test_a_client_stored_before_versions_is_version_1_and_its_first_change_makes_it_2(api, store, ddb, client_id, name):
    ddb.update_item(
        TableName=store.clients_table, Key={"client_id": {"S": client_id}}, UpdateExpression="REMOVE version"
    )
    assert etag_of(api, client_id) == '"1"'

    response = change(api, client_id, name, if_match='"1"')

    assert response.headers["etag"] == '"2"'
    assert store.client(client_id)["version"] == 2
