"""No response or log line carries a password, a hash, an email or a phone it should not."""

from __future__ import annotations

import json

from clients_api.repository import client_repository
from tests.support.data import registration

PASSWORD = "Секретный-пароль-77"
NEW_PASSWORD = "Другой-секрет-2025"


def test_a_whole_client_lifecycle_leaks_nothing(api, store, monkeypatch, log_output):
    body = registration(password=PASSWORD, email="Leak.Check@Mail.ru", phone="+79161234567")
    responses = []

    def call(method, path, **kwargs):
        response = api.call(method, path, **kwargs)
        responses.append((method, path, response))
        return response

    client_id = call("POST", "/api/v1/clients", body=body).json()["client_id"]
    call("POST", "/api/v1/clients", body=registration(email=body["email"]))  # 409 email
    call("POST", "/api/v1/clients", body=registration(phone=body["phone"]))  # 409 phone
    call("POST", "/api/v1/clients", body=registration(email="leak.check@", password=PASSWORD))  # 422
    call("PATCH", f"/api/v1/clients/{client_id}", body={"password": PASSWORD})  # 422
    call("POST", f"/api/v1/clients/{client_id}/password/verify", body={"password": PASSWORD})
    call("POST", f"/api/v1/clients/{client_id}/password/verify", body={"password": NEW_PASSWORD})
    call("PATCH", f"/api/v1/clients/{client_id}/password", body={"password": NEW_PASSWORD, "current_password": "x"})
    call(
        "PATCH", f"/api/v1/clients/{client_id}/password", body={"password": NEW_PASSWORD, "current_password": PASSWORD}
    )
    call("PATCH", f"/api/v1/clients/{client_id}/phone_number", body={"phone_number": "89161234568"})
    call("PATCH", f"/api/v1/clients/{client_id}", body={"email": "leak.check2@mail.ru"})
    call("GET", f"/api/v1/clients/{client_id}/sessions")
    monkeypatch.setattr(client_repository(), "get", lambda *_: (_ for _ in ()).throw(RuntimeError(body["email"])))
    call("GET", f"/api/v1/clients/{client_id}")  # 500 with personal data in the exception
    monkeypatch.undo()
    profile = call("GET", f"/api/v1/clients/{client_id}")

    password_hash = store.client(client_id)["password_hash"]
    secrets = [PASSWORD, NEW_PASSWORD, password_hash, password_hash.rsplit("$", 1)[-1]]
    personal = ["leak.check@mail.ru", "leak.check2@mail.ru", "+79161234567", "79161234567", "+79161234568"]
    for method, path, response in responses:
        text = response.body + json.dumps(response.headers)
        for secret in secrets:
            assert secret not in text, (method, path)
        if response is not profile:
            for value in personal:
                assert value.lower() not in text.lower(), (method, path)
    assert profile.json()["email"] == "leak.check2@mail.ru"

    logs = log_output.getvalue()
    assert client_id in logs  # the id is what we log instead
    for value in [*secrets, *personal, "Leak.Check"]:
        assert value.lower() not in logs.lower()


def test_field_names_a_caller_made_up_are_refused_but_never_logged(api, log_output):
    client_id = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]
    made_up = ["leak.me@mail.ru", "89161234567"]

    body = api.call("PATCH", f"/api/v1/clients/{client_id}", body=dict.fromkeys(made_up, "x") | {"first_name": "Ян"})
    query = api.call(
        "GET", f"/api/v1/clients/{client_id}/sessions", query="89161234567=1&89161234567=2&limit=1&limit=2"
    )

    assert body.status == query.status == 422
    assert sorted(e["field"] for e in body.json()["errors"]) == sorted(made_up)
    logs = log_output.getvalue()
    assert not [name for name in made_up if name in logs]
    rejected = [json.loads(line) for line in logs.splitlines() if '"request rejected"' in line]
    assert [r["fields"] for r in rejected] == [["<unknown>", "<unknown>"], ["<unknown>", "limit"]]
