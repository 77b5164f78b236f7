"""`make run` end to end over real HTTP: every route reaches its function through the local
gateway, and what the gateway adds (request ids, its own answers, the log, the docs) is as on AWS.
What each endpoint does is pinned through the handlers in tests/integration."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.local.harness import ROOT, LocalServer, Reply
from tests.support.data import registration

pytestmark = pytest.mark.slow

CLIENTS = "/api/v1/clients"
OPENAPI = ROOT / "openapi.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(tmp_path_factory.mktemp("local") / "data") as running:
        yield running


def register(server: LocalServer, **overrides: Any) -> str:
    reply = server.call("POST", CLIENTS, body=registration(**overrides))
    assert reply.status == 201, reply.body
    return reply.json()["client_id"]


def assert_correlated(reply: Reply) -> None:
    assert uuid.UUID(reply.headers["x-correlation-id"])


def test_every_documented_operation_answers_its_example_with_its_success_status(server: LocalServer) -> None:
    """The cases are openapi.json's own: each operation's example body (or the id in the query),
    on the client its registration example created. Only a function answers 2xx."""
    operations = [
        (method.upper(), path, operation)
        for path, methods in json.loads(OPENAPI.read_text())["paths"].items()
        for method, operation in methods.items()
    ]
    # A client first; its erasure last.
    operations.sort(key=lambda op: (op[2]["operationId"] != "registerClient", op[2]["operationId"] == "deleteClient"))
    client_id = None
    for method, path, operation in operations:
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example")
        in_query = {parameter["name"] for parameter in operation["parameters"] if parameter.get("in") == "query"}
        query = {"client_id": client_id} if "client_id" in in_query else None
        reply = server.call(method, path.format(client_id=client_id), body=body, query=query)

        success = next(status for status in operation["responses"] if status.startswith("2"))
        assert reply.status == int(success), (operation["operationId"], reply.body)
        assert_correlated(reply)
        if operation["operationId"] == "registerClient":
            client_id = reply.json()["client_id"]


def test_register_answers_201_with_the_new_clients_location(server: LocalServer) -> None:
    reply = server.call("POST", CLIENTS, body=registration())

    assert reply.status == 201
    client_id = reply.json()["client_id"]
    assert reply.headers["location"] == f"{CLIENTS}/{client_id}"  # no stage prefix locally
    assert reply.headers["content-type"].startswith("application/json")


def test_a_retried_registration_with_its_idempotency_key_gets_the_first_answer(server: LocalServer) -> None:
    """The local server made the idempotency table from the template, as it makes the others."""
    body, key = registration(), {"Idempotency-Key": str(uuid.uuid4())}

    first = server.call("POST", CLIENTS, body=body, headers=key)
    retry = server.call("POST", CLIENTS, body=body, headers=key)

    assert first.status == retry.status == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]


def test_an_edit_with_a_stale_etag_is_412_and_one_with_the_fresh_etag_lands(server: LocalServer) -> None:
    client_id = register(server)
    etag = server.call("GET", f"{CLIENTS}/{client_id}").headers["etag"]
    path = f"{CLIENTS}/{client_id}/additional_info"

    mine = server.call("PATCH", path, body={"additional_info": "мой"}, headers={"If-Match": etag})
    theirs = server.call("PATCH", path, body={"additional_info": "их"}, headers={"If-Match": etag})

    assert (mine.status, theirs.status) == (200, 412)
    assert mine.headers["etag"] == server.call("GET", f"{CLIENTS}/{client_id}").headers["etag"] != etag


def test_profile_is_served_by_path_by_query_and_by_body(server: LocalServer) -> None:
    client_id = register(server, first_name="Мария")

    by_path = server.call("GET", f"{CLIENTS}/{client_id}")
    by_query = server.call("GET", CLIENTS, query={"client_id": client_id})
    by_body = server.call("GET", CLIENTS, body={"client_id": client_id})

    assert by_path.status == by_query.status == by_body.status == 200
    assert by_path.json() == by_query.json() == by_body.json()
    assert by_path.json()["client_id"] == client_id
    assert "Мария" in by_path.body  # real UTF-8 on the wire, no \u escapes
    assert_correlated(by_body)


def test_demo_data_fills_the_sessions_list_in_every_status(server: LocalServer) -> None:
    server.run_tool("demo")
    output = server.run_tool("demo")  # loading twice is harmless
    client_id = re.search(r"demo client ([0-9a-f-]{36})", output).group(1)  # type: ignore[union-attr]
    sessions = f"{CLIENTS}/{client_id}/sessions"

    everything = server.call("GET", sessions).json()
    held = server.call("GET", sessions, query={"status": "проведена"}).json()

    assert len(everything) == 6
    assert {s["status"] for s in everything} == {"на согласовании", "подтверждена", "проведена", "отменена"}
    starts = [s["starts_at"] for s in everything]
    assert starts == sorted(starts, reverse=True)
    assert {s["status"] for s in held} == {"проведена"}
    assert server.call("GET", f"{CLIENTS}/{client_id}").json()["email"] == "demo@example.com"


def test_sessions_are_paged_with_the_next_cursor_header(server: LocalServer) -> None:
    output = server.run_tool("demo")
    client_id = re.search(r"demo client ([0-9a-f-]{36})", output).group(1)  # type: ignore[union-attr]
    seen: list[str] = []
    query = {"limit": "4"}
    for _ in range(5):
        page = server.call("GET", f"{CLIENTS}/{client_id}/sessions", query=query)
        assert page.status == 200
        seen += [s["session_id"] for s in page.json()]
        if "x-next-cursor" not in page.headers:
            break
        query = {"limit": "4", "cursor": page.headers["x-next-cursor"]}

    assert len(seen) == len(set(seen)) == 6


def test_a_query_sent_as_raw_utf8_is_read_as_utf8(server: LocalServer) -> None:
    client_id = server.run_tool("demo").split("demo client ")[1].split()[0]

    raw = server.raw_get(f"{CLIENTS}/{client_id}/sessions?status=проведена".encode())
    encoded = server.call("GET", f"{CLIENTS}/{client_id}/sessions", query={"status": "проведена"})

    assert raw.status == 200, raw.body
    assert raw.json() == encoded.json()
    assert {session["status"] for session in raw.json()} == {"проведена"}


def test_unknown_client_is_a_404_problem(server: LocalServer) -> None:
    reply = server.call("GET", f"{CLIENTS}/{uuid.uuid4()}")

    assert reply.status == 404
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["code"] == "client_not_found"
    assert_correlated(reply)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", CLIENTS, "GET, POST"),
        ("PUT", f"{CLIENTS}/x", "GET, PATCH, DELETE"),
        ("HEAD", f"{CLIENTS}/x/sessions", "GET"),
    ],
)
def test_a_method_a_path_does_not_serve_is_a_405_naming_those_it_does(
    server: LocalServer, method: str, path: str, allowed: str
) -> None:
    reply = server.call(method, path, token=None)  # refused before any token is looked at, as on AWS

    assert reply.status == 405
    assert reply.headers["allow"] == allowed
    if method != "HEAD":
        assert reply.json()["code"] == "method_not_allowed"
    assert_correlated(reply)


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/nothing"), ("HEAD", "/nothing"), ("PATCH", f"{CLIENTS}//full_name")]
)
def test_an_unrouted_request_is_the_templates_not_found_problem(server: LocalServer, method: str, path: str) -> None:
    reply = server.call(method, path)

    assert reply.status == 404
    assert reply.headers["content-type"] == "application/problem+json"
    if method != "HEAD":
        assert reply.json()["code"] == "not_found"
    assert_correlated(reply)


def test_every_request_has_its_own_correlation_id(server: LocalServer) -> None:
    ids = {server.call("GET", f"{CLIENTS}/{uuid.uuid4()}").headers["x-correlation-id"] for _ in range(3)}

    assert len(ids) == 3


def test_openapi_document_and_swagger_ui_are_served_offline(server: LocalServer) -> None:
    document = server.call("GET", "/openapi.json")
    docs = server.call("GET", "/docs")

    assert document.status == 200
    committed = json.loads((ROOT / "openapi.json").read_text())
    assert document.json()["paths"] == committed["paths"]
    # The local server entry names this server, whatever port it serves on.
    assert {"url": f"http://127.0.0.1:{server.port}", "description": "make run"} in document.json()["servers"]
    assert docs.status == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in docs.body
    for asset in ("/docs/swagger-ui-bundle.min.js", "/docs/swagger-ui.min.css"):
        assert f"'{asset}'" in docs.body
        assert server.call("GET", asset, token=None).status == 200
    assert server.call("GET", "/", token=None).headers["location"].endswith("/docs")


def test_a_newline_after_the_client_id_is_404_and_logged_escaped_on_one_line(server: LocalServer) -> None:
    client_id = register(server)

    reply = server.call("GET", f"{CLIENTS}/{client_id}%0a")

    assert reply.status == 404
    assert reply.json()["code"] == "not_found"
    lines = re.findall(rf"^\S+ GET {CLIENTS}/{client_id}(\S*) (\d+) \d+ ms (\S+)$", server.output(), re.MULTILINE)
    assert lines == [(r"\n", "404", "GetClientFunction")]


def test_control_characters_in_a_path_cannot_forge_or_break_log_lines(server: LocalServer) -> None:
    server.call("GET", f"{CLIENTS}/x%0a12:00:00%20GET%20{CLIENTS}/forged%20200%201%20ms%20GetClientFunction")
    server.call("GET", f"{CLIENTS}/y%00%1b[2J%0d")

    output = server.output()
    lines = [line.partition(" ")[2] for line in output.splitlines() if re.match(rf"\S+ GET {CLIENTS}/[xy]", line)]
    assert len(lines) == 2
    assert lines[0].startswith(rf"GET {CLIENTS}/x\n12:00:00 GET {CLIENTS}/forged 200 1 ms GetClientFunction 404 ")
    assert lines[1].startswith(r"GET /api/v1/clients/y\x00\x1b[2J\r 404 ")
    assert not re.search(r"^12:00:00 GET", output, re.MULTILINE)
    assert not {"\x00", "\x1b", "\r"} & set(output)


def test_each_request_is_logged_once_with_its_function(server: LocalServer) -> None:
    client_id = register(server)
    server.call("GET", f"{CLIENTS}/{client_id}")

    lines = re.findall(rf"^\S+ GET {CLIENTS}/{client_id} (\d+) (\d+) ms (\S+)$", server.output(), re.MULTILINE)

    assert lines == [("200", lines[0][1], "GetClientFunction")]
