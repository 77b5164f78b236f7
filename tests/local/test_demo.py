"""`make demo` without `make run`: straight into any DynamoDB, as `sam local` users run one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.local.harness import ROOT, hermetic_env
from tools.local_api.store import EmbeddedDynamoDB

pytestmark = pytest.mark.slow


@pytest.fixture
def dynamodb(tmp_path: Path) -> Iterator[str]:
    """A DynamoDB that is not make run's (no run.json beside it): its endpoint."""
    store = EmbeddedDynamoDB(tmp_path / "dynamodb", fresh=True)
    try:
        yield store.endpoint
    finally:
        store.stop()


def demo(endpoint: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "-m", "tools.local_api", "demo", "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=hermetic_env() | {"AWS_ENDPOINT_URL_DYNAMODB": endpoint},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_demo_loads_into_any_dynamodb_and_prints_only_the_clients_id(dynamodb: str, tmp_path: Path) -> None:
    first = demo(dynamodb, tmp_path / "no-server")
    again = demo(dynamodb, tmp_path / "no-server")

    assert first.returncode == 0, first.stderr
    client_id = first.stdout.strip()
    assert again.stdout.strip() == client_id  # loading again is harmless
    ddb = boto3.client(
        "dynamodb", endpoint_url=dynamodb, region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    client = ddb.get_item(TableName="ClientsTable", Key={"client_id": {"S": client_id}})["Item"]
    assert client["password_hash"]["S"].startswith("$argon2id$")  # registered by the layer's own rules
    assert ddb.get_item(TableName="ClientsTable", Key={"client_id": {"S": "EMAIL#demo@example.com"}})["Item"]
    sessions = ddb.scan(TableName="SessionsTable")["Items"]
    assert len(sessions) == 6
    assert {s["client_id"]["S"] for s in sessions} == {client_id}


def test_without_make_run_or_a_dynamodb_the_demo_says_what_to_do(tmp_path: Path) -> None:
    done = demo("", tmp_path / "no-server")
    assert done.returncode == 1
    assert "start `make run`" in done.stderr
