"""Races with real concurrency: parallel HTTP requests to the local server, each function in worker
processes of its own, against a DynamoDB store in this process that can make racers meet.
Uniqueness and the lockout must hold whatever the interleaving."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import boto3
import pytest
from werkzeug.serving import make_server

from tests.local.harness import LocalServer
from tests.support.store import Store
from tools.local_api.journal import Journal
from tools.local_api.run_info import RunInfo
from tools.local_api.store import JournaledDynamoDB

pytestmark = pytest.mark.slow

CLIENTS = "/api/v1/clients"
PASSWORD = "паучикапау-2024"
PARALLEL = 8
# Under botocore's read timeout in the functions (3 s): a held request must not be sent twice.
MEETING_SECONDS = 2.5
_numbers = itertools.count(1)


class Meeting:
    def __init__(self, operation: str, barrier: threading.Barrier) -> None:
        self.operation = operation
        self.met = 0  # requests that went on with all the others
        self._barrier = barrier
        self._lock = threading.Lock()

    def attend(self) -> None:
        with suppress(threading.BrokenBarrierError):  # the others are not coming: go on alone
            self._barrier.wait()
            with self._lock:
                self.met += 1


class MeetingStore:
    """The local store (tools/local_api/store.py) served from this process, with a gate: while a
    meeting is on, each request for its operation waits until all its parties have sent theirs,
    so that every racer has read before any of them writes."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True)
        self._store = JournaledDynamoDB(Journal(data_dir / "dynamodb.jsonl"))
        self._store.restore()
        self._meeting: Meeting | None = None
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"

    @contextmanager
    def meeting(self, operation: str, parties: int) -> Iterator[Meeting]:
        """Hold each request for `operation` until `parties` of them wait together (for at most
        MEETING_SECONDS; then each goes on alone)."""
        meeting = Meeting(operation, threading.Barrier(parties, timeout=MEETING_SECONDS))
        self._meeting = meeting
        try:
            yield meeting
        finally:
            self._meeting = None

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        meeting = self._meeting
        if meeting is not None and environ.get("HTTP_X_AMZ_TARGET", "").endswith("." + meeting.operation):
            meeting.attend()
        return self._store(environ, start_response)

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._store.close()


@pytest.fixture(scope="module")
def meeting_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeetingStore]:
    store = MeetingStore(tmp_path_factory.mktemp("races-store") / "data")
    yield store
    store.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, meeting_store: MeetingStore) -> Iterator[LocalServer]:
    data_dir = tmp_path_factory.mktemp("races") / "data"
    with LocalServer(data_dir, env={"AWS_ENDPOINT_URL_DYNAMODB": meeting_store.endpoint}) as running:
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
    return Store(ddb, info.tables["ClientsTable"], info.tables["SessionsTable"], info.tables["ErasuresTable"])


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


def test_two_clients_swapping_emails_meet_at_the_write_and_both_get_409_leaving_every_guard(
    server, store, meeting_store
):
    """Each wants the other's email. Whatever the interleaving, one of them holds each email until
    its own change lands, so both are refused, and every guard stays with its owner. The store
    makes both requests read before either writes: sent one after the other, they never meet."""
    for _ in range(3):
        a_body, b_body = registration(), registration()
        a, b = register(server, **a_body), register(server, **b_body)

        with meeting_store.meeting("TransactWriteItems", parties=2) as meeting:
            replies = in_parallel(
                [
                    lambda a=a, b_body=b_body: server.call("PATCH", f"{CLIENTS}/{a}", body={"email": b_body["email"]}),
                    lambda b=b, a_body=a_body: server.call("PATCH", f"{CLIENTS}/{b}", body={"email": a_body["email"]}),
                ]
            )

        assert meeting.met == 2, "the two changes did not race: one wrote before the other read"
        assert [reply.status for reply in replies] == [409, 409]
        assert {reply.json()["code"] for reply in replies} == {"email_taken"}
        for client_id, body in ((a, a_body), (b, b_body)):
            assert store.client(client_id)["email"] == body["email"]
            assert store.guard_owner("email", body["email"]) == client_id


def test_parallel_wrong_passwords_across_worker_processes_never_get_more_attempts_than_the_lockout_allows(
    server, store
):
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
