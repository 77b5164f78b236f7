"""The process runtime: each function in warm workers of its own, fresh code on the next request."""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from samcli.lib.providers.provider import LayerVersion
from samcli.lib.utils.stream_writer import StreamWriter
from samcli.local.lambdafn.config import FunctionConfig
from samcli.local.lambdafn.env_vars import EnvironmentVariables

from tests.local.harness import children, running
from tools.local_api.runtime import InvocationFailed, ProcessRuntime, invocation_was_cold
from tools.local_api.server import LAYER_SITE

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

HANDLER = """
import decimal
import importlib.util
import os
import time

import shared

if os.path.exists(os.environ.get("BROKEN_FLAG", "/nonexistent")):
    raise ImportError("a dependency is missing")
time.sleep(float(os.environ["INIT_SECONDS"]))  # a slow import, as of a heavy dependency
calls = 0


def handler(event, context):
    global calls
    calls += 1
    time.sleep(event.get("sleep", 0))
    if event.get("fail"):
        raise ValueError("asked to fail")
    for line in event.get("print", []):
        print(line)
    if event.get("decimal"):
        return {"cost": decimal.Decimal("3000.50")}
    if "probe" in event:
        return {"importable": importlib.util.find_spec(event["probe"]) is not None}
    return {
        "version": VERSION,
        "pid": os.getpid(),
        "calls": calls,
        "greeting": os.environ.get("GREETING"),
        "leaked": os.environ.get("LEAKED_FROM_THE_SHELL"),
        "shared": shared.NAME,
        "function": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
"""


def write_function(directory: Path, version: int) -> None:
    directory.mkdir(exist_ok=True)
    app = directory / "app.py"
    app.write_text(f"VERSION = {version}\n" + textwrap.dedent(HANDLER))
    stamp = 1_700_000_000 + version  # distinct mtimes even within one filesystem tick
    os.utime(app, (stamp, stamp))


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[Callable[..., ProcessRuntime]]:
    """Runtimes over `tmp_path` (its layer holds shared.py), stopped when the test ends."""
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "shared.py").write_text('NAME = "from the layer"\n')
    made: list[ProcessRuntime] = []

    def make(**options: Any) -> ProcessRuntime:
        made.append(ProcessRuntime(tmp_path, **options))
        return made[-1]

    yield make
    for runtime in made:
        runtime.stop()


@pytest.fixture
def runtime(make_runtime: Callable[..., ProcessRuntime]) -> ProcessRuntime:
    return make_runtime()


def config(
    tmp_path: Path, name: str, *, greeting: str = "hi", timeout: int = 10, init_seconds: float = 0
) -> FunctionConfig:
    code = tmp_path / name
    if not code.exists():
        write_function(code, 1)
    env = EnvironmentVariables(
        function_name=name,
        function_memory=128,
        function_timeout=timeout,
        function_handler="app.handler",
        variables={
            "GREETING": greeting,
            "INIT_SECONDS": str(init_seconds),
            "BROKEN_FLAG": str(tmp_path / "broken"),
        },
    )
    return FunctionConfig(
        name=name,
        full_path=name,
        runtime="python3.13",
        handler="app.handler",
        imageuri=None,
        imageconfig=None,
        packagetype="Zip",
        code_abs_path=str(code),
        layers=[LayerVersion("SharedLayer", "layer")],
        architecture="arm64",
        memory=128,
        timeout=timeout,
        env_vars=env,
    )


_finishing_order = itertools.count()


@dataclass(frozen=True)
class Invocation:
    result: dict[str, Any]
    cold: bool  # what the gateway's log line says of it
    finished: int  # how many invocations of this test session had finished before it


def start(runtime: ProcessRuntime, function: FunctionConfig, **event: Any) -> Callable[[], Invocation]:
    """One invocation in a thread of its own, as the gateway makes each; returns a function that
    waits for it, and fails rather than hangs if it never ends."""
    outcome: queue.Queue[Invocation | Exception] = queue.Queue()

    def run() -> None:
        stdout = StringIO()
        try:
            runtime.invoke(function, json.dumps(event), stdout=StreamWriter(stdout))
        except Exception as exc:
            outcome.put(exc)
        else:
            outcome.put(Invocation(json.loads(stdout.getvalue()), invocation_was_cold(), next(_finishing_order)))

    threading.Thread(target=run, daemon=True).start()

    def wait() -> Invocation:
        done = outcome.get(timeout=60)
        if isinstance(done, Exception):
            raise done
        return done

    return wait


def invoke(runtime: ProcessRuntime, function: FunctionConfig, **event: Any) -> dict[str, Any]:
    return start(runtime, function, **event)().result


def wait_until(condition: Callable[[], object]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "waited 30 s in vain"
        time.sleep(0.01)


def test_a_worker_stays_warm_between_invocations(runtime: ProcessRuntime, tmp_path: Path) -> None:
    function = config(tmp_path, "One")

    first, second = invoke(runtime, function), invoke(runtime, function)

    assert first["pid"] == second["pid"]
    assert (first["calls"], second["calls"]) == (1, 2)
    assert first["shared"] == "from the layer"
    assert first["function"] == "One"
    assert 0 < first["remaining_ms"] <= 10_000


def test_functions_run_in_separate_processes_with_their_own_environment(
    runtime: ProcessRuntime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAKED_FROM_THE_SHELL", "yes")

    one = invoke(runtime, config(tmp_path, "One", greeting="hello"))
    two = invoke(runtime, config(tmp_path, "Two", greeting="привет"))

    assert one["pid"] != two["pid"]
    assert (one["greeting"], two["greeting"]) == ("hello", "привет")
    assert one["leaked"] is None


def test_a_code_change_is_served_by_the_next_invocation_even_with_every_worker_taken(
    make_runtime: Callable[..., ProcessRuntime], tmp_path: Path
) -> None:
    runtime = make_runtime(workers=1)
    function = config(tmp_path, "One")
    before = invoke(runtime, function)

    write_function(tmp_path / "One", 2)
    after = invoke(runtime, function)

    assert (before["version"], after["version"]) == (1, 2)
    assert before["pid"] != after["pid"]


def test_a_handler_error_is_answered_in_lambdas_error_shape(runtime: ProcessRuntime, tmp_path: Path) -> None:
    result = invoke(runtime, config(tmp_path, "One"), fail=True)

    assert result["errorType"] == "ValueError"
    assert result["errorMessage"] == "asked to fail"


def test_a_timed_out_worker_is_replaced_and_frees_its_place(
    make_runtime: Callable[..., ProcessRuntime], tmp_path: Path
) -> None:
    runtime = make_runtime(workers=1)
    function = config(tmp_path, "One", timeout=1)
    warm = invoke(runtime, function)

    timed_out = invoke(runtime, function, sleep=3)
    fresh = invoke(runtime, function)

    assert timed_out["errorType"] == "Sandbox.Timedout"
    assert fresh["pid"] != warm["pid"]
    assert fresh["calls"] == 1


def test_a_slow_init_does_not_eat_into_the_invocations_timeout(runtime: ProcessRuntime, tmp_path: Path) -> None:
    result = invoke(runtime, config(tmp_path, "One", timeout=1, init_seconds=1.5))

    assert result["calls"] == 1
    assert result["remaining_ms"] > 500


def test_an_editors_dangling_lock_link_next_to_the_code_breaks_nothing(runtime: ProcessRuntime, tmp_path: Path) -> None:
    function = config(tmp_path, "One")
    (tmp_path / "One" / ".#app.py").symlink_to("user@host.1234:1700000000")  # what Emacs leaves

    assert invoke(runtime, function)["calls"] == 1


@pytest.mark.parametrize("function_logs", [False, True])
def test_the_functions_json_lines_reach_the_console_only_when_asked_for(
    make_runtime: Callable[..., ProcessRuntime], tmp_path: Path, capfd: pytest.CaptureFixture[str], function_logs: bool
) -> None:
    runtime = make_runtime(function_logs=function_logs)
    lines = ['{"level": "INFO", "message": "a log line"}', "Traceback: not JSON", "forged\x0012:00:00 GET / 200"]

    invoke(runtime, config(tmp_path, "One"), print=lines)
    shown, deadline = "", time.monotonic() + 10
    while "forged" not in shown and time.monotonic() < deadline:  # the output comes on a thread of its own
        shown += capfd.readouterr().err
        time.sleep(0.05)

    assert "Traceback: not JSON" in shown
    assert ("a log line" in shown) is function_logs
    assert "forged\\x0012:00:00" in shown  # escaped, as every console line


def test_a_decimal_in_the_result_is_a_number_as_lambdas_runtime_writes_it(
    runtime: ProcessRuntime, tmp_path: Path
) -> None:
    assert invoke(runtime, config(tmp_path, "One"), decimal=True) == {"cost": 3000.5}


_SERVER = """
import sys
from pathlib import Path

from tests.local.test_runtime import config, invoke
from tools.local_api.runtime import ProcessRuntime

root = Path(sys.argv[1])
(root / "layer").mkdir()
(root / "layer" / "shared.py").write_text("NAME = 'x'\\n")
invoke(ProcessRuntime(root), config(root, "One"), sleep=60)
"""


def test_a_busy_worker_leaves_when_its_server_is_killed_outright(tmp_path: Path) -> None:
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(tmp_path)], cwd=ROOT)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while not (workers := children(server.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert workers, "the server started no worker"
        time.sleep(1)  # the handler is now sleeping through its request
    finally:
        server.kill()
        server.wait()

    deadline = time.monotonic() + 10
    while any(running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if running(pid)]


def test_a_failed_init_is_answered_then_retried_in_a_fresh_worker(
    make_runtime: Callable[..., ProcessRuntime], tmp_path: Path
) -> None:
    runtime = make_runtime(workers=1)
    function = config(tmp_path, "One")
    broken = tmp_path / "broken"  # outside the code: the code itself does not change
    broken.touch()

    failed = invoke(runtime, function)
    broken.unlink()
    recovered = invoke(runtime, function)

    assert failed["errorType"] == "Runtime.ImportModuleError"
    assert failed["errorMessage"] == "a dependency is missing"
    assert recovered["calls"] == 1


def test_no_worker_outlives_a_stopped_runtime(runtime: ProcessRuntime, tmp_path: Path) -> None:
    function = config(tmp_path, "One")
    pid = invoke(runtime, function)["pid"]

    runtime.stop()

    with pytest.raises(InvocationFailed):
        invoke(runtime, function)
    assert not running(pid)


def test_a_function_sees_its_layers_and_the_given_site_not_the_dev_tools(
    make_runtime: Callable[..., ProcessRuntime], tmp_path: Path
) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "from_the_site.py").write_text('NAME = "from the site"\n')
    runtime = make_runtime(site=tmp_path / "site")
    function = config(tmp_path, "One")

    assert invoke(runtime, function, probe="from_the_site") == {"importable": True}
    assert invoke(runtime, function, probe="pytest") == {"importable": False}  # in .venv only


@pytest.mark.skipif(not LAYER_SITE.is_dir(), reason="no .venv/layer-site: `make unit` makes it")
def test_under_make_run_a_function_cannot_import_what_the_layer_build_prunes(
    make_runtime: Callable[..., ProcessRuntime], tmp_path: Path
) -> None:
    runtime = make_runtime(site=LAYER_SITE)
    function = config(tmp_path, "One")

    importable = {
        module: invoke(runtime, function, probe=module)["importable"] for module in ("dns", "email_validator")
    }

    assert importable == {"dns": False, "email_validator": True}  # email-validator's optional DNS checks


def live_children() -> int:
    return sum(running(pid) for pid in children(os.getpid()))


def test_overlapping_requests_beyond_the_bound_wait_for_a_worker_rather_than_start_one(
    make_runtime: Callable[..., ProcessRuntime], tmp_path: Path
) -> None:
    runtime = make_runtime(workers=2)
    function = config(tmp_path, "One")
    most_workers = 0
    loaded = threading.Event()

    def count_workers() -> None:
        nonlocal most_workers
        while not loaded.is_set():
            most_workers = max(most_workers, live_children())
            time.sleep(0.01)

    counter = threading.Thread(target=count_workers)
    counter.start()
    try:
        waits = [start(runtime, function, sleep=0.05) for _ in range(40)]
        results = [wait().result for wait in waits]
    finally:
        loaded.set()
        counter.join()

    assert all(result["function"] == "One" for result in results)
    assert len({result["pid"] for result in results}) == 2
    assert sorted(result["calls"] for result in results)[-1] >= 20  # each worker served many
    assert 1 <= most_workers <= 2


# White-box: nothing public tells that a request has a worker or waits for one.
def busy_workers(runtime: ProcessRuntime, function: str) -> int:
    return len(runtime._pools[function].busy)


def waiting_requests(runtime: ProcessRuntime, function: str) -> int:
    return len(runtime._pools[function].queue)


def test_requests_waiting_for_a_worker_get_one_in_the_order_they_came(
    make_runtime: Callable[..., ProcessRuntime], tmp_path: Path
) -> None:
    runtime = make_runtime(workers=1)
    function = config(tmp_path, "One")
    invoke(runtime, function)  # warm, so that no init muddles the order
    occupying = start(runtime, function, sleep=0.5)
    wait_until(lambda: busy_workers(runtime, "One"))
    waiting = []
    for number in range(1, 7):
        waiting.append(start(runtime, function))
        wait_until(lambda number=number: waiting_requests(runtime, "One") == number)

    finished = [wait().finished for wait in (occupying, *waiting)]

    assert finished == sorted(finished)


def test_a_waiting_requests_timeout_counts_from_when_its_invocation_starts(
    make_runtime: Callable[..., ProcessRuntime], tmp_path: Path
) -> None:
    runtime = make_runtime(workers=1)
    function = config(tmp_path, "One", timeout=2)
    invoke(runtime, function)
    occupying = start(runtime, function, sleep=1.5)
    wait_until(lambda: busy_workers(runtime, "One"))

    waited = start(runtime, function, sleep=1)()  # 2.5 s after it came, 1 s after it started

    assert occupying().result["calls"] == 2
    assert waited.result["calls"] == 3
    assert waited.result["remaining_ms"] > 0


def test_a_request_waiting_for_a_worker_is_refused_when_the_runtime_stops(
    make_runtime: Callable[..., ProcessRuntime], tmp_path: Path
) -> None:
    runtime = make_runtime(workers=1)
    function = config(tmp_path, "One")
    occupying = start(runtime, function, sleep=60)
    wait_until(lambda: busy_workers(runtime, "One"))
    waiting = start(runtime, function)
    wait_until(lambda: waiting_requests(runtime, "One"))

    runtime.stop()

    with pytest.raises(InvocationFailed, match="stopping"):
        waiting()
    assert occupying().result["errorType"] == "Runtime.ExitError"
    assert live_children() == 0


def test_an_idle_worker_is_stopped_and_the_next_invocation_is_a_cold_start(
    make_runtime: Callable[..., ProcessRuntime], tmp_path: Path
) -> None:
    runtime = make_runtime(idle_seconds=2)
    function = config(tmp_path, "One")

    first = start(runtime, function)()
    second = start(runtime, function)()
    wait_until(lambda: not running(first.result["pid"]))
    third = start(runtime, function)()

    assert (first.cold, second.cold, third.cold) == (True, False, True)
    assert second.result["pid"] == first.result["pid"]
    assert third.result["pid"] != first.result["pid"]
    assert third.result["calls"] == 1


def test_a_worker_is_idle_between_invocations_not_during_a_long_one(
    make_runtime: Callable[..., ProcessRuntime], tmp_path: Path
) -> None:
    runtime = make_runtime(idle_seconds=1)
    function = config(tmp_path, "One")

    long = start(runtime, function, sleep=3)()
    after = start(runtime, function)()

    assert after.result["pid"] == long.result["pid"]
    assert not after.cold


def test_a_request_that_starts_a_cold_authorizer_then_a_warm_function_is_logged_cold(
    runtime: ProcessRuntime, tmp_path: Path
) -> None:
    authorizer, function = config(tmp_path, "Authorizer"), config(tmp_path, "One")
    invoke(runtime, function)  # its worker is warm

    def one_request() -> bool:  # both invocations from one thread, as the gateway makes them
        for invoked in (authorizer, function):
            runtime.invoke(invoked, "{}", stdout=StreamWriter(StringIO()))
        return invocation_was_cold()

    with ThreadPoolExecutor(1) as gateway:
        assert gateway.submit(one_request).result(timeout=60) is True
        assert gateway.submit(one_request).result(timeout=60) is False
