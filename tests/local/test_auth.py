"""`make run` checks callers as the deployed API does: the template's JWT authorizer runs in front of
every route against the local issuer's keys, served by the local server itself, and what API
Gateway answers by itself (401, the unknown route) comes from the template's gateway responses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local.harness import LocalServer
from tests.support.data import STRONG_PASSWORD, registration
from tools.local_api.issuer import LocalIssuer

pytestmark = pytest.mark.slow

CLIENTS = "/api/v1/clients"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(tmp_path_factory.mktemp("auth") / "data") as running:
        yield running


@pytest.fixture
def client_id(server: LocalServer) -> str:
    return server.call("POST", CLIENTS, body=registration()).json()["client_id"]


def client_token(server: LocalServer, client_id: str) -> str:
    """What `make -s token CLIENT_ID=<id>` prints, for this server's data."""
    return server.run_tool("token", "--client-id", client_id, stdout=True).strip()


def assert_unauthorized(reply) -> None:
    assert reply.status == 401
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["www-authenticate"] == "Bearer"
    assert reply.json()["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("method", "path"), [("POST", CLIENTS), ("GET", f"{CLIENTS}/{{id}}"), ("DELETE", f"{CLIENTS}/{{id}}/password/lock")]
)
def test_no_token_is_a_401_problem(server, client_id, method, path):
    assert_unauthorized(server.call(method, path.format(id=client_id), token=None))


def test_a_token_the_issuer_did_not_sign_is_a_401(server, client_id, tmp_path: Path):
    stranger = LocalIssuer(tmp_path / "another-issuer")  # the same claims, another key
    assert_unauthorized(server.call("GET", f"{CLIENTS}/{client_id}", token=stranger.token(client_id=client_id)))


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_garbage_is_a_401(server, client_id, token):
    assert_unauthorized(server.call("GET", f"{CLIENTS}/{client_id}", headers={"Authorization": f"Bearer {token}"}))


def test_an_expired_token_is_a_401(server, client_id):
    expired = server.issuer.token(client_id=client_id, lifetime_seconds=-3600)
    assert_unauthorized(server.call("GET", f"{CLIENTS}/{client_id}", token=expired))


def test_a_client_reads_its_own_profile_and_no_other(server, client_id):
    token = client_token(server, client_id)
    other = server.call("POST", CLIENTS, body=registration()).json()["client_id"]

    assert server.call("GET", f"{CLIENTS}/{client_id}", token=token).json()["client_id"] == client_id
    refused = server.call("GET", f"{CLIENTS}/{other}", token=token)
    assert refused.status == 404
    assert refused.json()["code"] == "client_not_found"


def test_a_client_changes_its_password_only_with_the_current_one(server, client_id):
    token = client_token(server, client_id)
    path = f"{CLIENTS}/{client_id}/password"

    without = server.call("PATCH", path, body={"password": "новый-пароль-2025"}, token=token)
    assert without.status == 422
    with_current = server.call(
        "PATCH", path, body={"password": "новый-пароль-2025", "current_password": STRONG_PASSWORD}, token=token
    )
    assert with_current.status == 200


def test_a_client_may_not_register_or_clear_locks(server, client_id):
    token = client_token(server, client_id)
    assert server.call("POST", CLIENTS, body=registration(), token=token).status == 403
    assert server.call("DELETE", f"{CLIENTS}/{client_id}/password/lock", token=token).status == 403


def test_a_service_clears_a_lock_and_the_client_may_try_again(server, client_id):
    verify = f"{CLIENTS}/{client_id}/password/verify"
    for _ in range(5):
        server.call("POST", verify, body={"password": "не тот"})
    assert server.call("POST", verify, body={"password": STRONG_PASSWORD}).status == 429

    cleared = server.call("DELETE", f"{CLIENTS}/{client_id}/password/lock")

    assert cleared.status == 204
    assert cleared.body == ""
    assert server.call("POST", verify, body={"password": STRONG_PASSWORD}).json() == {"match": True}


def test_the_local_issuers_keys_are_served_for_the_authorizer(server):
    keys = server.call("GET", "/.well-known/jwks.json", token=None)
    assert keys.status == 200
    assert [key["kid"] for key in keys.json()["keys"]] == [server.issuer.key_id]
    assert all("d" not in key for key in keys.json()["keys"])  # public keys only


def test_with_auth_off_anyone_may_call(tmp_path: Path):
    with LocalServer(tmp_path / "data", auth="none") as open_server:
        created = open_server.call("POST", CLIENTS, body=registration(), token=None)
        assert created.status == 201
        assert open_server.call("GET", f"{CLIENTS}/{created.json()['client_id']}", token=None).status == 200
        assert "every caller may read and change every client" in open_server.output()
        assert open_server.call("GET", f"{CLIENTS}/{uuid.uuid4()}", token=None).status == 404
