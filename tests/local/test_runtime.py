"""The process runtime: each function in warm workers of its own, fresh code on the next request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from samcli.lib.providers.provider import LayerVersion
from samcli.lib.utils.stream_writer import StreamWriter
from samcli.local.lambdafn.config import FunctionConfig
from samcli.local.lambdafn.env_vars import EnvironmentVariables

from tools.local_api.runtime import InvocationFailed, ProcessRuntime

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
def runtime(tmp_path: Path) -> Iterator[ProcessRuntime]:
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "shared.py").write_text('NAME = "from the layer"\n')
    running = ProcessRuntime(tmp_path)
    yield running
    running.stop()


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


def invoke(runtime: ProcessRuntime, function: FunctionConfig, **event: Any) -> dict[str, Any]:
    stdout = StringIO()
    runtime.invoke(function, json.dumps(event), stdout=StreamWriter(stdout))
    return json.loads(stdout.getvalue())


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


def test_a_code_change_is_served_by_the_next_invocation(runtime: ProcessRuntime, tmp_path: Path) -> None:
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


def test_a_timed_out_worker_is_replaced(runtime: ProcessRuntime, tmp_path: Path) -> None:
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


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_busy_worker_leaves_when_its_server_is_killed_outright(tmp_path: Path) -> None:
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(tmp_path)], cwd=ROOT)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while not (workers := _children(server.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert workers, "the server started no worker"
        time.sleep(1)  # the handler is now sleeping through its request
    finally:
        server.kill()
        server.wait()

    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if _running(pid)]


def test_a_failed_init_is_answered_then_retried_in_a_fresh_worker(runtime: ProcessRuntime, tmp_path: Path) -> None:
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
    assert not _running(pid)


def test_a_function_sees_its_layers_and_the_given_site_not_the_dev_tools(tmp_path: Path) -> None:
    for folder, module in (("layer", "shared.py"), ("site", "from_the_site.py")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / module).write_text('NAME = "from the layer"\n')
    runtime = ProcessRuntime(tmp_path, tmp_path / "site")
    try:
        function = config(tmp_path, "One")
        assert invoke(runtime, function, probe="from_the_site") == {"importable": True}
        assert invoke(runtime, function, probe="pytest") == {"importable": False}  # in .venv only
    finally:
        runtime.stop()
