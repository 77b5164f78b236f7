"""Lambda execution environments as local processes: what sam-cli runs in Docker, without Docker.

sam-cli's `LocalLambdaRunner` finds the function and resolves its environment exactly as
`sam local` does, then hands a `FunctionConfig` to a runtime; this module is that runtime. Each
function gets warm worker processes of its own (worker.py): its own environment, its own imports,
one invocation at a time, more workers when requests overlap, as Lambda scales out. A worker is
replaced when the function's or a layer's files change, so edits apply on the next request.
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
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samcli.lib.utils.stream_writer import StreamWriter
from samcli.local.lambdafn.config import FunctionConfig

from tools.local_api.worker import error_payload

LOG = logging.getLogger(__name__)
WORKER = Path(__file__).with_name("worker.py")
# Lambda's defaults, which a function's own variables may override.
_RUNTIME_DEFAULTS = {"TZ": ":UTC", "LANG": "en_US.UTF-8", "PATH": "/usr/local/bin:/usr/bin:/bin"}
# Lambda gives the init phase 10 s of its own, then retries init inside the first invocation under
# the function's timeout; so a cold start may take both, and the invocation's clock starts after.
INIT_TIMEOUT_S = 10.0


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

    def __init__(self, spec: WorkerSpec, site: Path | None) -> None:
        self.spec = spec
        self._pending = b""
        self._initialised = False
        self._process = subprocess.Popen(
            # -S: no site-packages of ours; the function sees its code, its layers and `site`.
            [sys.executable, "-I", "-S", str(WORKER), spec.handler, *map(str, (*spec.paths, *filter(None, [site])))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=dict(spec.env),
            cwd=spec.paths[0],
            bufsize=0,
            start_new_session=True,  # Ctrl+C reaches the server only, which then stops its workers
        )

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


class ProcessRuntime:
    """Stands in for sam-cli's `LambdaRuntime`: `LocalLambdaRunner.invoke` calls `invoke` here."""

    def __init__(self, root: Path, site: Path | None = None) -> None:
        """`site`: the packages the layers install (what Lambda has beside their code)."""
        self._root = root
        self._site = site
        self._idle: dict[str, list[Worker]] = defaultdict(list)
        self._busy: set[Worker] = set()
        self._lock = threading.Lock()
        self._stopped = False  # request threads may still arrive while the server stops

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
        with self._lock:
            self._stopped = True
            workers = [*self._busy, *(w for idle in self._idle.values() for w in idle)]
            self._idle.clear()
            self._busy.clear()
        for worker in workers:
            worker.stop()

    def _acquire(self, spec: WorkerSpec) -> Worker:
        with self._lock:
            idle = self._idle[spec.function]
            stale = [w for w in idle if w.spec != spec]
            idle[:] = [w for w in idle if w.spec == spec]
            worker = idle.pop() if idle else None
        if stale:
            LOG.info("%s: code or environment changed, starting a fresh worker", spec.function)
        for old in stale:
            old.stop()
        if worker is None:
            worker = Worker(spec, self._site)
        with self._lock:
            if not self._stopped:
                self._busy.add(worker)
                return worker
        worker.stop()
        raise InvocationFailed(f"{spec.function}: the server is stopping")

    def _release(self, worker: Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
            if not self._stopped:
                self._idle[worker.spec.function].append(worker)
                return
        worker.stop()

    def _discard(self, worker: Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
        worker.stop()
