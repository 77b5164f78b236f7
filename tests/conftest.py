"""Shared fixtures: environment, moto DynamoDB with the template's own tables, an API client."""

from __future__ import annotations

import os

# Before anything imports boto3 or the layer: fake credentials, our table names, no tracing.
os.environ.update(
    AWS_DEFAULT_REGION="eu-central-1",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_ENDPOINT_URL_DYNAMODB="",
    CLIENTS_TABLE="clients-test",
    SESSIONS_TABLE="sessions-test",
    IDEMPOTENCY_TABLE="idempotency-test",
    ERASURES_TABLE="erasures-test",
    POWERTOOLS_SERVICE_NAME="clients-api",
    POWERTOOLS_METRICS_NAMESPACE="ClientsApi",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="INFO",
    VERIFY_MAX_FAILURES="5",
    VERIFY_LOCK_SECONDS="900",
    AUTH_MODE="jwt",
)
for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(name, None)

import io  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from typing import Any  # noqa: E402

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from clients_api import credentials  # noqa: E402
from clients_api.observability import logger  # noqa: E402
from clients_api.settings import get_settings  # noqa: E402
from tests.support import apigw  # noqa: E402
from tests.support.clock import Clock  # noqa: E402
from tests.support.data import STRONG_PASSWORD  # noqa: E402
from tests.support.store import Store  # noqa: E402
from tests.support.template import create_table_kwargs  # noqa: E402


@pytest.fixture
def ddb() -> Iterator[Any]:
    """moto's DynamoDB with the template's tables exactly as it defines them."""
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(**create_table_kwargs("ClientsTable", os.environ["CLIENTS_TABLE"]))
        client.create_table(**create_table_kwargs("SessionsTable", os.environ["SESSIONS_TABLE"]))
        client.create_table(**create_table_kwargs("IdempotencyTable", os.environ["IDEMPOTENCY_TABLE"]))
        client.create_table(**create_table_kwargs("ErasuresTable", os.environ["ERASURES_TABLE"]))
        yield client


@pytest.fixture
def store(ddb: Any) -> Store:
    return Store(ddb)


@pytest.fixture
def api(ddb: Any) -> Any:
    """`api.call(method, path, body=..., query=..., headers=..., raw_body=...)` through the handlers."""
    return apigw


@pytest.fixture
def settings_from(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """`settings_from(AUTH_MODE="iam", ...)`: the functions' settings from these variables, for
    this test, as the template would set them."""

    def apply(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield apply
    get_settings.cache_clear()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The time the verification lockout goes by, moved with `clock.advance(seconds)`."""
    clock = Clock()
    monkeypatch.setattr(credentials, "time", clock)
    return clock


@pytest.fixture(autouse=True)
def captured_logs() -> Iterator[io.StringIO]:
    """Every test's log output, checked afterwards: no personal data or secrets, and every
    line carries the request's correlation id."""
    buffer = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)
    for line in buffer.getvalue().splitlines():
        record = json.loads(line)
        assert record.get("correlation_id"), f"log line without correlation id: {line}"
        for pattern in _NEVER_LOGGED:
            assert not pattern.search(line), f"personal data or a secret in a log line: {line}"


_NEVER_LOGGED = (
    re.compile(r"\$argon2"),
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    re.compile(r"\+7\d{10}"),
    re.compile(re.escape(STRONG_PASSWORD)),
)


@pytest.fixture
def log_output(captured_logs: io.StringIO) -> io.StringIO:
    """What the layer's logger wrote during this test."""
    return captured_logs
