"""The metrics each endpoint emits, read from the CloudWatch EMF documents the handlers print."""

from __future__ import annotations

import json
import uuid
import warnings
from collections import Counter
from typing import Any

import pytest
from aws_lambda_powertools.metrics.provider import cold_start

from clients_api.repository import client_repository, dynamodb_client
from tests.support.data import STRONG_PASSWORD, registration
from tests.support.faults import Fault, injected, transaction_conflict

NAMESPACE = "ClientsApi"  # template.yaml's POWERTOOLS_METRICS_NAMESPACE (pinned by the template tests)
MAX_FAILURES = 5


@pytest.fixture(autouse=True)
def warm_container(monkeypatch):
    """Every test but the cold-start one runs in a warm container: no ColdStart document."""
    monkeypatch.setattr(cold_start, "is_cold_start", False)


@pytest.fixture
def no_backoff_sleep(monkeypatch):
    """botocore sleeps between retries; the outcome matters here, not the wait."""
    monkeypatch.setattr("time.sleep", lambda _: None)


@pytest.fixture
def emf(capsys):
    """`emf()`: the EMF documents printed since the previous call (stdout, as on Lambda)."""

    def read() -> list[dict[str, Any]]:
        documents = []
        for line in capsys.readouterr().out.splitlines():
            if line.startswith("{") and "_aws" in (document := json.loads(line)):
                documents.append(document)
        return documents

    read()
    return read


def counts(documents: list[dict[str, Any]]) -> Counter[str]:
    """Metric name -> total value, over all documents."""
    total: Counter[str] = Counter()
    for document in documents:
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                values = document[metric["Name"]]
                total[metric["Name"]] += sum(values) if isinstance(values, list) else values
    return total


@pytest.fixture
def client(api, emf):
    body = registration()
    client_id = api.call("POST", "/api/v1/clients", body=body).json()["client_id"]
    emf()
    return client_id, body


def verify(api, client_id, password):
    return api.call("POST", f"/api/v1/clients/{client_id}/password/verify", body={"password": password})


def test_a_registration_counts_one_registration(api, emf):
    assert api.call("POST", "/api/v1/clients", body=registration()).status == 201
    assert counts(emf()) == {"Registrations": 1}


def test_a_replayed_registration_counts_a_replay_and_no_second_registration(api, emf):
    body, key = registration(), {"Idempotency-Key": str(uuid.uuid4())}
    api.call("POST", "/api/v1/clients", body=body, headers=key)
    emf()

    assert api.call("POST", "/api/v1/clients", body=body, headers=key).status == 201
    assert counts(emf()) == {"RegistrationsReplayed": 1}


def test_documents_hold_the_namespace_the_service_dimension_and_counts_only(api, emf):
    api.call("POST", "/api/v1/clients", body=registration())
    [document] = emf()

    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert directive["Dimensions"] == [["service"]]
    assert directive["Metrics"] == [{"Name": "Registrations", "Unit": "Count"}]
    # No per-client dimension or property: nothing personal, and no unbounded metric count.
    assert set(document) == {"_aws", "service", "Registrations"}
    assert document["service"] == "clients-api"


@pytest.mark.parametrize(("field", "metric"), [("email", "EmailConflicts"), ("phone", "PhoneConflicts")])
def test_a_registration_conflict_counts_its_kind_and_no_registration(api, emf, client, field, metric):
    _, taken = client
    response = api.call("POST", "/api/v1/clients", body=registration(**{field: taken[field]}))
    assert response.status == 409
    assert counts(emf()) == {metric: 1}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("", {"first_name": "олег"}),
        ("/full_name", {"first_name": "олег", "last_name": "null"}),
        ("/phone_number", {"phone_number": "89990001122"}),
        ("/additional_info", {"additional_info": ""}),
    ],
)
def test_a_profile_change_counts_one_profile_update(api, emf, client, path, body):
    client_id, _ = client
    assert api.call("PATCH", f"/api/v1/clients/{client_id}{path}", body=body).status == 200
    assert counts(emf()) == {"ProfileUpdates": 1}


def test_a_patch_that_changes_nothing_counts_nothing(api, emf, client):
    client_id, body = client
    assert api.call("PATCH", f"/api/v1/clients/{client_id}", body={"email": body["email"].upper()}).status == 200
    assert emf() == []


@pytest.mark.parametrize(("field", "metric"), [("email", "EmailConflicts"), ("phone", "PhoneConflicts")])
def test_a_change_to_a_taken_value_counts_a_conflict(api, emf, client, field, metric):
    client_id, _ = client
    other = registration()
    api.call("POST", "/api/v1/clients", body=other)
    emf()
    response = api.call("PATCH", f"/api/v1/clients/{client_id}", body={field: other[field]})
    assert response.status == 409
    assert counts(emf()) == {metric: 1}


def test_reads_and_rejected_requests_print_nothing_and_warn_nothing(api, emf, client):
    client_id, _ = client
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert api.call("GET", f"/api/v1/clients/{client_id}").status == 200
        assert api.call("GET", f"/api/v1/clients/{client_id}/sessions").status == 200
        assert api.call("GET", f"/api/v1/clients/{uuid.uuid4()}").status == 404
        assert api.call("POST", "/api/v1/clients", body={"first_name": "x"}).status == 422
    assert emf() == []
    assert [str(w.message) for w in caught] == []


def test_a_password_change_counts_one_change(api, emf, client):
    client_id, _ = client
    response = api.call("PATCH", f"/api/v1/clients/{client_id}/password", body={"password": "новый-пароль-2025"})
    assert response.status == 200
    assert counts(emf()) == {"PasswordChanges": 1}


def test_a_password_change_with_current_password_counts_the_check_too(api, emf, client):
    client_id, _ = client
    body = {"password": "новый-пароль-2025", "current_password": STRONG_PASSWORD}
    assert api.call("PATCH", f"/api/v1/clients/{client_id}/password", body=body).status == 200
    assert counts(emf()) == {"VerificationMatches": 1, "PasswordChanges": 1}

    body = {"password": "другой-пароль-2026", "current_password": "wrong"}
    assert api.call("PATCH", f"/api/v1/clients/{client_id}/password", body=body).status == 403
    assert counts(emf()) == {"VerificationMismatches": 1}


def test_an_erasure_counts_one_client_erased_and_a_second_one_nothing(api, emf, client):
    client_id, _ = client
    assert api.call("DELETE", f"/api/v1/clients/{client_id}").status == 204
    assert counts(emf()) == {"ClientsErased": 1}
    assert api.call("DELETE", f"/api/v1/clients/{client_id}").status == 404
    assert emf() == []


def test_verification_counts_matches_and_mismatches(api, emf, client):
    client_id, _ = client
    assert verify(api, client_id, STRONG_PASSWORD).json() == {"match": True}
    assert counts(emf()) == {"VerificationMatches": 1}
    assert verify(api, client_id, "wrong").json() == {"match": False}
    assert counts(emf()) == {"VerificationMismatches": 1}


def test_the_mismatch_that_starts_a_lock_counts_a_lockout_and_refusals_count_after_it(api, emf, client):
    client_id, _ = client
    for _ in range(MAX_FAILURES - 1):
        verify(api, client_id, "wrong")
        assert counts(emf()) == {"VerificationMismatches": 1}

    verify(api, client_id, "wrong")
    assert counts(emf()) == {"VerificationMismatches": 1, "Lockouts": 1}

    assert verify(api, client_id, STRONG_PASSWORD).status == 429
    assert counts(emf()) == {"LockedOutAttempts": 1}


@pytest.mark.usefixtures("no_backoff_sleep")
def test_database_throttling_counts_database_unavailable(api, emf):
    with injected(dynamodb_client(), Fault("TransactWriteItems", "ThrottlingException")):
        response = api.call("POST", "/api/v1/clients", body=registration())
    assert response.status == 503
    assert counts(emf()) == {"DatabaseUnavailable": 1}


@pytest.mark.usefixtures("no_backoff_sleep")
def test_contention_past_our_retries_counts_update_contention(api, emf):
    client_id = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]
    emf()
    conflict = transaction_conflict()
    with injected(dynamodb_client(), conflict):
        response = api.call("PATCH", f"/api/v1/clients/{client_id}", body={"email": "busy@mail.ru"})
    assert response.status == 503
    assert counts(emf()) == {"UpdateContention": 1}


def test_an_unexpected_failure_counts_an_internal_error(api, emf, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(client_repository(), "get", explode)
    assert api.call("GET", f"/api/v1/clients/{uuid.uuid4()}").status == 500
    assert counts(emf()) == {"InternalErrors": 1}


def test_the_first_invocation_of_a_container_counts_a_cold_start(api, emf, monkeypatch):
    monkeypatch.setattr(cold_start, "is_cold_start", True)
    client_id = str(uuid.uuid4())
    api.call("GET", f"/api/v1/clients/{client_id}")
    [document] = emf()
    assert counts([document]) == {"ColdStart": 1}
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == NAMESPACE
    assert document["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["function_name", "service"]]
    assert document["service"] == "clients-api"

    api.call("GET", f"/api/v1/clients/{client_id}")
    assert emf() == []
