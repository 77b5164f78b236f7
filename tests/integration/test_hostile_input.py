"""Hostile bodies and values: the right status, and nothing written (or stored verbatim when valid)."""

from __future__ import annotations

import pytest

from tests.integration.test_problem_details import assert_problem
from tests.support.apigw import build_event, invoke
from tests.support.data import registration

INJECTIONS = [
    "'; DROP TABLE clients; --",
    '{"$ne": null}',
    "<script>alert(1)</script>",
    "${jndi:ldap://127.0.0.1/x}",
    "{{7*7}}",
    "../../etc/passwd",
    "#client_id = :id OR attribute_exists(password_hash)",
]


@pytest.fixture
def client_id(api):
    return api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_looking_strings_are_stored_and_returned_verbatim(api, payload):
    body = registration(last_name=payload[:100], additional_info=payload)
    client_id = api.call("POST", "/api/v1/clients", body=body).json()["client_id"]

    response = api.call("GET", f"/api/v1/clients/{client_id}")

    assert response.content_type == "application/json"
    assert response.json()["last_name"] == payload[:100].strip()
    assert response.json()["additional_info"] == payload


@pytest.mark.parametrize(
    ("value", "statuses"),
    [
        ("[" * 40 + "]" * 40, {422}),  # nested, but parseable: a wrong type
        ('{"a": ' * 40 + "1" + "}" * 40, {422}),
        # As deep as 16 KiB allows: a 422 if the parser copes, a 400 if it hits its recursion
        # limit (which depends on the Python build), never a 500.
        ("[" * 8150 + "]" * 8150, {400, 422}),
    ],
)
def test_deeply_nested_values_are_refused_and_write_nothing(api, store, value, statuses):
    before = store.snapshot()
    raw = '{"first_name": ' + value + "}"

    response = api.call(
        "PATCH",
        "/api/v1/clients/7febf16f-651b-43b0-a5e3-0da8da49e90d",
        raw_body=raw,
        headers={"Content-Type": "application/json"},
    )

    assert response.status in statuses
    assert store.snapshot() == before


@pytest.mark.parametrize("key", ["__proto__", "$where", "client_id", "version", "password_hash", "registered_at"])
def test_fields_outside_the_contract_are_refused_even_when_they_name_stored_attributes(api, store, key):
    before = store.snapshot()
    response = api.call("POST", "/api/v1/clients", body=registration(**{key: "x"}))
    assert response.status == 422
    assert response.json()["errors"] == [{"field": key, "message": "unknown field"}]
    assert store.snapshot() == before


def test_a_client_cannot_be_moved_onto_another_id_by_a_patch(api, store):
    a = api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]
    before = store.snapshot()
    response = api.call("PATCH", f"/api/v1/clients/{a}", body={"client_id": "7febf16f-651b-43b0-a5e3-0da8da49e90d"})
    assert response.status == 422
    assert store.snapshot() == before


@pytest.mark.parametrize(
    "bad_id", ["..%2F..%2Fetc", "7FEBF16F-651B-43B0-A5E3-0DA8DA49E90D%00", "' OR '1'='1", "0" * 36]
)
def test_hostile_ids_are_422(api, bad_id):
    assert api.call("GET", f"/api/v1/clients/{bad_id}").status == 422


INVISIBLE_IN_NAMES = {
    "only a zero width space": "\u200b",
    "right-to-left override": "Иван\u202eвонави",
    "line separator": "Иван\u2028Петров",
    "paragraph separator": "Иван\u2029Петров",
    "byte order mark": "\ufeffИван",
    "left-to-right mark": "Ivan\u200e",
    "tag character": "Ivan\U000e0041",
    "a lone joiner": "\u200d",
    "a joiner at the end": "Иван\u200c",
    "a joiner beside a space": "Иван \u200cПетров",
    "doubled joiners": "a\u200c\u200cb",
}


@pytest.mark.parametrize("value", INVISIBLE_IN_NAMES.values(), ids=INVISIBLE_IN_NAMES.keys())
@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_names_refuse_invisible_and_direction_changing_characters(api, store, field, value):
    before = store.snapshot()

    response = api.call("POST", "/api/v1/clients", body=registration(**{field: value}))

    assert response.status == 422
    [error] = response.json()["errors"]
    assert error["field"] == field
    assert "must not contain" in error["message"]
    assert value not in response.body
    assert store.snapshot() == before


@pytest.mark.parametrize(
    "name",
    ["Али\u200cпур", "\u0639\u0644\u06cc\u200c\u067e\u0648\u0631", "👩\u200d🚀 Zoë", "Анна-Мария"],
    ids=["non-joiner", "persian with a non-joiner", "emoji with a joiner", "plain"],
)
def test_names_keep_joiners_between_visible_characters(api, name):
    client_id = api.call("POST", "/api/v1/clients", body=registration(first_name=name)).json()["client_id"]
    assert api.call("GET", f"/api/v1/clients/{client_id}").json()["first_name"] == name


@pytest.mark.parametrize("bidi", [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]])
def test_additional_info_refuses_bidi_embeddings_overrides_and_isolates(api, store, client_id, bidi):
    before = store.snapshot()

    response = api.call("PATCH", f"/api/v1/clients/{client_id}/additional_info", body={"additional_info": f"a{bidi}b"})

    assert response.status == 422
    assert [e["field"] for e in response.json()["errors"]] == ["additional_info"]
    assert store.snapshot() == before


def test_additional_info_keeps_line_breaks_tabs_and_bidi_marks(api, client_id):
    info = "строка 1\r\nстрока 2\tтаб\u2028שלום 42\u200f!\u200e\u061c"
    patch = api.call("PATCH", f"/api/v1/clients/{client_id}/additional_info", body={"additional_info": info})
    assert patch.status == 200
    assert api.call("GET", f"/api/v1/clients/{client_id}").json()["additional_info"] == info


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"sex": "мужчина"})])
def test_a_trailing_newline_after_the_client_id_is_404_not_the_client(api, store, client_id, method, body):
    # %0a on the wire: API Gateway decodes it into the path and the client_id parameter.
    before = store.snapshot()

    response = api.call(method, f"/api/v1/clients/{client_id}\n", body=body)

    assert_problem(response, 404, "not_found")
    assert store.snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/clients", registration()),
        ("GET", "/api/v1/clients", {"client_id": "{id}"}),
        ("GET", "/api/v1/clients/{id}/sessions", None),
        ("PATCH", "/api/v1/clients/{id}/full_name", {"first_name": "Пётр"}),
        ("PATCH", "/api/v1/clients/{id}/password", {"password": "новый-пароль-2025"}),
        ("POST", "/api/v1/clients/{id}/password/verify", {"password": "whatever"}),
        ("PATCH", "/api/v1/clients/{id}/phone_number", {"phone": "+79165550199"}),
        ("PATCH", "/api/v1/clients/{id}/additional_info", {"additional_info": "x"}),
    ],
)
def test_every_function_refuses_a_path_that_only_ends_like_its_route(api, store, client_id, method, path, body):
    # A gateway that routes more loosely than API Gateway (a proxy resource, a stage mapping) must
    # still not reach a route the path does not name exactly.
    body = {k: v.replace("{id}", client_id) for k, v in body.items()} if body else None
    event, module = build_event(method, path.replace("{id}", client_id), body=body)
    event["path"] += "\n"
    before = store.snapshot()

    response, _ = invoke(event, module)

    assert_problem(response, 404, "not_found")
    assert store.snapshot() == before
