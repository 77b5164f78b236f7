"""GET /api/v1/clients/{client_id}, and GET /api/v1/clients with the id in the query or the body."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.data import registration


@pytest.fixture
def client(api):
    body = registration(phone="89092479999")
    client_id = api.call("POST", "/api/v1/clients", body=body).json()["client_id"]
    return client_id, body


def test_profile_has_every_field_but_the_password(api, client):
    client_id, body = client

    response = api.call("GET", f"/api/v1/clients/{client_id}")

    assert response.status == 200
    profile = response.json()
    registered = profile.pop("registration_date")
    assert profile == {
        "client_id": client_id,
        "first_name": body["first_name"],
        "last_name": body["last_name"],
        "email": body["email"],
        "phone": "+79092479999",
        "additional_info": body["additional_info"],
        "birthday": body["birthday"],
        "sex": body["sex"],
    }
    assert len(registered) == 19
    assert registered[4] == "-"
    assert registered[10] == " "
    assert "password" not in response.body
    assert "argon2" not in response.body


@pytest.mark.parametrize("form", ["query", "body"])
def test_the_query_and_body_forms_serve_the_same_profile(api, client, form):
    client_id, _ = client
    by_path = api.call("GET", f"/api/v1/clients/{client_id}").json()

    by_lookup = api.call("GET", "/api/v1/clients", **{form: {"client_id": client_id}})

    assert by_lookup.status == 200
    assert by_lookup.json() == by_path


@pytest.mark.parametrize("form", ["query", "body"])
def test_every_log_line_of_a_lookup_names_the_client(api, form, log_output):
    unknown = str(uuid.uuid4())

    assert api.call("GET", "/api/v1/clients", **{form: {"client_id": unknown}}).status == 404

    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    assert lines
    assert {line.get("client_id") for line in lines} == {unknown}


def test_upper_case_id_finds_the_same_client(api, client):
    client_id, _ = client
    assert api.call("GET", f"/api/v1/clients/{client_id.upper()}").json()["client_id"] == client_id


def test_unknown_client_is_404_client_not_found(api):
    response = api.call("GET", f"/api/v1/clients/{uuid.uuid4()}")

    assert response.status == 404
    problem = response.json()
    assert problem["code"] == "client_not_found"
    assert problem["type"] == "urn:clients-api:problem:client_not_found"
    assert problem["status"] == 404
    assert response.content_type == "application/problem+json"


@pytest.mark.parametrize(
    "bad_id",
    [
        "nope",
        "7febf16f651b43b0a5e30da8da49e90d",
        "7febf16f-651b-13b0-a5e3-0da8da49e90d",
        "7febf16f-651b-43b0-c5e3-0da8da49e90d",
    ],
)
def test_malformed_or_non_v4_id_is_422_on_client_id(api, bad_id):
    for response in (
        api.call("GET", f"/api/v1/clients/{bad_id}"),
        api.call("GET", "/api/v1/clients", query={"client_id": bad_id}),
        api.call("GET", "/api/v1/clients", body={"client_id": bad_id}),
    ):
        assert response.status == 422
        assert [e["field"] for e in response.json()["errors"]] == ["client_id"]


def test_lookup_without_an_id_is_422_client_id_required(api):
    response = api.call("GET", "/api/v1/clients")
    assert response.status == 422
    assert response.json()["errors"] == [{"field": "client_id", "message": "is required"}]


def test_lookup_with_an_unknown_parameter_is_422(api, client):
    client_id, _ = client
    response = api.call("GET", "/api/v1/clients", query={"client_id": client_id, "fields": "email"})
    assert response.status == 422
    assert response.json()["errors"] == [{"field": "fields", "message": "unknown field"}]


def test_lookup_with_a_repeated_parameter_is_422(api, client):
    client_id, _ = client
    response = api.call("GET", "/api/v1/clients", query=f"client_id={client_id}&client_id={uuid.uuid4()}")
    assert response.status == 422
