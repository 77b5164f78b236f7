"""What each function loads at import, its cold start: argon2 only where passwords are hashed,
powertools' idempotency utility only where Idempotency-Key is read (registration), and none of
powertools' OpenAPI machinery (route metadata is plain data until tools/openapi asks)."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py") if p.parent.name != "authorize")
HASHING = {"register_client", "update_password", "verify_password"}
IDEMPOTENT = {"register_client"}
# Loaded by powertools' event handler whatever a route declares; schema generation loads the rest.
_OPENAPI = "aws_lambda_powertools.event_handler.openapi."
_OPENAPI_AT_IMPORT = {f"{_OPENAPI}{name}" for name in ("config", "constants", "exceptions", "merge", "types")}


@cache
def _loaded() -> dict[str, set[str]]:
    def probe(function: str) -> tuple[str, set[str]]:
        code = (
            f"import json, sys; sys.path[:0] = ['functions/{function}', 'layers/common']; import app; "
            "print(json.dumps(sorted(sys.modules)))"
        )
        done = subprocess.run(  # noqa: S603 (our own probe)
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return function, set(json.loads(done.stdout))

    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(probe, API_FUNCTIONS))


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_only_the_functions_that_hash_passwords_load_argon2(function):
    assert ("argon2" in _loaded()[function]) == (function in HASHING)


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_only_registration_loads_the_idempotency_utility(function):
    loaded = "aws_lambda_powertools.utilities.idempotency.persistence.dynamodb" in _loaded()[function]
    assert loaded == (function in IDEMPOTENT)


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_route_metadata_loads_no_openapi_machinery(function):
    openapi = {name for name in _loaded()[function] if name.startswith(_OPENAPI)}
    assert openapi <= _OPENAPI_AT_IMPORT
