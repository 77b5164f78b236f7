"""Errors are RFC 9457 problem details, checked in the contract's order: 413, 415, 400, 422."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from clients_api.repository import client_repository, clients_table
from tests.support.data import registration

PATH = "/api/v1/clients"


def assert_problem(response, status, code):
    assert response.status == status
    assert response.content_type == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["type"] == f"urn:clients-api:problem:{code}"
    assert problem["title"]
    assert problem["detail"]
    assert response.headers["x-correlation-id"]
    return problem


def test_body_over_16_kib_is_413_even_when_it_is_not_json(api, store):
    before = store.snapshot()
    response = api.call("POST", PATH, raw_body="x" * (16 * 1024 + 1), headers={"Content-Type": "text/plain"})
    assert_problem(response, 413, "payload_too_large")
    assert store.snapshot() == before


def test_body_limit_counts_bytes_not_characters(api):
    # 6,000 Cyrillic characters are 12,000 bytes of UTF-8 plus the rest: over 16 KiB.
    body = registration(additional_info="я" * 2000, first_name="я" * 100, last_name="я" * 100)
    body["padding"] = "ж" * 6000
    response = api.call("POST", PATH, body=body)
    assert_problem(response, 413, "payload_too_large")


def test_body_just_under_the_limit_reaches_validation(api):
    body = registration()
    body["padding"] = "x" * (16 * 1024 - len(json.dumps(body)) - 20)
    response = api.call("POST", PATH, body=body)
    assert_problem(response, 422, "validation_error")


def test_explicit_non_json_content_type_is_415_before_json_parsing(api, store):
    before = store.snapshot()
    response = api.call("POST", PATH, raw_body="not json", headers={"Content-Type": "text/plain"})
    assert_problem(response, 415, "unsupported_media_type")
    assert store.snapshot() == before


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/merge-patch+json", None])
def test_json_media_types_and_a_missing_content_type_are_accepted(api, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.call("POST", PATH, raw_body=json.dumps(registration()), headers=headers)
    assert response.status == 201


@pytest.mark.parametrize(
    "raw",
    ["", "not json", "[1, 2]", '"text"', "null", '{"a": 1', '{"first_name": NaN}', '{"a": 1, "a": 2}', "[" * 5000],
)
def test_malformed_or_non_object_json_is_400(api, store, raw):
    before = store.snapshot()
    assert_problem(
        api.call("POST", PATH, raw_body=raw, headers={"Content-Type": "application/json"}), 400, "malformed_json"
    )
    assert store.snapshot() == before


def test_invalid_utf8_is_400(api):
    response = api.call("POST", PATH, raw_body=b'{"first_name": "\xff"}', headers={"Content-Type": "application/json"})
    assert_problem(response, 400, "malformed_json")


@pytest.mark.parametrize("path", ["/api/v1/clients", "/api/v1/clients/{id}/additional_info"])
def test_a_body_api_gateway_passed_with_replacement_characters_is_400_and_nothing_is_stored(api, store, path):
    # Bytes that are not UTF-8 (printf '{"additional_info":"\xcf\xf0\xe8"}') reach a function
    # as text with U+FFFD in their place: refused, never stored as mojibake.
    client_id = api.call("POST", PATH, body=registration()).json()["client_id"]
    before = store.snapshot()
    body = json.dumps(registration(additional_info="\ufffd\ufffd\ufffd"), ensure_ascii=False)
    if "{id}" in path:
        body = '{"additional_info": "\ufffd\ufffd\ufffd"}'

    response = api.call(
        "POST" if "{id}" not in path else "PATCH",
        path.format(id=client_id),
        raw_body=body,
        headers={"Content-Type": "application/json"},
    )

    assert_problem(response, 400, "malformed_json")
    assert store.snapshot() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "short"}, "password", "must be at least 8 characters"),
        ({"first_name": "я" * 101}, "first_name", "must be at most 100 characters"),
        ({"first_name": "   "}, "first_name", "must not be empty"),
        ({"sex": "x"}, "sex", "must be 'мужчина' or 'женщина'"),
        ({"additional_info": 5}, "additional_info", "must be a string"),
        ({"phone": ...}, "phone", "is required"),
    ],
)
def test_messages_are_written_for_people(api, changes, field, message):
    problem = assert_problem(api.call("POST", PATH, body=registration(**changes)), 422, "validation_error")
    assert {"field": field, "message": message} in problem["errors"]


def test_base64_encoded_body_is_decoded(api):
    response = api.call(
        "POST", PATH, raw_body=json.dumps(registration()).encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status == 201


def test_lone_surrogate_escape_is_422(api, store):
    before = store.snapshot()
    raw = json.dumps(registration(), ensure_ascii=False).replace('"имя"', '"\\ud800"')
    response = api.call("POST", PATH, raw_body=raw, headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 422, "validation_error")
    assert problem["errors"][0]["field"] == "first_name"
    assert store.snapshot() == before


def test_validation_errors_list_every_invalid_field_without_echoing_input(api):
    body = registration(email="secret-not-email", phone="0000", sex="x")
    problem = assert_problem(api.call("POST", PATH, body=body), 422, "validation_error")
    assert sorted(e["field"] for e in problem["errors"]) == ["email", "phone", "sex"]
    assert "secret-not-email" not in json.dumps(problem)


def test_unexpected_failure_is_500_with_the_correlation_id_and_no_internals(api, monkeypatch, log_output):
    def explode(*args, **kwargs):
        raise RuntimeError("internal detail: table clients-test at 10.0.0.1")

    monkeypatch.setattr(client_repository(), "get", explode)

    response = api.call("GET", "/api/v1/clients/7febf16f-651b-43b0-a5e3-0da8da49e90d")

    problem = assert_problem(response, 500, "internal_error")
    assert problem["correlation_id"] == response.headers["x-correlation-id"]
    assert "internal detail" not in response.body
    assert "Traceback" not in response.body
    logged = [json.loads(line) for line in log_output.getvalue().splitlines()]
    [error] = [line for line in logged if line["level"] == "ERROR"]
    assert error["correlation_id"] == problem["correlation_id"]


@pytest.mark.parametrize(
    "failure",
    [
        ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "TransactWriteItems"),
        ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}, "TransactWriteItems"
        ),
        ClientError({"Error": {"Code": "InternalServerError", "Message": "x"}}, "TransactWriteItems"),
        EndpointConnectionError(endpoint_url="https://dynamodb.eu-central-1.amazonaws.com"),
    ],
)
def test_database_throttling_or_outage_is_503_with_retry_after(api, store, monkeypatch, failure):
    class FailingClient:
        def __getattr__(self, name):
            def fail(**kwargs):
                raise failure

            return fail

    monkeypatch.setattr(clients_table(), "client", FailingClient())

    response = api.call("POST", PATH, body=registration())

    assert_problem(response, 503, "temporarily_unavailable")
    assert int(response.headers["retry-after"]) >= 1


def test_every_response_carries_the_api_gateway_request_id(api):
    event_response = api.call("GET", "/api/v1/clients/7febf16f-651b-43b0-a5e3-0da8da49e90d")
    assert len(event_response.headers["x-correlation-id"]) == 36
    assert event_response.headers["cache-control"] == "no-store"


def test_browser_requests_get_cors_headers_on_success_and_on_errors(api):
    origin = {"Origin": "https://app.example.com"}
    ok = api.call("POST", PATH, body=registration(), headers=origin)
    error = api.call("GET", "/api/v1/clients/not-a-uuid", headers=origin)

    for response in (ok, error):
        assert response.headers["access-control-allow-origin"] == "*"
        exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
        assert {"etag", "location", "x-correlation-id", "x-next-cursor", "retry-after"} <= exposed
        allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
        assert {"authorization", "if-match", "idempotency-key"} <= allowed


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/v1/clients", "GET, POST"),
        ("PUT", "/api/v1/clients/{id}", "GET, PATCH, DELETE"),
        ("GET", "/api/v1/clients/{id}/password", "PATCH"),
        ("HEAD", "/api/v1/clients/{id}/sessions", "GET"),
    ],
)
def test_a_method_the_path_does_not_serve_is_405_naming_those_it_does(api, store, method, path, allowed):
    client_id = api.call("POST", PATH, body=registration()).json()["client_id"]
    before = store.snapshot()

    response = api.call(method, path.format(id=client_id), caller=None)  # the route checks no token

    assert response.status == 405
    assert response.headers["allow"] == allowed
    if method != "HEAD":
        assert_problem(response, 405, "method_not_allowed")
    assert store.snapshot() == before
