"""Typed configuration, read from the environment once per container."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from clients_api.access import AuthMode

# Request bodies are capped (in bytes) well below API Gateway's 10 MB: our largest valid body (a
# full registration) is under 3 KiB even in 4-byte UTF-8. The WAF rule in template.yaml matches.
MAX_BODY_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class Settings:
    clients_table: str
    sessions_table: str
    # Password verification lockout: after this many consecutive mismatches...
    verify_max_failures: int
    # ...verification is refused for this many seconds.
    verify_lock_seconds: int
    # Who authenticates callers (template parameter AuthMode); unset means the strictest.
    auth_mode: AuthMode = AuthMode.JWT
    # Registration without any caller (template parameter OpenRegistration).
    open_registration: bool = False
    # The browser origin allowed to read our answers (template parameter CorsAllowOrigin).
    cors_allow_origin: str = "*"
    # Sent as Retry-After when DynamoDB throttles or cannot be reached.
    unavailable_retry_after_seconds: int = 1


@cache
def get_settings() -> Settings:
    """The settings of this container; a missing table name fails the first request loudly."""
    env = os.environ
    return Settings(
        clients_table=env["CLIENTS_TABLE"],
        sessions_table=env["SESSIONS_TABLE"],
        verify_max_failures=int(env.get("VERIFY_MAX_FAILURES", "5")),
        verify_lock_seconds=int(env.get("VERIFY_LOCK_SECONDS", "900")),
        auth_mode=AuthMode(env.get("AUTH_MODE") or AuthMode.JWT),
        open_registration=env.get("OPEN_REGISTRATION", "false") == "true",
        cors_allow_origin=env.get("CORS_ALLOW_ORIGIN") or "*",
    )
