"""`make run` under load: a bounded pool of workers per function, idle workers reaped, and the
request log saying which requests paid a cold start."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.local.harness import ROOT, LocalServer, children, running

pytestmark = pytest.mark.slow

WORKERS = 2
IDLE_SECONDS = 3
GET_CLIENT_CODE = str(ROOT / "functions" / "get_client")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    options = ["--workers", str(WORKERS), "--idle-seconds", str(IDLE_SECONDS)]
    with LocalServer(tmp_path_factory.mktemp("load") / "data", options=options) as running_server:
        yield running_server


@pytest.fixture(scope="module")
def client_id(server: LocalServer) -> str:
    registration = {
        "first_name": "Нагрузка",
        "last_name": "Тест",
        "email": "load@example.com",
        "password": "паучикапау-2024",
        "phone": "+79160000001",
    }
    reply = server.call("POST", "/api/v1/clients", body=registration)
    assert reply.status == 201, reply.body
    return reply.json()["client_id"]


def get_client_workers(server: LocalServer) -> int:
    """GetClientFunction's live workers: the server's children started for its code."""
    count = 0
    for pid in children(server.process.pid):
        try:
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        count += GET_CLIENT_CODE.encode() in arguments and running(pid)
    return count


def profile_log_lines(server: LocalServer, client_id: str) -> list[str]:
    return re.findall(rf"GET /api/v1/clients/{client_id} 200 .*", server.output())


def test_forty_concurrent_callers_are_all_served_by_no_more_workers_than_the_bound(
    server: LocalServer, client_id: str
) -> None:
    most_workers = 0
    loaded = threading.Event()

    def count_workers() -> None:
        nonlocal most_workers
        while not loaded.is_set():
            most_workers = max(most_workers, get_client_workers(server))
            time.sleep(0.02)

    counter = threading.Thread(target=count_workers)
    counter.start()
    try:
        with ThreadPoolExecutor(40) as callers:
            replies = list(callers.map(lambda _: server.call("GET", f"/api/v1/clients/{client_id}"), range(120)))
    finally:
        loaded.set()
        counter.join()

    assert [reply.status for reply in replies] == [200] * 120
    assert 1 <= most_workers <= WORKERS


def test_idle_workers_go_away_and_the_log_line_of_the_next_request_says_cold(
    server: LocalServer, client_id: str
) -> None:
    path = f"/api/v1/clients/{client_id}"
    assert server.call("GET", path).status == 200
    deadline = time.monotonic() + IDLE_SECONDS + 30
    while get_client_workers(server):
        assert time.monotonic() < deadline, "the idle workers were never stopped"
        time.sleep(0.2)

    assert server.call("GET", path).status == 200  # starts a worker again
    assert server.call("GET", path).status == 200  # on the warm worker

    lines = profile_log_lines(server, client_id)
    assert lines[0].endswith(" GetClientFunction cold")  # the very first one
    assert lines[-2].endswith(" GetClientFunction cold")
    assert lines[-1].endswith(" GetClientFunction")
    assert re.search(rf"GetClientFunction: \d worker\(s\) idle for {IDLE_SECONDS} s stopped", server.output())


def test_the_load_test_reports_a_round_per_number_of_callers_without_a_failed_request(server: LocalServer) -> None:
    report = server.run_tool("loadtest", "--callers", "1", "3", "--requests", "6", stdout=True)

    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in report.splitlines()]
    rounds = [row for row in rows if row[0] in {"1", "3"}]
    assert [row[:3] for row in rounds] == [["1", "6", "0"], ["3", "6", "0"]]
    # The server, GetClient's workers, and one of the authorizer's (one token, its answer kept).
    assert all(2 <= int(row[4]) <= 3 + WORKERS and float(row[5]) > 0 for row in rounds)
