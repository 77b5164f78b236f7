"""`make loadtest`: requests per second and memory of the running `make run`, at 1, 4 and 40
concurrent callers, all reading one client's profile (GET /api/v1/clients/{id}).

Memory is the resident set (RSS) of the server and all its workers together, at its highest
while the callers run, sampled with `ps`. Each round is preceded by an unmeasured one at the same
concurrency, so the figures are for warm workers. Not a test: nothing fails on a number, and
other load on the machine moves them (docs/local.md has a run and how to read it).
"""

from __future__ import annotations

import http.client
import itertools
import logging
import subprocess
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from tools.local_api.demo import DemoStore, load_demo
from tools.local_api.run_info import RunInfo

LOG = logging.getLogger("clients_api.local")
_SAMPLE_SECONDS = 0.2


@dataclass(frozen=True)
class Footprint:
    processes: int
    rss_kib: int


@dataclass(frozen=True)
class Round:
    callers: int
    requests: int
    failures: int
    seconds: float
    peak: Footprint

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def run(info: RunInfo, store: DemoStore, token: str, callers: Sequence[int], requests: int) -> str:
    """Load the server `info` describes with `requests` requests per number of `callers`, sent
    with the bearer `token` of a service; returns the figures as a Markdown table."""
    request = Request(f"/api/v1/clients/{load_demo(store)}", {"Authorization": f"Bearer {token}"})
    idle = footprint(info.pid)
    rounds = []
    for concurrency in callers:
        call_concurrently(info.api_url, request, concurrency, concurrency)  # the workers this needs, warm
        rounds.append(measure(info, request, concurrency, requests))
    return table(idle, rounds)


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]


def measure(info: RunInfo, request: Request, callers: int, requests: int) -> Round:
    peak = footprint(info.pid)
    loaded = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not loaded.wait(_SAMPLE_SECONDS):
            now = footprint(info.pid)
            peak = Footprint(max(peak.processes, now.processes), max(peak.rss_kib, now.rss_kib))

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    try:
        statuses = call_concurrently(info.api_url, request, callers, requests)
    finally:
        seconds = time.perf_counter() - started
        loaded.set()
        sampler.join()
    return Round(callers, requests, sum(status != 200 for status in statuses), seconds, peak)


def call_concurrently(api_url: str, request: Request, callers: int, requests: int) -> list[int]:
    """`requests` GETs of `request` from `callers` threads at once; their statuses."""
    url = urlsplit(api_url)
    numbers = itertools.count()  # the callers share one count of requests to make

    def caller() -> list[int]:
        statuses = []
        while next(numbers) < requests:
            connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=120)
            try:
                connection.request("GET", request.path, headers=request.headers)
                response = connection.getresponse()
                response.read()
                statuses.append(response.status)
            finally:
                connection.close()
        return statuses

    with ThreadPoolExecutor(callers) as pool:
        return [status for statuses in pool.map(lambda _: caller(), range(callers)) for status in statuses]


def footprint(pid: int) -> Footprint:
    """Processes and total RSS of `pid` and everything it started (ps: Linux and macOS)."""
    listing = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,rss="], capture_output=True, text=True, check=True)
    rows = [tuple(map(int, line.split())) for line in listing.stdout.splitlines() if line.strip()]
    tree, grew = {pid}, True
    while grew:
        found = {child for child, parent, _ in rows if parent in tree}
        grew = not found <= tree
        tree |= found
    sizes = [rss for process, _, rss in rows if process in tree]
    return Footprint(len(sizes), sum(sizes))


def table(idle: Footprint, rounds: list[Round]) -> str:
    lines = [
        "| callers | requests | failed | requests/s | processes (peak) | RSS, MiB (peak) |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| none (before) | | | | {idle.processes} | {idle.rss_kib / 1024:.0f} |",
    ]
    lines += [
        f"| {r.callers} | {r.requests} | {r.failures} | {r.per_second:.0f} | {r.peak.processes} "
        f"| {r.peak.rss_kib / 1024:.0f} |"
        for r in rounds
    ]
    return "\n".join(lines)
