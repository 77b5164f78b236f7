"""POST /api/v1/clients."""

from __future__ import annotations

import re

import pytest

from tests.support.data import STRONG_PASSWORD, registration

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_registration_is_201_with_a_uuid4_and_a_location_behind_the_stage(api, store):
    response = api.call("POST", "/api/v1/clients", body=registration())

    assert response.status == 201
    client_id = response.json()["client_id"]
    assert UUID4.fullmatch(client_id)
    assert response.headers["location"] == f"/dev/api/v1/clients/{client_id}"
    assert response.content_type == "application/json"
    assert response.headers["x-correlation-id"]


def test_registration_stores_normalised_fields_and_never_the_password(api, store):
    body = registration(email="Pochta.Anna@Mail.RU", phone="+7 (909) 247-99-99", first_name="  Анна  ")

    client_id = api.call("POST", "/api/v1/clients", body=body).json()["client_id"]

    item = store.client(client_id)
    assert item["email"] == "pochta.anna@mail.ru"
    assert item["phone"] == "+79092479999"
    assert item["first_name"] == "Анна"
    assert item["password_hash"].startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert STRONG_PASSWORD not in str(item)
    assert item["version"] == 1
    assert store.guard_owner("email", "pochta.anna@mail.ru") == client_id
    assert store.guard_owner("phone", "+79092479999") == client_id


def test_russian_national_phone_form_is_stored_as_e164(api, store):
    client_id = api.call("POST", "/api/v1/clients", body=registration(phone="89092479999")).json()["client_id"]
    assert store.client(client_id)["phone"] == "+79092479999"


def test_optional_fields_may_be_left_out_and_read_back_as_null(api):
    body = registration(additional_info=..., birthday=..., sex=...)
    client_id = api.call("POST", "/api/v1/clients", body=body).json()["client_id"]

    profile = api.call("GET", f"/api/v1/clients/{client_id}").json()

    assert profile["additional_info"] is None
    assert profile["birthday"] is None
    assert profile["sex"] is None


@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "password", "phone"])
def test_each_required_field_missing_is_422_naming_it_and_writes_nothing(api, store, field):
    before = store.snapshot()

    response = api.call("POST", "/api/v1/clients", body=registration(**{field: ...}))

    assert response.status == 422
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert {"field": field, "message": "is required"} in problem["errors"]
    assert store.snapshot() == before


def test_taken_email_in_any_case_is_409_email_taken_and_writes_nothing(api, store):
    first = registration()
    api.call("POST", "/api/v1/clients", body=first)
    before = store.snapshot()

    response = api.call("POST", "/api/v1/clients", body=registration(email=first["email"].upper()))

    assert response.status == 409
    assert response.json()["code"] == "email_taken"
    assert response.json()["errors"][0]["field"] == "email"
    assert store.snapshot() == before


@pytest.mark.parametrize(
    ("plain", "look_alike"),
    [
        ("admin@mail.ru", "ａｄｍｉｎ@mail.ru"),
        ("file@mail.ru", "\ufb01le@mail.ru"),
        ("boss@mail.ru", "ｂｏｓｓ@ｍａｉｌ.ｒｕ"),
    ],
    ids=["fullwidth", "ligature", "fullwidth domain too"],
)
def test_a_compatibility_twin_of_a_taken_email_is_the_same_mailbox(api, store, plain, look_alike):
    assert api.call("POST", "/api/v1/clients", body=registration(email=plain)).status == 201
    before = store.snapshot()

    response = api.call("POST", "/api/v1/clients", body=registration(email=look_alike))

    assert response.status == 409
    assert response.json()["code"] == "email_taken"
    assert store.snapshot() == before


def test_changing_to_a_compatibility_twin_of_anothers_email_is_409(api):
    api.call("POST", "/api/v1/clients", body=registration(email="owner@mail.ru"))
    other = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]

    response = api.call("PATCH", f"/api/v1/clients/{other}", body={"email": "ｏｗｎｅｒ@mail.ru"})

    assert response.status == 409


@pytest.mark.parametrize(
    "email", ["p\u0430ypal@mail.ru", "ivan.\u0438\u0432\u0430\u043d\u043e\u0432@mail.ru", "\u03bfleg@mail.ru"]
)
def test_an_email_mixing_scripts_before_the_at_is_422(api, store, email):
    before = store.snapshot()

    response = api.call("POST", "/api/v1/clients", body=registration(email=email))

    assert response.status == 422
    [error] = response.json()["errors"]
    assert error["field"] == "email"
    assert "scripts" in error["message"]
    assert email not in response.body
    assert store.snapshot() == before


@pytest.mark.parametrize(
    "emails",
    [
        ("почта@почта.рф", "pochta@mail.ru"),
        ("pochta@почта.рф", "почта@mail.ru"),
        ("田中taro@example.jp", "τάσος@example.gr"),
    ],
)
def test_addresses_in_one_script_each_are_accepted(api, emails):
    for email in emails:
        response = api.call("POST", "/api/v1/clients", body=registration(email=email))
        assert response.status == 201
        client_id = response.json()["client_id"]
        assert api.call("GET", f"/api/v1/clients/{client_id}").json()["email"] == email


def test_taken_phone_in_another_form_is_409_phone_taken_and_writes_nothing(api, store):
    api.call("POST", "/api/v1/clients", body=registration(phone="+79092479999"))
    before = store.snapshot()

    response = api.call("POST", "/api/v1/clients", body=registration(phone="8 (909) 247-99-99"))

    assert response.status == 409
    assert response.json()["code"] == "phone_taken"
    assert store.snapshot() == before


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password123", "common"),
        ("qwertyuiop", "common"),
        ("anna.petrova-2024", "email"),
        ("short", "at least 8"),
        ("x" * 129, "at most 128"),
    ],
)
def test_weak_passwords_are_422_on_the_password_field_and_write_nothing(api, store, password, reason):
    before = store.snapshot()

    body = registration(email="Anna.Petrova@mail.ru", password=password)
    response = api.call("POST", "/api/v1/clients", body=body)

    assert response.status == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["password"]
    assert reason in errors[0]["message"]
    assert password not in response.body
    assert store.snapshot() == before


@pytest.mark.parametrize(
    ("password", "status"),
    [
        ("e\u0301" * 64, 201),  # 128 characters as sent, 64 after NFKC
        ("\ufb01" * 8, 201),  # "ﬁ": 8 as sent, 16 after NFKC
        ("\ufb03" * 128, 201),  # "ﬃ": 128 as sent, 384 after NFKC
        ("e\u0301" * 70, 422),  # 70 after NFKC, but 140 as sent: could never be verified as typed
        ("\ufb01" * 7, 422),  # 14 after NFKC, but 7 as sent
        ("e\u0301" * 4, 422),  # 8 as sent, but 4 after NFKC: too weak
    ],
)
def test_password_length_counts_characters_as_sent_and_still_8_after_nfkc(api, password, status):
    assert api.call("POST", "/api/v1/clients", body=registration(password=password)).status == status


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "a@b"),
        ("email", "x" * 250 + "@mail.ru"),
        ("phone", "12345"),
        ("phone", "+7 909 247"),
        ("phone", "телефон"),
        ("first_name", ""),
        ("first_name", "   "),
        ("first_name", "a" * 101),
        ("last_name", "tab\there"),
        ("additional_info", "x" * 2001),
        ("additional_info", "nul\x00byte"),
        ("birthday", "2004-02-30"),
        ("birthday", "08.10.2004"),
        ("birthday", "1899-12-31"),
        ("birthday", "2999-01-01"),
        ("sex", "female"),
        ("first_name", 42),
        ("phone", 79092479999),
        ("birthday", 20041008),
    ],
)
def test_invalid_field_is_422_naming_the_field_and_writes_nothing(api, store, field, value):
    before = store.snapshot()

    response = api.call("POST", "/api/v1/clients", body=registration(**{field: value}))

    assert response.status == 422
    assert response.content_type == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert store.snapshot() == before


def test_unknown_field_is_422_and_writes_nothing(api, store):
    before = store.snapshot()

    response = api.call("POST", "/api/v1/clients", body=registration(nickname="dog-lover"))

    assert response.status == 422
    assert response.json()["errors"] == [{"field": "nickname", "message": "unknown field"}]
    assert store.snapshot() == before


def test_cyrillic_is_returned_as_utf8_not_escaped(api):
    client_id = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]
    response = api.call("GET", f"/api/v1/clients/{client_id}")
    assert "фамилия" in response.body
    assert "\\u" not in response.body
