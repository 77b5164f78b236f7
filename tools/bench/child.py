"""One Lambda execution environment under measurement: a fresh interpreter, our handler, events.

Run as a script by runner.py (`python3.13 -I -S -B child.py job.json`), never imported: it uses
the standard library only, so nothing but the handler's own imports lands in the measurement.
`-I -S` keep the host's site-packages out; `-B` writes no bytecode, as on Lambda's read-only code
folders. The job file says which folders form sys.path (function, layer, runtime SDK, in Lambda's
order), which handler to load, the events to send, what a good answer holds, and what to measure:

- "cold": import the handler and serve one request; report the monotonic clock at the response
  (the parent subtracts its own clock at spawn), the import and first-request times, CPU time
  and peak RSS so far;
- "warm": the same, then requests against the store on loopback (wall time each), then requests
  with DynamoDB's HTTP answers replayed from memory, so that only CPU in this process is left to
  measure (botocore still builds, signs and parses every call: the baseline pays that too), once
  with a sampled trace and once with an unsampled one. A handler that calls no DynamoDB (the
  authorizer) has nothing to record: its requests are simply repeated.
"""

import importlib
import json
import os
import resource
import sys
import time
from collections.abc import Callable


class _Context:
    """The attributes of Lambda's context object that powertools reads. A twin of
    tools/local_api/worker.py's LambdaContext, kept apart: importing that module would load
    modules ahead of the handler, and the cold start measured would leave out their cost."""

    function_version = "$LATEST"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def __init__(self, function_name: str, memory_mb: int) -> None:
        self.function_name = function_name
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:eu-central-1:123456789012:function:{function_name}"
        self.aws_request_id = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


class _HttpTape:
    """Records DynamoDB's HTTP answers to a request, then plays them back instead of sending.

    Hooks on boto3's default session reach every client made after they are installed, which is
    why they go in before the handler module (and its module-level client) is imported.
    """

    def __init__(self, session: object) -> None:
        self.recording: list[tuple] | None = None  # the answers of the request being recorded
        self.playing: list[tuple] | None = None  # answers still to give in the request played back
        session.events.register("after-call.dynamodb", self._record)
        session.events.register("before-send.dynamodb", self._play)

    def record(self, serve: Callable[[int], None], number: int) -> list[tuple]:
        """Request `number` against the store; DynamoDB's answers to it."""
        self.recording = []
        serve(number)
        recording, self.recording = self.recording, None
        return recording

    def play(self, recording: list[tuple], serve: Callable[[int], None], number: int) -> None:
        """Request `number` with `recording`'s answers instead of the store's."""
        self.playing = list(recording)
        serve(number)
        left, self.playing = self.playing, None
        if left:
            raise RuntimeError(f"request {number} made fewer DynamoDB calls than when recorded")

    def _record(self, http_response: object, model: object, **_: object) -> None:
        if self.recording is not None:
            headers = dict(http_response.headers)
            self.recording.append((model.name, http_response.status_code, headers, http_response.content))

    def _play(self, request: object, **_: object) -> object:
        if self.playing is None:
            return None
        from botocore.awsrequest import AWSResponse

        operation, status, headers, body = self.playing.pop(0)
        target = request.headers.get("X-Amz-Target", b"")
        if isinstance(target, bytes):
            target = target.decode()
        if not target.endswith("." + operation):
            raise RuntimeError(f"played back {operation}, but the handler called {target}")
        return AWSResponse(request.url, status, headers, _Body(body))


class _NoStore:
    """_HttpTape's part for a handler that calls no DynamoDB: no boto3 imported, nothing kept."""

    @staticmethod
    def record(serve: Callable[[int], None], number: int) -> list[tuple]:
        serve(number)
        return []

    @staticmethod
    def play(recording: list[tuple], serve: Callable[[int], None], number: int) -> None:
        serve(number)


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: object) -> object:
        yield self._content


def _load_handler(spec: str) -> object:
    module, _, name = spec.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _peak_rss_kib() -> int:
    """Peak resident set size of this process. Linux's VmHWM: ru_maxrss survives exec, so in a
    freshly spawned process it reports the larger parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


def main(job_path: str) -> None:
    with open(job_path, encoding="utf-8") as file:
        job = json.load(file)
    sys.path[:0] = job["paths"]
    tape = None
    if job["mode"] == "warm":
        if job["calls_dynamodb"]:
            import boto3

            boto3.setup_default_session()
            tape = _HttpTape(boto3.DEFAULT_SESSION)
        else:
            tape = _NoStore()
    for module in job["preload"]:
        importlib.import_module(module)
    context = _Context(job["function"], job["memory_mb"])
    events, expect = job["events"], job["expect"]

    def serve(number: int) -> None:
        response = handler(events[number % len(events)], context)
        if _at(response, expect["path"]) != expect["value"]:
            raise RuntimeError(f"request {number}: not {expect}: {json.dumps(response, default=str)[:2000]}")

    started = time.perf_counter()
    handler = _load_handler(job["handler"])
    imported = time.perf_counter()
    serve(0)
    answered_ns = time.monotonic_ns()
    result = {
        "answered_ns": answered_ns,
        "init_ms": (imported - started) * 1000,
        "first_request_ms": (time.perf_counter() - imported) * 1000,
        "cpu_ms": _cpu_ms(),
        "max_rss_kib": _peak_rss_kib(),
        "modules": len(sys.modules),
        "origins": {name: getattr(sys.modules.get(name), "__file__", None) for name in job["report_origins"]},
        "loaded": [name for name in job["report_loaded"] if name in sys.modules],
    }
    if tape is not None:
        result |= _warm(serve, tape, job)
    with open(job["result"], "w", encoding="utf-8") as file:
        json.dump(result, file)


def _at(answer: object, path: list[str | int]) -> object:
    """The value at `path` in a handler's answer; None where the answer has no such place."""
    for step in path:
        try:
            answer = answer[step]
        except (KeyError, IndexError, TypeError):
            return None
    return answer


def _warm(serve: Callable[[int], None], tape: _HttpTape | _NoStore, job: dict) -> dict:
    """Per-request wall time against the store, then CPU time with the store played back.

    Request numbers run on from the cold request: events[n % len(events)] alternates between
    values (each request really writes) or, for registration, never repeats against the store.
    Two consecutive requests are recorded, one per alternate, and request n plays back n % 2.
    """
    number = 1
    wall_ms = []
    for _ in range(job["warm_requests"]):
        began = time.perf_counter()
        serve(number)
        wall_ms.append((time.perf_counter() - began) * 1000)
        number += 1
    tapes = {}
    for _ in range(2):
        tapes[number % 2] = tape.record(serve, number)
        number += 1
    cpu_us = {}
    # Lambda sets the trace header per invocation; X-Ray records only sampled requests in full.
    for sampling, trace_id in job["trace_ids"].items():
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
        cpu_us[sampling] = []
        for _ in range(job["cpu_batches"]):
            began = time.process_time()
            for _ in range(job["cpu_requests"]):
                tape.play(tapes[number % 2], serve, number)
                number += 1
            cpu_us[sampling].append((time.process_time() - began) / job["cpu_requests"] * 1e6)
    return {"warm_wall_ms": wall_ms, "stubbed_cpu_us": cpu_us}


if __name__ == "__main__":
    main(sys.argv[1])
