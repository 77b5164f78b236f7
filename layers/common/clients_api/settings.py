"""Typed configuration, read from the environment once per container, and the one policy that is
nothing but configuration: the password verification lock."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from clients_api.access import AuthMode
from clients_api.errors import VerificationLocked

# Request bodies are capped (in bytes) well below API Gateway's 10 MB: our largest valid body (a
# full registration) is under 3 KiB even in 4-byte UTF-8. The WAF rule in template.yaml matches.
MAX_BODY_BYTES = 16 * 1024


class VerificationRecord(Protocol):
    """What the lock rule reads of a client (StoredClient has it)."""

    @property
    def verify_failures(self) -> int: ...
    @property
    def verify_attempted_at(self) -> int | None: ...
    @property
    def verify_locked_until(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Lockout:
    """The password verification lock (template parameters VerifyMaxFailures, VerifyLockSeconds).

    Each check of a password is counted before it is made. After `max_failures` counted attempts
    without a match, each within `lock_seconds` of the one before, checking is refused for
    `lock_seconds`. Failures older than that stop counting: a typo weeks later starts afresh.

    This is the rule in Python. repository/verification.py writes the same rule as DynamoDB
    conditions, so that it holds under parallel attempts; a test checks the two agree.
    """

    max_failures: int
    lock_seconds: int

    def locked_until(self, client: VerificationRecord) -> int | None:
        """When checking opens again for this client (epoch seconds), or None when it is open.

        A budget used up by attempts whose outcome never came (still being checked, or the
        request died before writing it) locks for a whole lock from the last of them, not for ever.
        """
        if client.verify_locked_until is not None:
            return client.verify_locked_until
        if client.verify_failures >= self.max_failures:
            return (client.verify_attempted_at or 0) + self.lock_seconds
        return None

    def refuse_while_locked(self, client: VerificationRecord, now: int) -> None:
        """Raise VerificationLocked, with the seconds left, while checking is locked."""
        until = self.locked_until(client)
        if until is not None and until > now:
            raise VerificationLocked(until - now)

    def stale_before(self, now: int) -> int:
        """An attempt at or before this time no longer counts towards a lock."""
        return now - self.lock_seconds


@dataclass(frozen=True, slots=True)
class Settings:
    clients_table: str
    sessions_table: str
    # Where an erasure leaves its record (client id and time), apart from the clients table.
    erasures_table: str
    lockout: Lockout
    # Who authenticates callers (template parameter AuthMode); unset means the strictest.
    auth_mode: AuthMode = AuthMode.JWT
    # Registration without any caller (template parameter OpenRegistration).
    open_registration: bool = False
    # Every change (PATCH, DELETE) must send If-Match (template parameter RequireIfMatch).
    require_if_match: bool = False
    # The browser origin allowed to read our answers (template parameter CorsAllowOrigin).
    cors_allow_origin: str = "*"
    # Registration's Idempotency-Key records (template: IdempotencyTable, set on the registration
    # function only), and how long a key's first answer is replayed (parameter IdempotencyHours).
    idempotency_table: str = ""
    idempotency_hours: int = 24
    # How many times in all the domain reads and applies a change whose conditional write keeps
    # losing to other writers (retries.py), before the caller gets a 503 with Retry-After.
    conflict_rounds: int = 3
    # A status-filtered sessions page keeps reading until it holds `limit` sessions or the list
    # ends, for at most this many DynamoDB reads (each of up to `limit` sessions, under 1 MB):
    # a bound on one request's work and latency whatever the filter leaves.
    session_reads_per_page: int = 5


@cache
def get_settings() -> Settings:
    """The settings of this container; a missing table name fails the first request loudly."""
    env = os.environ
    return Settings(
        clients_table=env["CLIENTS_TABLE"],
        sessions_table=env["SESSIONS_TABLE"],
        erasures_table=env["ERASURES_TABLE"],
        lockout=Lockout(
            max_failures=int(env.get("VERIFY_MAX_FAILURES", "5")),
            lock_seconds=int(env.get("VERIFY_LOCK_SECONDS", "900")),
        ),
        auth_mode=AuthMode(env.get("AUTH_MODE") or AuthMode.JWT),
        open_registration=env.get("OPEN_REGISTRATION", "false") == "true",
        require_if_match=env.get("REQUIRE_IF_MATCH", "false") == "true",
        cors_allow_origin=env.get("CORS_ALLOW_ORIGIN") or "*",
        idempotency_table=env.get("IDEMPOTENCY_TABLE", ""),
        idempotency_hours=int(env.get("IDEMPOTENCY_HOURS", "24")),
    )
