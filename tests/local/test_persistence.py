"""The embedded DynamoDB keeps every acknowledged write across restarts, even after kill -9."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.local.harness import LocalServer

pytestmark = pytest.mark.slow

REGISTRATION = {
    "first_name": "Пётр",
    "last_name": "Сидоров",
    "email": "petr@example.com",
    "password": "паучикапау-2024",
    "phone": "89093334455",
}


def test_an_acknowledged_write_survives_kill_9_and_fresh_starts_empty(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with LocalServer(data) as first:
        created = first.call("POST", "/api/v1/clients", body=REGISTRATION)
        assert created.status == 201
        client_id = created.json()["client_id"]
        renamed = first.call("PATCH", f"/api/v1/clients/{client_id}/full_name", body={"first_name": "Павел"})
        assert renamed.status == 200
        first.kill()  # right after the 2xx: nothing gets a chance to flush or shut down

    with LocalServer(data) as second:
        profile = second.call("GET", f"/api/v1/clients/{client_id}")
        duplicate = second.call("POST", "/api/v1/clients", body=REGISTRATION)

    assert profile.status == 200
    assert profile.json()["first_name"] == "Павел"
    assert duplicate.json()["code"] == "email_taken"  # the uniqueness guards came back too

    with LocalServer(data, fresh=True) as fresh:
        assert fresh.call("GET", f"/api/v1/clients/{client_id}").status == 404
