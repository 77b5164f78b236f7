"""Tools for race tests: one handler copy per "container", and a DynamoDB client that lets
callers line up at the write and then go through one at a time (moto's backend is not
thread-safe; real DynamoDB needs no such lock)."""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable
from typing import Any

from clients_api.observability import metrics
from tests.support.template import ROOT


def isolated_handler(module: str, copy: int) -> Callable[..., dict[str, Any]]:
    """A fresh import of a function's app.py under its own name: its own resolver, as in a
    separate Lambda container (the resolver keeps the current event on itself)."""
    name = f"{module}__copy{copy}"
    spec = importlib.util.spec_from_file_location(name, ROOT / (module.replace(".", "/") + ".py"))
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded.lambda_handler


def one_metrics_writer_at_a_time(monkeypatch: Any) -> None:
    """Handler copies in threads share the layer's one metrics provider (on Lambda each container
    has its own, and runs one request at a time): without a lock, one thread empties the set
    another is flushing, and powertools refuses to publish an empty one."""
    provider = metrics.provider
    lock = threading.Lock()

    def locked(method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return call

    for name in ("add_metric", "flush_metrics"):
        monkeypatch.setattr(provider, name, locked(getattr(provider, name)))


class SerialisedDynamoDB:
    """Wraps a boto3 DynamoDB client: every call takes one lock; a thread's first call named in
    `meet_at` waits until `parties` threads have arrived there, so all of them have done their
    reads before any of them writes. Retries after that go straight through."""

    def __init__(self, client: Any, *, meet_at: set[str], parties: int) -> None:
        self._client = client
        self._meet_at = meet_at
        self._barrier = threading.Barrier(parties, timeout=30)
        self._lock = threading.Lock()
        self._arrived = threading.local()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            if name in self._meet_at and not getattr(self._arrived, "done", False):
                self._arrived.done = True
                self._barrier.wait()
            with self._lock:
                return target(*args, **kwargs)

        return call
