"""Lambda execution environments as local processes: what sam-cli runs in Docker, without Docker.

sam-cli's `LocalLambdaRunner` finds the function and resolves its environment exactly as
`sam local` does, then hands a `FunctionConfig` to a runtime; this module is that runtime. Each
function gets warm worker processes of its own (worker.py): its own environment, its own imports,
one invocation at a time, more workers when requests overlap, as Lambda scales out, up to a bound
that fits a laptop (beyond it, requests wait their turn). A worker is replaced when the function's
or a layer's files change, so edits apply on the next request, and stopped once it has been idle
for a while, as Lambda reclaims idle environments.
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.local_api.console import printable
from tools.local_api.worker import error_payload

if TYPE_CHECKING:  # sam-cli takes a second to import: `python -m tools.local_api --help` need not wait
    from samcli.lib.utils.stream_writer import StreamWriter
    from samcli.local.lambdafn.config import FunctionConfig

LOG = logging.getLogger(__name__)
WORKER = Path(__file__).with_name("worker.py")
# Lambda's defaults, which a function's own variables may override.
_RUNTIME_DEFAULTS = {"TZ": ":UTC", "LANG": "en_US.UTF-8", "PATH": "/usr/local/bin:/usr/bin:/bin"}
# Lambda gives the init phase 10 s of its own, then retries init inside the first invocation under
# the function's timeout; so a cold start may take both, and the invocation's clock starts after.
INIT_TIMEOUT_S = 10.0
# Per function. More workers than cores buy nothing (the store serves one request at a time), and
# each holds its own imports: unbounded, 40 concurrent callers left 77 workers holding 2.6 GiB,
# for fewer requests per second than 4 callers got (docs/local.md has the figures).
DEFAULT_WORKERS = 4
# Lambda keeps an idle environment for minutes (5 to 15 are commonly seen; it does not promise any).
DEFAULT_IDLE_SECONDS = 300.0
_this_thread = threading.local()


def invocation_was_cold() -> bool:
    """Whether an invocation made from this thread since it last asked paid a worker's init (a
    cold start), for the gateway's log line of the request (which may invoke an authorizer, then
    the function). Asking forgets it."""
    cold = getattr(_this_thread, "cold_start", False)
    _this_thread.cold_start = False
    return cold


class InvocationFailed(Exception):
    """The worker died; it is discarded, as Lambda discards such an environment."""

    error_type = "Runtime.ExitError"


class InvocationTimedOut(InvocationFailed):
    error_type = "Sandbox.Timedout"


class InitFailed(InvocationFailed):
    """The code failed to load; `payload` is the worker's answer in Lambda's error shape."""

    def __init__(self, payload: str) -> None:
        super().__init__("init failed")
        self.payload = payload


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker is started from; a worker serves only requests with an equal spec."""

    function: str
    handler: str
    paths: tuple[Path, ...]  # the function's code first, then its layers, as on Lambda's sys.path
    env: tuple[tuple[str, str], ...]
    timeout: float
    code_version: int  # changes whenever a file under `paths` does

    @classmethod
    def of(cls, config: FunctionConfig, root: Path) -> WorkerSpec:
        if not str(config.runtime).startswith("python"):
            raise ValueError(f"{config.name}: only Python functions run locally, not {config.runtime}")
        layers = []
        for layer in config.layers:
            if not layer.codeuri:
                raise ValueError(f"{config.name}: layer {layer.name} has no local code (ContentUri)")
            # `sam build` puts a python3.x layer's ContentUri under python/, which is on sys.path.
            layers.append((root / layer.codeuri).resolve())
        paths = (Path(config.code_abs_path).resolve(), *layers)
        reserved = {
            "_HANDLER": config.handler,
            "LAMBDA_TASK_ROOT": str(paths[0]),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
        }
        env = _RUNTIME_DEFAULTS | config.env_vars.resolve() | reserved
        return cls(config.name, config.handler, paths, tuple(sorted(env.items())), config.timeout, code_version(paths))


def code_version(paths: tuple[Path, ...]) -> int:
    """A value that changes when any file under `paths` is added, removed or modified."""
    stamps = []
    for top in paths:
        for directory, subdirs, files in os.walk(top):
            subdirs[:] = [d for d in subdirs if d != "__pycache__"]
            for name in files:
                # lstat, and skip what vanished mid-walk: editors keep dangling lock symlinks
                # (Emacs' .#app.py) and short-lived swap files next to the code.
                try:
                    stat = os.lstat(os.path.join(directory, name))
                except FileNotFoundError:
                    continue
                stamps.append((directory, name, stat.st_mtime_ns, stat.st_size))
    return hash(frozenset(stamps))


class Worker:
    """One warm execution environment of one function."""

    def __init__(self, spec: WorkerSpec, site: Path | None, *, function_logs: bool = False) -> None:
        self.spec = spec
        self.idle_since = time.monotonic()
        self._pending = b""
        self._initialised = False
        self._process = subprocess.Popen(
            # -S: no site-packages of ours; the function sees its code, its layers and `site`.
            [sys.executable, "-I", "-S", str(WORKER), spec.handler, *map(str, (*spec.paths, *filter(None, [site])))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(spec.env),
            cwd=spec.paths[0],
            bufsize=0,
            start_new_session=True,  # Ctrl+C reaches the server only, which then stops its workers
        )
        output = (self._process.stderr, function_logs)
        threading.Thread(target=_forward_output, args=output, name=f"{spec.function}-output", daemon=True).start()

    @property
    def cold(self) -> bool:
        """Whether its next invocation pays the init."""
        return not self._initialised

    def invoke(self, event: str) -> str:
        """The function's JSON result (or Lambda's error shape). Raises InvocationFailed."""
        if not self._initialised:
            ready = self._read_line(time.time() + INIT_TIMEOUT_S + self.spec.timeout)
            if ready != b"ready":
                raise InitFailed(ready.decode())
            self._initialised = True
        deadline = time.time() + self.spec.timeout
        request = {"event": event, "request_id": str(uuid.uuid4()), "deadline_ms": int(deadline * 1000)}
        try:
            self._process.stdin.write(json.dumps(request).encode() + b"\n")  # type: ignore[union-attr]
        except BrokenPipeError:
            raise InvocationFailed(f"{self.spec.function}: the worker exited") from None
        return self._read_line(deadline).decode()

    def _read_line(self, deadline: float) -> bytes:
        stream = self._process.stdout.fileno()  # type: ignore[union-attr]
        while b"\n" not in self._pending:
            remaining = deadline - time.time()
            if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
                raise InvocationTimedOut(f"Task timed out after {self.spec.timeout:.2f} seconds")
            chunk = os.read(stream, 1 << 16)
            if not chunk:
                raise InvocationFailed(f"{self.spec.function}: the worker exited with {self._process.wait()}")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line

    def stop(self) -> None:
        self._process.kill()
        self._process.wait()


def _forward_output(stream: Any, function_logs: bool) -> None:
    """What a worker prints, on this process's stderr, escaped (console.printable). The function's
    structured lines (JSON logs, metric blobs) only with `function_logs`: by default the console
    keeps to one line per request, plus whatever else a function prints (a traceback, a print)."""
    for raw in stream:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if function_logs or not line.startswith("{"):
            print(printable(line), file=sys.stderr, flush=True)


@dataclass
class _Pool:
    """One function's workers, and the requests waiting for one of them in arrival order."""

    idle: list[Worker] = field(default_factory=list)  # the most recently used last
    busy: set[Worker] = field(default_factory=set)
    queue: deque[object] = field(default_factory=deque)

    @property
    def size(self) -> int:
        return len(self.idle) + len(self.busy)


class ProcessRuntime:
    """Stands in for sam-cli's `LambdaRuntime`: `LocalLambdaRunner.invoke` calls `invoke` here."""

    def __init__(
        self,
        root: Path,
        site: Path | None = None,
        *,
        workers: int = DEFAULT_WORKERS,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        function_logs: bool = False,
    ) -> None:
        """`site`: the packages the layers install (what Lambda has beside their code).
        `workers`: at most this many workers per function; more requests wait their turn.
        `idle_seconds`: a worker left idle this long is stopped.
        `function_logs`: show the functions' JSON log lines and metrics on the console."""
        if workers < 1:
            raise ValueError(f"a function needs at least one worker, not {workers}")
        self._root = root
        self._site = site
        self._workers = workers
        self._idle_seconds = idle_seconds
        self._function_logs = function_logs
        self._pools: dict[str, _Pool] = defaultdict(_Pool)
        # One condition for every change a waiting request or the reaper may be waiting for: a
        # worker released or discarded, a turn taken, the runtime stopped.
        self._changed = threading.Condition()
        self._stopped = False  # request threads may still arrive while the server stops
        self._reaper = threading.Thread(target=self._reap_idle_workers, name="worker-reaper", daemon=True)
        self._reaper.start()

    def invoke(
        self,
        function_config: FunctionConfig,
        event: str,
        tenant_id: str | None = None,
        *,
        stdout: StreamWriter | None = None,
        stderr: StreamWriter | None = None,
        **_container_options: Any,
    ) -> None:
        """Run one invocation and write its result to `stdout`, where sam-cli reads it. The
        workers' own output goes straight to this process's stderr, so `stderr` stays unused."""
        spec = WorkerSpec.of(function_config, self._root)
        worker = self._acquire(spec)
        _this_thread.cold_start = getattr(_this_thread, "cold_start", False) or worker.cold
        try:
            result = worker.invoke(event)
        except InitFailed as exc:  # the next invocation starts a fresh worker, as Lambda does
            self._discard(worker)
            result = exc.payload
        except InvocationFailed as exc:
            LOG.warning("%s: %s", spec.function, exc)
            self._discard(worker)
            result = error_payload(exc, exc.error_type)
        else:
            self._release(worker)
        if stdout is not None:
            stdout.write_str(result)

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            for pool in self._pools.values():
                for worker in (*pool.busy, *pool.idle):
                    worker.stop()
                pool.busy.clear()
                pool.idle.clear()
            self._changed.notify_all()
        self._reaper.join()

    def _acquire(self, spec: WorkerSpec) -> Worker:
        """An idle worker of `spec`, else a new one while the function has fewer than its bound.
        Requests find one in the order they came; the invocation's clock has not started yet."""
        with self._changed:
            pool = self._pools[spec.function]
            turn = object()
            pool.queue.append(turn)
            try:
                while not self._stopped:
                    if pool.queue[0] is turn:
                        self._stop_stale(pool, spec)
                        if pool.idle or pool.size < self._workers:
                            break
                    self._changed.wait()
            finally:
                pool.queue.remove(turn)
                self._changed.notify_all()  # the next in line may now go
            if self._stopped:
                raise InvocationFailed(f"{spec.function}: the server is stopping")
            # Starting under the lock keeps the bound exact; the process loads the code on its own.
            worker = pool.idle.pop() if pool.idle else Worker(spec, self._site, function_logs=self._function_logs)
            pool.busy.add(worker)
            return worker

    def _release(self, worker: Worker) -> None:
        with self._changed:
            self._pools[worker.spec.function].busy.discard(worker)
            if self._stopped:
                worker.stop()
                return
            worker.idle_since = time.monotonic()
            self._pools[worker.spec.function].idle.append(worker)
            self._changed.notify_all()

    def _discard(self, worker: Worker) -> None:
        with self._changed:
            self._pools[worker.spec.function].busy.discard(worker)
            worker.stop()  # before its slot is taken: never more live workers than the bound
            self._changed.notify_all()

    def _stop_stale(self, pool: _Pool, spec: WorkerSpec) -> None:
        stale = [worker for worker in pool.idle if worker.spec != spec]
        if stale:
            LOG.info("%s: code or environment changed, starting a fresh worker", spec.function)
            for worker in stale:
                worker.stop()
            pool.idle[:] = [worker for worker in pool.idle if worker.spec == spec]

    def _reap_idle_workers(self) -> None:
        """Stops the workers left idle for `idle_seconds`, as Lambda reclaims idle environments:
        the next request starts a fresh worker, a cold start."""
        with self._changed:
            while not self._stopped:
                now = time.monotonic()
                for function, pool in self._pools.items():
                    expired = [w for w in pool.idle if now - w.idle_since >= self._idle_seconds]
                    if expired:
                        for worker in expired:
                            worker.stop()
                        pool.idle[:] = [w for w in pool.idle if w not in expired]
                        LOG.info("%s: %d worker(s) idle for %g s stopped", function, len(expired), self._idle_seconds)
                oldest = min((w.idle_since for pool in self._pools.values() for w in pool.idle), default=None)
                self._changed.wait(None if oldest is None else oldest + self._idle_seconds - now)
