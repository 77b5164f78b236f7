"""POST /api/v1/clients with an Idempotency-Key: a retry gets the first answer, never a second
client; another body with the key is refused; the records hold no body and no key."""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest

from clients_api.access import CallerKind, Principal
from clients_api.repository import dynamodb_client
from tests.support import apigw
from tests.support.data import STRONG_PASSWORD, registration
from tests.support.faults import Fault, injected

CLIENTS = "/api/v1/clients"
IDEMPOTENCY_TABLE = os.environ["IDEMPOTENCY_TABLE"]


def register(api, body, key, **kwargs):
    return api.call("POST", CLIENTS, body=body, headers={"Idempotency-Key": key}, **kwargs)


def registered_clients(store):
    return [item for item in store.items() if "owner" not in item]


def records(store):
    return store.items(IDEMPOTENCY_TABLE)


@pytest.fixture
def key():
    return str(uuid.uuid4())


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer_and_registers_once(api, store, key):
    body = registration()

    first = register(api, body, key)
    retry = register(api, body, key)

    assert first.status == retry.status == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert len(registered_clients(store)) == 1


def test_a_replay_is_logged_with_the_client_id(api, key, log_output):
    body = registration()
    client_id = register(api, body, key).json()["client_id"]

    register(api, body, key)

    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    [replayed] = [line for line in lines if line["message"] == "registration replayed"]
    assert replayed["client_id"] == client_id


def test_a_retry_of_the_same_request_in_another_form_is_the_same_request(api, store, key):
    body = registration(phone="89161234567")

    first = register(api, body, key)
    retry = register(api, body | {"phone": "+7 (916) 123-45-67", "email": body["email"].upper()}, key)

    assert retry.status == 201
    assert retry.json() == first.json()
    assert len(registered_clients(store)) == 1


def test_the_key_is_read_whatever_the_case_of_the_header_name(api, store, key):
    body = registration()

    first = api.call("POST", CLIENTS, body=body, headers={"idempotency-key": key})
    retry = api.call("POST", CLIENTS, body=body, headers={"IDEMPOTENCY-KEY": key})

    assert retry.json() == first.json()
    assert len(registered_clients(store)) == 1


def test_the_same_key_with_another_body_is_422_idempotency_key_reused_and_registers_nothing(api, store, key):
    register(api, registration(), key)
    before = store.snapshot()

    response = register(api, registration(), key)

    assert response.status == 422
    problem = response.json()
    assert problem["code"] == "idempotency_key_reused"
    assert problem["errors"] == [{"field": "Idempotency-Key", "message": problem["detail"]}]
    assert store.snapshot() == before


def test_another_key_is_another_request(api, store):
    body = registration()
    register(api, body, str(uuid.uuid4()))

    response = register(api, body, str(uuid.uuid4()))

    assert response.status == 409
    assert response.json()["code"] == "email_taken"


def test_without_a_key_nothing_is_remembered(api, store):
    body = registration()
    api.call("POST", CLIENTS, body=body)

    assert api.call("POST", CLIENTS, body=body).json()["code"] == "email_taken"
    assert records(store) == []


def test_keys_are_scoped_per_caller(api, store, key, settings_from):
    """A key another caller used is a new key: the same body then meets the client's email."""
    settings_from(OPEN_REGISTRATION="true")
    body = registration()

    first = register(api, body, key, caller=apigw.SERVICE)
    anonymous = register(api, body, key, caller=None)

    assert first.status == 201
    assert anonymous.status == 409
    assert anonymous.json()["code"] == "email_taken"


@pytest.mark.parametrize("value", ["", "a b", "ключ", "x" * 256, "tab\there"])
def test_a_malformed_key_is_422_naming_the_header_and_registers_nothing(api, store, value):
    before = store.snapshot()

    response = register(api, registration(), value)

    assert response.status == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert store.snapshot() == before


@pytest.mark.parametrize("value", ["!", "~" * 255, "5f0c6a1e-8d4b-4b0e-9a57-2a9f7c3d1e42"])
def test_keys_of_1_to_255_visible_ascii_characters_are_accepted(api, value):
    assert register(api, registration(), value).status == 201


def test_a_failed_registration_keeps_no_record_and_its_retry_runs_again(api, store, key):
    taken = registration()
    api.call("POST", CLIENTS, body=taken)
    body = registration(email=taken["email"])

    assert register(api, body, key).json()["code"] == "email_taken"
    assert records(store) == []
    fixed = register(api, body | {"email": "fixed@mail.ru"}, key)

    assert fixed.status == 201


def test_the_record_holds_neither_the_body_nor_the_key_only_hashes_and_the_answer(api, store, key):
    body = registration()
    client_id = register(api, body, key).json()["client_id"]

    [record] = records(store)

    text = json.dumps(record, default=str)
    for value in (key, STRONG_PASSWORD, body["email"], body["phone"], body["first_name"]):
        assert value not in text
    assert record["status"] == "COMPLETED"
    assert json.loads(record["data"]) == {"client_id": client_id}
    assert record["id"].startswith("register_client#")
    assert len(record["id"].removeprefix("register_client#")) == 64  # SHA-256, hex
    assert len(record["validation"]) == 64


def test_a_record_expires_after_idempotency_hours(api, store, key):
    register(api, registration(), key)

    [record] = records(store)

    assert abs(int(record["expiration"]) - (time.time() + 24 * 3600)) < 60


def test_after_expiry_the_key_is_new_again(api, store, ddb, key):
    body = registration()
    register(api, body, key)
    [record] = records(store)
    ddb.update_item(
        TableName=IDEMPOTENCY_TABLE,
        Key={"id": {"S": record["id"]}},
        UpdateExpression="SET expiration = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )

    same_body = register(api, body, key)
    other_body = register(api, registration(), key)

    # Forgotten: the request runs again, and meets the client it registered the first time...
    assert same_body.status == 409
    assert same_body.json()["code"] == "email_taken"
    # ...and the key, free again, may register another client.
    assert other_body.status == 201
    assert len(registered_clients(store)) == 2


def claimed_without_answer(ddb, store, until_ms):
    """The one record as it stands while its first request is still registering: claimed until
    `until_ms` (epoch milliseconds, when that invocation would time out), no answer yet."""
    [record] = records(store)
    ddb.update_item(
        TableName=IDEMPOTENCY_TABLE,
        Key={"id": {"S": record["id"]}},
        UpdateExpression="SET #status = :in_progress, in_progress_expiration = :until REMOVE #data",
        ExpressionAttributeNames={"#status": "status", "#data": "data"},
        ExpressionAttributeValues={":in_progress": {"S": "INPROGRESS"}, ":until": {"N": str(until_ms)}},
    )


def test_while_the_first_request_runs_a_retry_is_409_request_in_progress_with_retry_after(api, store, ddb, key):
    body = registration()
    first = register(api, body, key)
    claimed_without_answer(ddb, store, int((time.time() + 60) * 1000))

    response = register(api, body, key)

    assert response.status == 409
    assert response.json()["code"] == "request_in_progress"
    assert int(response.headers["retry-after"]) >= 1
    assert first.status == 201
    assert len(registered_clients(store)) == 1


def test_a_claim_whose_lambda_died_is_taken_over_once_its_invocation_would_have_ended(api, store, ddb, key):
    body = registration()
    client_id = register(api, body, key).json()["client_id"]
    claimed_without_answer(ddb, store, int((time.time() - 1) * 1000))

    response = register(api, body, key)

    # Runs again: the client it registered before its Lambda died holds the email.
    assert response.json()["code"] == "email_taken"
    assert [client["client_id"] for client in registered_clients(store)] == [client_id]


# ---------------------------------------------------------------- the idempotency table out of reach


@pytest.fixture
def no_backoff_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda _: None)


@pytest.mark.usefixtures("no_backoff_sleep")
@pytest.mark.parametrize(("code", "status"), [("ThrottlingException", 400), ("InternalServerError", 500), (None, 0)])
def test_the_idempotency_table_out_of_reach_is_503_and_registers_nothing(api, store, key, code, status):
    before = store.snapshot()

    with injected(dynamodb_client(), Fault("PutItem", code, status)):
        response = register(api, registration(), key)

    assert response.status == 503
    assert response.json()["code"] == "temporarily_unavailable"
    assert int(response.headers["retry-after"]) >= 1
    assert store.snapshot() == before


@pytest.mark.usefixtures("no_backoff_sleep")
def test_a_retry_once_the_table_is_back_registers_the_client_once(api, store, key):
    body = registration()
    with injected(dynamodb_client(), Fault("PutItem", "ThrottlingException")):
        assert register(api, body, key).status == 503

    first = register(api, body, key)
    retry = register(api, body, key)

    assert first.status == retry.status == 201
    assert retry.json() == first.json()
    assert len(registered_clients(store)) == 1


@pytest.mark.usefixtures("no_backoff_sleep")
def test_an_answer_that_cannot_be_kept_is_still_given_and_its_retry_registers_nothing_more(api, store, key):
    body = registration()

    with injected(dynamodb_client(), Fault("UpdateItem", "ThrottlingException")):
        first = register(api, body, key)
    retry = register(api, body, key)

    assert first.status == 201
    # The claim stands, unanswered, until the first invocation would have timed out; then a retry
    # runs again and meets the client's own email. Never a second client.
    assert retry.status == 409
    assert len(registered_clients(store)) == 1


@pytest.mark.usefixtures("no_backoff_sleep")
def test_a_registration_failing_while_its_key_cannot_be_freed_is_503(api, store, key):
    body = registration()
    api.call("POST", CLIENTS, body=registration(email=body["email"]))

    with injected(dynamodb_client(), Fault("DeleteItem", "ThrottlingException")):
        response = register(api, body, key)

    assert response.status == 503
    assert len(registered_clients(store)) == 1


def test_a_missing_idempotency_table_is_a_500_an_operator_sees(api, store, ddb, key):
    ddb.delete_table(TableName=IDEMPOTENCY_TABLE)

    response = register(api, registration(), key)

    assert response.status == 500
    assert response.json()["code"] == "internal_error"
    assert registered_clients(store) == []


def test_a_client_caller_may_not_register_with_a_key_either(api, store, key):
    response = register(api, registration(), key, caller=Principal(CallerKind.CLIENT, str(uuid.uuid4())))

    assert response.status == 403
    assert records(store) == []
