"""Contract fuzzing: schemathesis generates requests (valid and invalid) for every operation of
the committed OpenAPI document and sends them to the local server over HTTP, with every check it
has: no 5xx; answers that match the documented statuses, content types, headers and schemas;
schema-valid requests accepted and schema-invalid ones refused; an undeclared method a 405 with
`Allow`; no operation usable without a token."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, settings
from pydantic import TypeAdapter, ValidationError
from schemathesis.checks import CHECKS

from clients_api import fields, passwords
from tests.local.harness import ROOT, LocalServer

pytestmark = pytest.mark.slow

# The undeclared methods tried on each path: schemathesis' own list but TRACE and QUERY. API Gateway
# cannot route those to a function (a REST API's methods are DELETE, GET, HEAD, OPTIONS, PATCH, POST
# and PUT), so no 405 function can answer them: the gateway answers them itself, and make run as it
# answers an unknown route, a 404 `not_found`.
CONFIG = schemathesis.Config.from_dict(
    {"phases": {"coverage": {"unexpected-methods": ["get", "put", "post", "delete", "patch", "options"]}}}
)
schema = schemathesis.openapi.from_dict(json.loads((ROOT / "openapi.json").read_text()), config=CONFIG)
EVERY_CHECK = CHECKS.get_all()
_EMAIL = TypeAdapter(fields.Email)
_PHONE = TypeAdapter(fields.Phone)
_PHONE_PATTERN = re.compile(_PHONE.json_schema()["pattern"])
# The operations that set a password, and so apply the strength policy.
NEW_PASSWORDS = frozenset({"registerClient", "updatePassword"})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(tmp_path_factory.mktemp("fuzz") / "data") as running:
        yield running


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_within_its_contract(case, server: LocalServer) -> None:
    if case.meta is not None and case.meta.generation.mode.is_negative:
        assume(not _a_phone_the_pattern_leaves_out(case))
    elif case.meta is not None:
        assume(not _breaks_a_rule_no_schema_states(case.operation.definition.raw["operationId"], case))
    # As a service, which may call everything: the access rules have tests of their own.
    token = server.issuer.token(service=True)
    case.call_and_validate(
        base_url=f"http://127.0.0.1:{server.port}",
        checks=EVERY_CHECK,
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
    )


def _breaks_a_rule_no_schema_states(operation: str, case: Any) -> bool:
    """Whether a value the document allows breaks one of the rules its descriptions state in words
    only, because JSON Schema cannot say them; the API's 422 for such a value is right."""
    body = case.body if isinstance(case.body, dict) else {}
    email = body.get("email")
    normalised_email = _normalised_email(email) if isinstance(email, str) else None
    return (
        # What the email library checks beyond the format, and the scripts of a local part.
        (isinstance(email, str) and normalised_email is None)
        # A 19,640-entry denylist, NFKC, and a rule across two fields.
        or (operation in NEW_PASSWORDS and _weak_password(body.get("password"), normalised_email))
        # The schema cannot know today's date.
        or _in_the_future(body.get("birthday"))
        # A cursor is a position the server issued for one client's list (X-Next-Cursor); anything
        # else, all that can be generated for a client with no sessions, is refused.
        or (operation == "listSessions" and (case.query or {}).get("cursor") is not None)
    )


def _a_phone_the_pattern_leaves_out(case: Any) -> bool:
    """Whether a value outside the phone pattern, which names the contract's forms only, is a number
    the API accepts all the same: libphonenumber reads far more ("+7 (918) 456-39-79*" too), as the
    document says in words."""
    body = case.body if isinstance(case.body, dict) else {}
    numbers = [body.get(name) for name in ("phone", "phone_number")]
    return any(
        isinstance(number, str) and not _PHONE_PATTERN.search(number) and _accepted(_PHONE, number)
        for number in numbers
    )


def _accepted(adapter: TypeAdapter[Any], value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def _normalised_email(email: str) -> str | None:
    try:
        return _EMAIL.validate_python(email)
    except ValidationError:
        return None


def _weak_password(password: object, email: str | None) -> bool:
    if not isinstance(password, str):
        return False
    short_once_normalised = len(unicodedata.normalize("NFKC", password)) < 8
    return short_once_normalised or passwords.policy_violation(password, email) is not None


def _in_the_future(birthday: object) -> bool:
    try:
        return isinstance(birthday, str) and date.fromisoformat(birthday) > datetime.now(UTC).date()
    except ValueError:
        return False
