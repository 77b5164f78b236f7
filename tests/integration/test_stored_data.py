"""Items in the tables that do not fit our models (another part of the platform wrote them, or a
hand did) are our fault, not the caller's: a 500 with the correlation id and an alarm-worthy log
line naming the fields, never a 422 that blames the request or leaks an internal name."""

from __future__ import annotations

import json

import pytest

from clients_api.errors import ConcurrentUpdate
from clients_api.repository import client_repository
from tests.integration.test_problem_details import assert_problem
from tests.support.data import registration


@pytest.fixture
def client_id(api):
    return api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]


def corrupt_client(store, client_id, **attributes):
    names = {f"#{name}": name for name in attributes}
    values = {f":{name}": {"S": value} for name, value in attributes.items()}
    store.ddb.update_item(
        TableName=store.clients_table,
        Key={"client_id": {"S": client_id}},
        UpdateExpression="SET " + ", ".join(f"#{n} = :{n}" for n in attributes),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def errors_logged(log_output):
    return [record for line in log_output.getvalue().splitlines() if (record := json.loads(line))["level"] == "ERROR"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"first_name": "Пётр"}),
        ("PATCH", "/full_name", {"first_name": "Пётр"}),
    ],
)
def test_a_client_item_that_does_not_fit_is_a_500_that_names_no_field(
    api, store, client_id, log_output, method, path, body
):
    corrupt_client(store, client_id, sex="male", registered_at="yesterday")
    before = store.snapshot()

    response = api.call(method, f"/api/v1/clients/{client_id}{path}", body=body)

    problem = assert_problem(response, 500, "internal_error")
    assert problem["correlation_id"] == response.headers["x-correlation-id"]
    assert "errors" not in problem
    assert "registered_at" not in response.body
    assert "male" not in response.body
    assert store.snapshot() == before
    [logged, *_] = errors_logged(log_output)
    assert logged["message"] == "stored item invalid"
    assert (logged["model"], logged["fields"], logged["item_id"]) == (
        "StoredClient",
        ["registered_at", "sex"],
        client_id,
    )


def test_verifying_against_a_client_item_that_does_not_fit_is_a_500_that_keeps_the_attempt(
    api, store, client_id, log_output
):
    corrupt_client(store, client_id, registered_at="yesterday")

    response = api.call("POST", f"/api/v1/clients/{client_id}/password/verify", body={"password": "whatever"})

    assert_problem(response, 500, "internal_error")
    # Attempts are counted before they are checked; one that fails to be checked stays counted.
    assert store.client(client_id)["verify_failures"] == 1
    assert errors_logged(log_output)[0]["fields"] == ["registered_at"]


def test_a_stored_hash_argon2_cannot_read_is_a_500_that_still_spends_the_budget(api, store, client_id):
    corrupt_client(store, client_id, password_hash="not a hash")
    verify = f"/api/v1/clients/{client_id}/password/verify"

    statuses = [api.call("POST", verify, body={"password": "whatever"}).status for _ in range(6)]

    # Counted before checked (fail closed): a data fault does not open unlimited guessing.
    assert statuses == [500] * 5 + [429]
    assert "verify_locked_until" not in store.client(client_id)


def remove_attribute(store, session_id, name):
    store.ddb.update_item(
        TableName=store.sessions_table,
        Key={"session_id": {"S": session_id}},
        UpdateExpression="REMOVE #name",
        ExpressionAttributeNames={"#name": name},
    )


@pytest.mark.parametrize("fault", ["unknown status", "no cost", "no spot id"])
def test_a_session_item_that_does_not_fit_is_a_500_not_a_shorter_list(api, store, client_id, log_output, fault):
    store.put_session(client_id, "2024-01-01T10:00:00Z")
    bad = store.put_session(
        client_id, "2024-01-02T10:00:00Z", status="перенесена" if fault == "unknown status" else "проведена"
    )
    field = {"unknown status": "status", "no cost": "cost", "no spot id": "spot_id"}[fault]
    if fault != "unknown status":
        remove_attribute(store, bad, field)

    response = api.call("GET", f"/api/v1/clients/{client_id}/sessions")

    assert_problem(response, 500, "internal_error")
    [logged, *_] = errors_logged(log_output)
    assert (logged["message"], logged["model"], logged["item_id"]) == ("stored item invalid", "Session", bad)
    assert logged["fields"] == [field]


def test_request_validation_is_still_a_422_that_names_the_field(api, client_id):
    response = api.call("PATCH", f"/api/v1/clients/{client_id}", body={"sex": "male"})

    problem = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in problem["errors"]] == ["sex"]


@pytest.mark.parametrize("stored_hash", ["not a hash", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$broken"])
def test_a_stored_hash_argon2_cannot_read_is_a_500_not_a_mismatch(api, store, client_id, stored_hash):
    corrupt_client(store, client_id, password_hash=stored_hash)

    response = api.call("POST", f"/api/v1/clients/{client_id}/password/verify", body={"password": "whatever"})

    assert_problem(response, 500, "internal_error")
    assert "match" not in response.body


def test_values_stored_before_todays_character_rules_still_load_and_survive_other_changes(api, store, client_id):
    old = {"first_name": "\u200b", "last_name": "Иван\u202eвонави", "additional_info": "a\u2066b\x0bc"}
    corrupt_client(store, client_id, **old)

    assert api.call("PATCH", f"/api/v1/clients/{client_id}", body={"sex": "мужчина"}).status == 200

    profile = api.call("GET", f"/api/v1/clients/{client_id}").json()
    assert {name: profile[name] for name in old} == old
    assert profile["sex"] == "мужчина"


def test_a_client_item_written_before_versions_existed_counts_as_version_1(api, store, client_id):
    store.ddb.update_item(
        TableName=store.clients_table, Key={"client_id": {"S": client_id}}, UpdateExpression="REMOVE version"
    )

    response = api.call("PATCH", f"/api/v1/clients/{client_id}", body={"first_name": "Пётр"})

    assert response.status == 200, response.body
    assert store.client(client_id)["first_name"] == "Пётр"
    assert store.client(client_id)["version"] == 2


@pytest.mark.parametrize("legacy", [False, True])
def test_a_change_to_a_client_removed_since_it_was_read_creates_no_item(api, store, client_id, legacy):
    if legacy:  # an item written before versions existed: it counts as version 1, a missing one does not
        store.ddb.update_item(
            TableName=store.clients_table, Key={"client_id": {"S": client_id}}, UpdateExpression="REMOVE version"
        )
    repository = client_repository()
    read = repository.get(client_id)
    store.ddb.delete_item(TableName=store.clients_table, Key={"client_id": {"S": client_id}})

    with pytest.raises(ConcurrentUpdate):
        repository.update(read, {"first_name": "Пётр"})

    assert store.client(client_id) is None
