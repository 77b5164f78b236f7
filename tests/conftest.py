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
    POWERTOOLS_SERVICE_NAME="clients-api",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="INFO",
    VERIFY_MAX_FAILURES="5",
    VERIFY_LOCK_SECONDS="900",
)
for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(name, None)

import io  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from clients_api.observability import logger  # noqa: E402
from tests.support import apigw  # noqa: E402
from tests.support.store import Store  # noqa: E402
from tests.support.template import create_table_kwargs  # noqa: E402


@pytest.fixture
def ddb() -> Iterator[Any]:
    """moto's DynamoDB with the clients and sessions tables exactly as template.yaml defines them."""
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(**create_table_kwargs("ClientsTable", os.environ["CLIENTS_TABLE"]))
        client.create_table(**create_table_kwargs("SessionsTable", os.environ["SESSIONS_TABLE"]))
        yield client


@pytest.fixture
def store(ddb: Any) -> Store:
    return Store(ddb)


@pytest.fixture
def api(ddb: Any) -> Any:
    """`api.call(method, path, body=..., query=..., headers=..., raw_body=...)` through the handlers."""
    return apigw


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything the layer's powertools Logger writes during the test."""
    buffer = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)
