"""Races with real concurrency: parallel HTTP requests to the local server, each function in worker
processes of its own, against the local DynamoDB. Uniqueness and the lockout must hold whatever
the interleaving."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from tests.local.harness import LocalServer
from tests.support.store import Store
from tools.local_api.run_info import RunInfo

pytestmark = pytest.mark.slow

CLIENTS = "/api/v1/clients"
PASSWORD = "паучикапау-2024"
PARALLEL = 8
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(tmp_path_factory.mktemp("races") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def store(server: LocalServer) -> Store:
    info = RunInfo.read(server.data_dir)
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=info.dynamodb_endpoint,
        region_name=info.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return Store(ddb, info.tables["ClientsTable"], info.tables["SessionsTable"])


def registration(**overrides: Any) -> dict[str, Any]:
    n = next(_numbers)
    body = {"first_name": "Гонка", "last_name": "Тест", "email": f"race{n}@example.com", "password": PASSWORD}
    return body | {"phone": f"+7916{n:07d}"} | overrides


def in_parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def register(server: LocalServer, **overrides: Any) -> str:
    reply = server.call("POST", CLIENTS, body=registration(**overrides))
    assert reply.status == 201, reply.body
    return reply.json()["client_id"]


@pytest.mark.parametrize("shared", ["email", "phone"])
def test_many_registrations_with_one_email_or_phone_give_exactly_one_success(server, store, shared):
    value = registration()[shared]
    bodies = [registration(**{shared: value}) for _ in range(PARALLEL)]

    replies = in_parallel([lambda body=body: server.call("POST", CLIENTS, body=body) for body in bodies])

    assert Counter(r.status for r in replies) == {201: 1, 409: PARALLEL - 1}
    [winner] = [r.json()["client_id"] for r in replies if r.status == 201]
    assert store.guard_owner(shared, value) == winner
    owners = [i for i in store.items() if i.get(shared) == value and "owner" not in i]
    assert [o["client_id"] for o in owners] == [winner]


def test_two_clients_swapping_emails_never_share_or_lose_a_guard(server, store):
    for _ in range(5):
        a_body, b_body = registration(), registration()
        a, b = register(server, **a_body), register(server, **b_body)

        in_parallel(
            [
                lambda a=a, b_body=b_body: server.call("PATCH", f"{CLIENTS}/{a}", body={"email": b_body["email"]}),
                lambda b=b, a_body=a_body: server.call("PATCH", f"{CLIENTS}/{b}", body={"email": a_body["email"]}),
            ]
        )

        emails = {client_id: store.client(client_id)["email"] for client_id in (a, b)}
        assert len(set(emails.values())) == 2
        for client_id, email in emails.items():
            assert store.guard_owner("email", email) == client_id
        for email in {a_body["email"], b_body["email"]} - set(emails.values()):
            assert store.guard_owner("email", email) is None


def test_parallel_wrong_passwords_never_get_more_attempts_than_the_lockout_allows(server, store):
    client_id = register(server)
    path = f"{CLIENTS}/{client_id}/password/verify"

    replies = in_parallel(
        [lambda n=n: server.call("POST", path, body={"password": f"guess-{n}"}) for n in range(PARALLEL * 2)]
    )

    statuses = Counter(r.status for r in replies)
    assert statuses == {200: 5, 429: PARALLEL * 2 - 5}
    assert all(r.json() == {"match": False} for r in replies if r.status == 200)
    assert store.client(client_id)["verify_failures"] == 5
    assert server.call("POST", path, body={"password": PASSWORD}).status == 429
