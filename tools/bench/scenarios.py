"""What each function is asked to do in the benchmark, and its baseline.

Each scenario sends the function's committed event from events/: the first request of every
process is that event exactly (a registration's with an email and phone of its own, the
authorizer's with a real token). Later requests alternate with a second body so that every one
of them really writes (a PATCH to the value already stored writes nothing), a registration never
repeats an email or phone, and the authorizer's token changes from one request to the next.
A variant of a scenario (`name+variant`) runs the same function on other events: registration
with an Idempotency-Key shows what the idempotency check costs.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tools.local_api.issuer import LocalIssuer

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"

# The client the committed events name, and its password in them.
CLIENT_ID = "7febf16f-651b-43b0-a5e3-0da8da49e90d"
PASSWORD = "паучикапау-2024"  # noqa: S105 (a test fixture's password)
SESSIONS = 25  # more than events/list_sessions.json's limit of 20: a full page and a next cursor


@dataclass(frozen=True)
class Answer:
    """What a good answer holds: `value` at `path` (keys and list indexes) in what the handler
    returns. The child process checks every answer against it."""

    path: tuple[str | int, ...]
    value: object


def status(code: int) -> Answer:
    """An HTTP answer with this status code, as a function behind API Gateway gives it."""
    return Answer(("statusCode",), code)


# A Lambda authorizer answers a policy, not an HTTP response (a refusal is an exception).
ALLOWED = Answer(("policyDocument", "Statement", 0, "Effect"), "Allow")


@dataclass(frozen=True)
class Scenario:
    function: str  # logical id in template.yaml
    name: str  # the report's name for it; events/<name>.json unless `event` says otherwise
    baseline: str  # module.handler in handlers/
    expect: Answer
    hashes_passwords: bool = False
    # The body every other request sends instead of the event's own.
    alternate_body: dict[str, Any] | None = None
    # Registration: a new email and phone for every request of a process (the store is reset
    # before each process).
    fresh_identity: bool = False
    # ...and a new Idempotency-Key with each: every request registers (none is a replay).
    idempotency_key: bool = False
    event: str | None = None  # events/<event>.json
    # The authorizer: a token of the client's in the Authorization header, a new one per event.
    fresh_token: bool = False
    # False for a handler that calls no DynamoDB (the authorizer): nothing to play back, and its
    # library of record is PyJWT, not boto3.
    calls_dynamodb: bool = True

    def events(self, count: int, issuer: LocalIssuer) -> list[dict[str, Any]]:
        """`count` events for requests 0, 1, 2, ...; a process sends events[n % len(events)]."""
        base = load_event(self.event or self.name)
        if self.fresh_identity:
            # An even count keeps request n and its played-back recording on the same alternate.
            return [_with_identity(base, serial, self.idempotency_key) for serial in range(1, count + count % 2 + 1)]
        if self.fresh_token:
            return [_with_token(base, issuer.token(client_id=CLIENT_ID)) for _ in range(count)]
        if self.alternate_body is None:
            return [base]
        alternate = copy.deepcopy(base)
        alternate["body"] = json.dumps(self.alternate_body, ensure_ascii=False)
        return [base, alternate]


def _with_identity(base: dict[str, Any], serial: int, idempotency_key: bool) -> dict[str, Any]:
    event = copy.deepcopy(base)
    body = json.loads(event["body"]) | {"email": f"bench-{serial}@mail.ru", "phone": f"+7909{serial:07d}"}
    event["body"] = json.dumps(body, ensure_ascii=False)
    if idempotency_key:
        _set_header(event, "Idempotency-Key", str(uuid.UUID(int=serial, version=4)))
    return event


def _with_token(base: dict[str, Any], token: str) -> dict[str, Any]:
    event = copy.deepcopy(base)
    _set_header(event, "Authorization", f"Bearer {token}")
    return event


def _set_header(event: dict[str, Any], name: str, value: str) -> None:
    event["headers"][name] = value
    event["multiValueHeaders"][name] = [value]


@cache
def _event_text(name: str) -> str:
    return (EVENTS / f"{name}.json").read_text(encoding="utf-8")


def load_event(name: str) -> dict[str, Any]:
    return json.loads(_event_text(name))


SCENARIOS = (
    # The authorizer runs before the function on every request the gateway's cache does not answer.
    Scenario(
        "AuthorizerFunction",
        "authorize",
        "baseline_authorizer.authorize",
        ALLOWED,
        event="authorizer/get_client",
        fresh_token=True,
        calls_dynamodb=False,
    ),
    Scenario("GetClientFunction", "get_client", "baseline.get_client", status(200)),
    Scenario("ListSessionsFunction", "list_sessions", "baseline.list_sessions", status(200)),
    Scenario(
        "UpdateClientFunction",
        "update_client",
        "baseline.update_profile",
        status(200),
        alternate_body={"first_name": "олег", "additional_info": "я люблю кошек"},
    ),
    Scenario(
        "UpdateFullNameFunction",
        "update_full_name",
        "baseline.update_profile",
        status(200),
        alternate_body={"first_name": "null", "last_name": "девичья"},
    ),
    Scenario(
        "UpdateAdditionalInfoFunction",
        "update_additional_info",
        "baseline.update_profile",
        status(200),
        alternate_body={"additional_info": "я снова люблю собак"},
    ),
    Scenario(
        "UpdatePhoneNumberFunction",
        "update_phone_number",
        "baseline.update_phone_number",
        status(200),
        alternate_body={"phone_number": "89092479997"},
    ),
    Scenario("ClearPasswordLockFunction", "clear_password_lock", "baseline.clear_password_lock", status(204)),
    Scenario(
        "RegisterClientFunction",
        "register_client",
        "baseline_hashing.register_client",
        status(201),
        hashes_passwords=True,
        fresh_identity=True,
    ),
    Scenario(
        "RegisterClientFunction",
        "register_client+key",
        "baseline_hashing.register_client",
        status(201),
        hashes_passwords=True,
        fresh_identity=True,
        idempotency_key=True,
        event="register_client",
    ),
    Scenario("VerifyPasswordFunction", "verify_password", "baseline_hashing.verify_password", status(200), True),
    Scenario(
        "UpdatePasswordFunction",
        "update_password",
        "baseline_hashing.update_password",
        status(200),
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
