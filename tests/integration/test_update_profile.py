"""The PATCH endpoints: general update, full_name, phone_number, additional_info."""

from __future__ import annotations

import uuid

import pytest

from tests.support.data import registration


@pytest.fixture
def client(api, store):
    body = registration()
    client_id = api.call("POST", "/api/v1/clients", body=body).json()["client_id"]
    return client_id, body


def profile(api, client_id):
    return api.call("GET", f"/api/v1/clients/{client_id}").json()


def test_general_update_changes_the_given_fields_only(api, store, client):
    client_id, body = client

    response = api.call(
        "PATCH",
        f"/api/v1/clients/{client_id}",
        body={"first_name": "теперь-меня-зовут-олег", "additional_info": "я люблю людей"},
    )

    assert response.status == 200
    assert response.json() == {"client_id": client_id}
    after = profile(api, client_id)
    assert after["first_name"] == "теперь-меня-зовут-олег"
    assert after["additional_info"] == "я люблю людей"
    assert after["last_name"] == body["last_name"]
    assert after["email"] == body["email"]
    assert store.client(client_id)["version"] == 2


def test_null_fields_are_left_unchanged(api, client):
    client_id, body = client

    response = api.call("PATCH", f"/api/v1/clients/{client_id}", body={"first_name": None, "sex": "мужчина"})

    assert response.status == 200
    after = profile(api, client_id)
    assert after["first_name"] == body["first_name"]
    assert after["sex"] == "мужчина"


@pytest.mark.parametrize("body", [{}, {"first_name": None}, {"phone": None, "email": None}])
def test_no_non_null_field_is_422_and_writes_nothing(api, store, client, body):
    client_id, _ = client
    before = store.snapshot()

    response = api.call("PATCH", f"/api/v1/clients/{client_id}", body=body)

    assert response.status == 422
    assert store.snapshot() == before


def test_password_in_the_general_update_is_422_pointing_to_the_password_endpoint(api, store, client):
    client_id, _ = client
    before = store.snapshot()

    response = api.call("PATCH", f"/api/v1/clients/{client_id}", body={"password": "new-secret-pass-1"})

    assert response.status == 422
    [error] = response.json()["errors"]
    assert error["field"] == "password"
    assert "/password" in error["message"]
    assert "new-secret-pass-1" not in response.body
    assert store.snapshot() == before


def test_both_phone_spellings_at_once_is_422(api, store, client):
    client_id, _ = client
    before = store.snapshot()

    response = api.call(
        "PATCH", f"/api/v1/clients/{client_id}", body={"phone": "+79092479999", "phone_number": "+79092479999"}
    )

    assert response.status == 422
    assert store.snapshot() == before


@pytest.mark.parametrize("null_one", ["phone", "phone_number"])
def test_a_null_spelling_beside_the_other_is_no_value_not_a_second_one(api, store, client, null_one):
    client_id, _ = client
    other = {"phone": "phone_number", "phone_number": "phone"}[null_one]

    response = api.call("PATCH", f"/api/v1/clients/{client_id}", body={null_one: None, other: "8 909 247-00-11"})

    assert response.status == 200
    assert store.client(client_id)["phone"] == "+79092470011"


def test_email_change_moves_the_guard_in_one_step(api, store, client):
    client_id, body = client

    response = api.call("PATCH", f"/api/v1/clients/{client_id}", body={"email": "New.Address@Mail.ru"})

    assert response.status == 200
    assert profile(api, client_id)["email"] == "new.address@mail.ru"
    assert store.guard_owner("email", "new.address@mail.ru") == client_id
    assert store.guard_owner("email", body["email"]) is None
    # The old address is free again.
    assert api.call("POST", "/api/v1/clients", body=registration(email=body["email"])).status == 201


def test_phone_alias_in_general_update_moves_the_phone_guard(api, store, client):
    client_id, body = client

    response = api.call("PATCH", f"/api/v1/clients/{client_id}", body={"phone_number": "8 909 247-99-99"})

    assert response.status == 200
    assert profile(api, client_id)["phone"] == "+79092479999"
    assert store.guard_owner("phone", "+79092479999") == client_id
    assert store.guard_owner("phone", body["phone"]) is None


def test_email_and_phone_change_together(api, store, client):
    client_id, _ = client

    response = api.call(
        "PATCH",
        f"/api/v1/clients/{client_id}",
        body={"email": "both@mail.ru", "phone": "+79092479998", "last_name": "Х"},
    )

    assert response.status == 200
    guards = {i["client_id"] for i in store.items() if "owner" in i}
    assert guards == {"EMAIL#both@mail.ru", "PHONE#+79092479998"}


def test_changing_to_another_clients_email_is_409_and_writes_nothing(api, store, client):
    client_id, _ = client
    other = registration()
    api.call("POST", "/api/v1/clients", body=other)
    before = store.snapshot()

    response = api.call(
        "PATCH", f"/api/v1/clients/{client_id}", body={"email": other["email"].upper(), "first_name": "Новое"}
    )

    assert response.status == 409
    assert response.json()["code"] == "email_taken"
    assert store.snapshot() == before


def test_changing_to_another_clients_phone_is_409_and_writes_nothing(api, store, client):
    client_id, _ = client
    api.call("POST", "/api/v1/clients", body=registration(phone="+79092479999"))
    before = store.snapshot()

    response = api.call("PATCH", f"/api/v1/clients/{client_id}/phone_number", body={"phone_number": "89092479999"})

    assert response.status == 409
    assert response.json()["code"] == "phone_taken"
    assert store.snapshot() == before


def test_setting_the_same_email_in_another_case_and_same_phone_in_another_form_changes_nothing(api, store, client):
    client_id, body = client
    national = "8" + body["phone"][2:]
    before = store.snapshot()

    response = api.call(
        "PATCH", f"/api/v1/clients/{client_id}", body={"email": body["email"].upper(), "phone": national}
    )

    assert response.status == 200
    assert store.snapshot() == before


def test_full_name_treats_the_string_null_as_unchanged(api, client):
    client_id, body = client

    response = api.call(
        "PATCH", f"/api/v1/clients/{client_id}/full_name", body={"first_name": "null", "last_name": "я-вышла-замуж"}
    )

    assert response.status == 200
    after = profile(api, client_id)
    assert after["first_name"] == body["first_name"]
    assert after["last_name"] == "я-вышла-замуж"


def test_full_name_refuses_other_fields(api, store, client):
    client_id, _ = client
    before = store.snapshot()

    response = api.call("PATCH", f"/api/v1/clients/{client_id}/full_name", body={"last_name": "Х", "email": "a@b.ru"})

    assert response.status == 422
    assert response.json()["errors"] == [{"field": "email", "message": "unknown field"}]
    assert store.snapshot() == before


def test_general_update_keeps_the_string_null_as_a_name(api, client):
    client_id, _ = client
    assert api.call("PATCH", f"/api/v1/clients/{client_id}", body={"first_name": "null"}).status == 200
    assert profile(api, client_id)["first_name"] == "null"


@pytest.mark.parametrize("field", ["phone_number", "phone"])
def test_phone_number_endpoint_accepts_both_spellings(api, client, field):
    client_id, _ = client

    response = api.call("PATCH", f"/api/v1/clients/{client_id}/phone_number", body={field: "+7 (909) 247-99-97"})

    assert response.status == 200
    assert profile(api, client_id)["phone"] == "+79092479997"


def test_additional_info_empty_string_clears_it(api, client):
    client_id, _ = client

    response = api.call("PATCH", f"/api/v1/clients/{client_id}/additional_info", body={"additional_info": ""})

    assert response.status == 200
    assert profile(api, client_id)["additional_info"] == ""


def test_additional_info_null_is_422(api, client):
    client_id, _ = client
    response = api.call("PATCH", f"/api/v1/clients/{client_id}/additional_info", body={"additional_info": None})
    assert response.status == 422


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("", {"first_name": "Олег"}),
        ("/full_name", {"first_name": "Олег"}),
        ("/phone_number", {"phone_number": "+79092479990"}),
        ("/additional_info", {"additional_info": "x"}),
    ],
)
def test_every_patch_on_an_unknown_client_is_404_and_creates_nothing(api, store, path, body):
    before = store.snapshot()

    response = api.call("PATCH", f"/api/v1/clients/{uuid.uuid4()}{path}", body=body)

    assert response.status == 404
    assert response.json()["code"] == "client_not_found"
    assert store.snapshot() == before


@pytest.mark.parametrize("path", ["", "/full_name", "/phone_number", "/additional_info", "/password"])
def test_every_patch_with_a_malformed_id_is_422(api, path):
    response = api.call("PATCH", f"/api/v1/clients/not-a-uuid{path}", body={"first_name": "x"})
    assert response.status == 422
