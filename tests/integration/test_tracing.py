"""Traces as Lambda would send them: the tracer on, its documents caught where the X-Ray daemon
listens. The tracer is off everywhere else (tests, local runs), so these run in a subprocess
that looks like a Lambda execution environment."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

from tests.support.data import STRONG_PASSWORD, registration
from tests.support.template import ROOT

# One client's lifecycle: registration, a conflicting one, a wrong password, a profile read.
_INVOCATIONS = textwrap.dedent(
    """
    import json, sys
    import boto3
    from moto import mock_aws
    from tests.support import apigw
    from tests.support.template import create_table_kwargs
    from aws_xray_sdk.core import patcher

    body = json.loads(sys.argv[1])
    with mock_aws():
        ddb = boto3.client("dynamodb")
        ddb.create_table(**create_table_kwargs("ClientsTable", "clients-test"))
        client_id = apigw.call("POST", "/api/v1/clients", body=body).json()["client_id"]
        assert apigw.call("POST", "/api/v1/clients", body=body).status == 409
        verify = f"/api/v1/clients/{client_id}/password/verify"
        assert apigw.call("POST", verify, body={"password": "wrong-" + body["password"]}).status == 200
        assert apigw.call("GET", f"/api/v1/clients/{client_id}").status == 200
    print(json.dumps({"patched": sorted(patcher._PATCHED_MODULES)}))
    """
)


@pytest.fixture(scope="module")
def daemon():
    """A UDP socket where the X-Ray SDK sends its documents, as to the daemon on Lambda."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.5)
        yield sock


def received(sock: socket.socket) -> list[dict]:
    documents = []
    while True:
        try:
            datagram = sock.recv(65536).decode()
        except TimeoutError:
            return documents
        header, _, document = datagram.partition("\n")
        assert json.loads(header)["format"] == "json"
        documents.append(json.loads(document))


def subsegments(document: dict) -> list[dict]:
    found = [document]
    for child in document.get("subsegments", []):
        found += subsegments(child)
    return found


@pytest.fixture(scope="module")
def body():
    return registration(password=STRONG_PASSWORD, email="Trace.Me@mail.ru", phone="+79161112233", first_name="Трасса")


@pytest.fixture(scope="module")
def traced_run(daemon, body):
    host, port = daemon.getsockname()
    env = {
        **os.environ,
        # What Lambda sets: the tracer is on, the trace header names a sampled trace.
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_LAMBDA_FUNCTION_NAME": "clients-api-traced",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": f"{host}:{port}",
        "POWERTOOLS_TRACE_DISABLED": "false",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)]),
    }
    result = subprocess.run(  # noqa: S603 (this interpreter, our own script)
        [sys.executable, "-c", _INVOCATIONS, json.dumps(body, ensure_ascii=False)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return summary, received(daemon)


@pytest.mark.slow
def test_the_tracer_patches_botocore_and_nothing_else(traced_run):
    summary, _ = traced_run
    assert summary["patched"] == ["botocore"]


@pytest.mark.slow
def test_traces_show_each_handler_and_its_dynamodb_calls(traced_run):
    _, documents = traced_run
    entities = [entity for document in documents for entity in subsegments(document)]
    handlers = [e for e in entities if e["name"] == "## lambda_handler"]
    assert len(handlers) == 4
    assert all(set(h["annotations"]) == {"ColdStart", "Service"} for h in handlers)
    operations = {e["aws"]["operation"] for e in entities if e.get("namespace") == "aws" and "aws" in e}
    assert {"TransactWriteItems", "UpdateItem", "GetItem"} <= operations


@pytest.mark.slow
def test_traces_hold_no_personal_data_no_response_and_no_error_text(traced_run, body):
    _, documents = traced_run
    text = json.dumps(documents, ensure_ascii=False).lower()
    for value in (body["email"], body["phone"], body["password"], body["first_name"], "$argon2"):
        assert value.lower() not in text
    entities = [entity for document in documents for entity in subsegments(document)]
    assert not [e for e in entities if "metadata" in e]  # no response, no exception as metadata
