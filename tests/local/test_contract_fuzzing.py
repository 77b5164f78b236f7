"""Contract fuzzing: schemathesis generates requests (valid and invalid) for every operation of
the committed OpenAPI document and sends them to the local server over HTTP. No answer may be a
5xx, and every answer must match the documented status codes, content types and schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.local.harness import ROOT, LocalServer

pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_dict(json.loads((ROOT / "openapi.json").read_text()))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(tmp_path_factory.mktemp("fuzz") / "data") as running:
        yield running


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_within_its_contract(case, server: LocalServer) -> None:
    # As a service, which may call everything: the access rules have tests of their own.
    token = server.issuer.token(service=True)
    case.call_and_validate(
        base_url=f"http://127.0.0.1:{server.port}",
        checks=CHECKS,
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
    )
