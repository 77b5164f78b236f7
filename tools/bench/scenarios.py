"""What each function is asked to do in the benchmark, and its baseline.

Each scenario sends the function's committed event from events/: the first request of every
process is that event exactly (a registration's with an email and phone of its own). Later
requests alternate with a second body so that every one of them really writes (a PATCH to the
value already stored writes nothing), and a registration never repeats an email or phone.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"

# The client the committed events name, and its password in them.
CLIENT_ID = "7febf16f-651b-43b0-a5e3-0da8da49e90d"
PASSWORD = "паучикапау-2024"  # noqa: S105 (a test fixture's password)
SESSIONS = 25  # more than events/list_sessions.json's limit of 20: a full page and a next cursor


@dataclass(frozen=True)
class Scenario:
    function: str  # logical id in template.yaml
    event: str  # events/<event>.json
    baseline: str  # module.handler in handlers/
    expect_status: int
    hashes_passwords: bool = False
    # The body every other request sends instead of the event's own.
    alternate_body: dict[str, Any] | None = None
    # Registration: a new email and phone for every request of a process (the store is reset
    # before each process).
    fresh_identity: bool = False

    @property
    def name(self) -> str:
        return self.event

    def events(self, count: int) -> list[dict[str, Any]]:
        """`count` events for requests 0, 1, 2, ...; a process sends events[n % len(events)]."""
        base = load_event(self.event)
        if self.fresh_identity:
            # An even count keeps request n and its played-back recording on the same alternate.
            return [_with_identity(base, serial) for serial in range(1, count + count % 2 + 1)]
        if self.alternate_body is None:
            return [base]
        alternate = copy.deepcopy(base)
        alternate["body"] = json.dumps(self.alternate_body, ensure_ascii=False)
        return [base, alternate]


def _with_identity(base: dict[str, Any], serial: int) -> dict[str, Any]:
    event = copy.deepcopy(base)
    body = json.loads(event["body"]) | {"email": f"bench-{serial}@mail.ru", "phone": f"+7909{serial:07d}"}
    event["body"] = json.dumps(body, ensure_ascii=False)
    return event


@cache
def _event_text(name: str) -> str:
    return (EVENTS / f"{name}.json").read_text(encoding="utf-8")


def load_event(name: str) -> dict[str, Any]:
    return json.loads(_event_text(name))


SCENARIOS = (
    Scenario("GetClientFunction", "get_client", "baseline.get_client", 200),
    Scenario("ListSessionsFunction", "list_sessions", "baseline.list_sessions", 200),
    Scenario(
        "UpdateClientFunction",
        "update_client",
        "baseline.update_profile",
        200,
        alternate_body={"first_name": "олег", "additional_info": "я люблю кошек"},
    ),
    Scenario(
        "UpdateFullNameFunction",
        "update_full_name",
        "baseline.update_profile",
        200,
        alternate_body={"first_name": "null", "last_name": "девичья"},
    ),
    Scenario(
        "UpdateAdditionalInfoFunction",
        "update_additional_info",
        "baseline.update_profile",
        200,
        alternate_body={"additional_info": "я снова люблю собак"},
    ),
    Scenario(
        "UpdatePhoneNumberFunction",
        "update_phone_number",
        "baseline.update_phone_number",
        200,
        alternate_body={"phone_number": "89092479997"},
    ),
    Scenario(
        "RegisterClientFunction",
        "register_client",
        "baseline_hashing.register_client",
        201,
        hashes_passwords=True,
        fresh_identity=True,
    ),
    Scenario("VerifyPasswordFunction", "verify_password", "baseline_hashing.verify_password", 200, True),
    Scenario(
        "UpdatePasswordFunction",
        "update_password",
        "baseline_hashing.update_password",
        200,
        hashes_passwords=True,
        alternate_body={"password": PASSWORD, "current_password": "паучикапау-2025"},
    ),
)

# The dependency floor, rung by rung, on top of baseline.get_client (handlers/floor_*.py).
FLOOR_RUNGS = (
    ("+ powertools Logger, Metrics", ("floor_powertools",)),
    ("+ REST resolver", ("floor_powertools", "floor_resolver")),
    ("+ X-Ray SDK, botocore patched", ("floor_powertools", "floor_resolver", "floor_tracer")),
    ("+ pydantic model", ("floor_powertools", "floor_resolver", "floor_tracer", "floor_pydantic")),
)
