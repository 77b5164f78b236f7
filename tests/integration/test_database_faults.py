"""Throttling, outages, timeouts and transaction conflicts: bounded retries, then a 503 with
Retry-After and a correlation id; never a partial write, never a stack trace."""

from __future__ import annotations

import pytest

from clients_api.repository import dynamodb_client
from tests.support.data import STRONG_PASSWORD, registration
from tests.support.faults import Fault, injected, transaction_conflict

MAX_ATTEMPTS = 3  # botocore standard mode, total attempts (repository/_dynamo.py)


@pytest.fixture(autouse=True)
def no_backoff_sleep(monkeypatch):
    """botocore sleeps between retries; the count matters here, not the wait."""
    monkeypatch.setattr("time.sleep", lambda _: None)


@pytest.fixture
def client_id(api):
    return api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]


def assert_503(response):
    assert response.status == 503
    problem = response.json()
    assert problem["code"] == "temporarily_unavailable"
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-correlation-id"]
    assert "Traceback" not in response.body
    assert "injected" not in response.body


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 400),
        ("ProvisionedThroughputExceededException", 400),
        ("RequestLimitExceeded", 400),
        ("InternalServerError", 500),
        ("ServiceUnavailable", 503),
        (None, 0),  # read timeout
    ],
)
def test_persistent_fault_on_registration_is_503_after_bounded_retries_and_writes_nothing(api, store, code, status):
    before = store.snapshot()

    with injected(dynamodb_client(), Fault("TransactWriteItems", code, status)) as (fault,):
        response = api.call("POST", "/api/v1/clients", body=registration())

    assert_503(response)
    assert fault.attempts == MAX_ATTEMPTS
    assert store.snapshot() == before


def test_a_transient_throttle_is_retried_and_succeeds(api, store):
    with injected(dynamodb_client(), Fault("TransactWriteItems", "ThrottlingException", times=2)) as (fault,):
        response = api.call("POST", "/api/v1/clients", body=registration())

    assert response.status == 201
    assert fault.attempts == 2
    assert store.client(response.json()["client_id"]) is not None


@pytest.mark.parametrize("operation", ["GetItem", "TransactWriteItems"])
def test_fault_during_an_email_change_is_503_and_leaves_client_and_guards_as_they_were(
    api, store, client_id, operation
):
    before = store.snapshot()

    with injected(dynamodb_client(), Fault(operation, "ThrottlingException")):
        response = api.call("PATCH", f"/api/v1/clients/{client_id}", body={"email": "new@mail.ru"})

    assert_503(response)
    assert store.snapshot() == before


def test_transaction_conflicts_are_retried_a_bounded_number_of_rounds_then_503(api, store, client_id):
    before = store.snapshot()
    conflict = transaction_conflict()

    with injected(dynamodb_client(), conflict):
        response = api.call("PATCH", f"/api/v1/clients/{client_id}/phone_number", body={"phone": "+79092479990"})

    assert_503(response)
    # Three read-and-write rounds (profiles._UPDATE_ATTEMPTS); botocore does not retry a cancelled
    # transaction by itself.
    assert conflict.attempts == 3
    assert store.snapshot() == before


def test_fault_on_verification_is_503_and_counts_no_attempt(api, store, client_id):
    with injected(dynamodb_client(), Fault("UpdateItem", "ThrottlingException")):
        response = api.call("POST", f"/api/v1/clients/{client_id}/password/verify", body={"password": STRONG_PASSWORD})

    assert_503(response)
    assert store.client(client_id)["verify_failures"] == 0


def test_fault_on_the_sessions_query_is_503(api, client_id):
    with injected(dynamodb_client(), Fault("Query", "InternalServerError", 500)):
        assert_503(api.call("GET", f"/api/v1/clients/{client_id}/sessions"))


def test_unreachable_database_is_503(api, monkeypatch, client_id):
    with injected(dynamodb_client(), Fault("GetItem", None)):
        assert_503(api.call("GET", f"/api/v1/clients/{client_id}"))
