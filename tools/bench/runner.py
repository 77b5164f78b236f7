"""Spawns the measured processes (child.py) the way Lambda starts an execution environment.

A process gets the function's environment from template.yaml (as sam resolves it), Lambda's own
variables (tracing on, as `Tracing: Active` has it), fake credentials, and the bench's stand-ins
for what the function talks to: the store's endpoint, the local issuer and its served key set;
its sys.path is the function's folder, the layer, then the runtime's boto3, in Lambda's order.
The cold start is the time from spawning it to its first response.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tools.bench.artifacts import Artifacts
from tools.bench.scenarios import Answer
from tools.bench.store import REGION, BenchStore
from tools.local_api.issuer import AUDIENCE, ISSUER
from tools.local_api.jwks import ServedKeySet

CHILD = Path(__file__).with_name("child.py")
# Libraries a function should load only when it needs them: reported after each cold start.
OPTIONAL_LIBRARIES = ("argon2", "phonenumbers", "email_validator")
# The trace header Lambda sets per invocation when tracing is active. API Gateway's default X-Ray
# sampling rule records the first request each second and 5% of the others: under load, most
# requests are unsampled, and X-Ray then records next to nothing.
TRACE_IDS = {
    "sampled": "Root=1-67a1b2c3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1",
    "unsampled": "Root=1-67a1b2c3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=0",
}


class RunFailed(Exception):
    pass


@dataclass(frozen=True)
class Target:
    """One handler in one set of folders: a function as built, a baseline, or a floor rung."""

    label: str
    function: Any  # sam's Function: environment, memory, handler
    paths: tuple[Path, ...]
    handler: str
    expect: Answer
    # Where some modules must come from (boto3: the runtime's or the layer's); checked every run.
    origins: tuple[tuple[str, Path], ...]
    preload: tuple[str, ...] = ()
    calls_dynamodb: bool = True


@dataclass(frozen=True)
class ColdSample:
    wall_ms: float  # spawn to first response
    init_ms: float  # importing the handler module
    first_request_ms: float
    cpu_ms: float  # user + system CPU of the process up to its first response
    max_rss_mib: float
    loaded: list[str]  # which of OPTIONAL_LIBRARIES the process imported


@dataclass(frozen=True)
class WarmSample:
    wall_ms: list[float]  # each request against the store (sampled trace)
    # CPU per request with DynamoDB played back, one value per batch, by trace sampling.
    stubbed_cpu_us: dict[str, list[float]]

    @property
    def median_wall_ms(self) -> float:
        return statistics.median(self.wall_ms)

    def cpu_us(self, sampling: str) -> float:
        """The fastest batch's CPU per request: other load on the machine only ever adds to it."""
        return min(self.stubbed_cpu_us[sampling])

    @classmethod
    def combined(cls, samples: list[WarmSample]) -> WarmSample:
        """One sample of several processes' requests and batches."""
        samplings = samples[0].stubbed_cpu_us
        return cls(
            wall_ms=[ms for sample in samples for ms in sample.wall_ms],
            stubbed_cpu_us={s: [us for sample in samples for us in sample.stubbed_cpu_us[s]] for s in samplings},
        )


@dataclass(frozen=True)
class WarmSettings:
    requests: int
    cpu_requests: int
    cpu_batches: int


class Runner:
    def __init__(self, artifacts: Artifacts, store: BenchStore, keys: ServedKeySet) -> None:
        self.artifacts = artifacts
        self.store = store
        self.keys = keys  # the local issuer's, which signs the authorizer's tokens
        self._work = artifacts.build.parent / "jobs"
        self._work.mkdir(exist_ok=True)

    def cold(self, target: Target, events: list[dict[str, Any]]) -> ColdSample:
        result = self._run(target, {"mode": "cold", "events": events})
        return ColdSample(
            wall_ms=(result["answered_ns"] - result["spawned_ns"]) / 1e6,
            init_ms=result["init_ms"],
            first_request_ms=result["first_request_ms"],
            cpu_ms=result["cpu_ms"],
            max_rss_mib=result["max_rss_kib"] / 1024,
            loaded=result["loaded"],
        )

    def warm(self, target: Target, events: list[dict[str, Any]], settings: WarmSettings) -> WarmSample:
        job = {
            "mode": "warm",
            "events": events,
            "warm_requests": settings.requests,
            "cpu_requests": settings.cpu_requests,
            "cpu_batches": settings.cpu_batches,
            "trace_ids": TRACE_IDS,
        }
        result = self._run(target, job)
        return WarmSample(wall_ms=result["warm_wall_ms"], stubbed_cpu_us=result["stubbed_cpu_us"])

    def _run(self, target: Target, job: dict[str, Any]) -> dict[str, Any]:
        """The child's result, with `spawned_ns`: the monotonic clock right before the spawn."""
        self.store.reset()
        job_file, result_file = self._work / "job.json", self._work / "result.json"
        result_file.unlink(missing_ok=True)
        job |= {
            "paths": [str(p) for p in target.paths],
            "handler": target.handler,
            "preload": list(target.preload),
            "function": target.function.name,
            "memory_mb": target.function.memory,
            "expect": asdict(target.expect),
            "calls_dynamodb": target.calls_dynamodb,
            "report_origins": [module for module, _ in target.origins],
            "report_loaded": list(OPTIONAL_LIBRARIES),
            "result": str(result_file),
        }
        job_file.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        command = [str(self.artifacts.python), "-I", "-S", "-B", str(CHILD), str(job_file)]
        environment = self._environment(target)
        fetches = self.keys.fetches
        spawned_ns = time.monotonic_ns()
        done = subprocess.run(
            command,
            env=environment,
            stdout=subprocess.DEVNULL,  # the functions' logs and metrics, as Lambda would ship them
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or not result_file.exists():
            raise RunFailed(f"{target.label}: exit {done.returncode}\n{done.stderr[-4000:]}")
        result = json.loads(result_file.read_text(encoding="utf-8"))
        self._check_origins(target, result["origins"])
        # One fetch of the issuer's keys in every process that checks tokens, in its first
        # request: the cold start includes it, and warm requests must not (keys kept).
        expected = 1 if "JWKS_URL" in environment else 0
        if self.keys.fetches - fetches != expected:
            raise RunFailed(f"{target.label}: fetched the key set {self.keys.fetches - fetches} times, not {expected}")
        return result | {"spawned_ns": spawned_ns}

    def _environment(self, target: Target) -> dict[str, str]:
        function = target.function
        variables = {name: str(value) for name, value in (function.environment or {}).get("Variables", {}).items()}
        # Set only where the template declares them, as `sam local --env-vars` would.
        stand_ins = {
            "AWS_ENDPOINT_URL_DYNAMODB": self.store.endpoint,
            "JWT_ISSUER": ISSUER,
            "JWT_AUDIENCE": AUDIENCE,
            "JWKS_URL": self.keys.url,
        }
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_SESSION_TOKEN": "bench",
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "LAMBDA_TASK_ROOT": str(target.paths[0]),
            "LAMBDA_RUNTIME_DIR": str(self.artifacts.runtime),
            "_HANDLER": function.handler,
            "_X_AMZN_TRACE_ID": TRACE_IDS["sampled"],
            # X-Ray segments go over UDP to the daemon; nothing listens here, and nothing needs to.
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            **variables,
            **{name: value for name, value in stand_ins.items() if name in variables},
        }

    @staticmethod
    def _check_origins(target: Target, origins: dict[str, str | None]) -> None:
        for module, folder in target.origins:
            origin = origins.get(module)
            if origin is None or not Path(origin).is_relative_to(folder):
                raise RunFailed(f"{target.label}: {module} came from {origin}, not {folder}")
