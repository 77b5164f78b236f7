"""Changing and verifying a client's password, with the verification lockout."""

from __future__ import annotations

import time

from clients_api import passwords
from clients_api.errors import ClientNotFound, VerificationLocked, WeakPassword, WrongPassword
from clients_api.models import PasswordChange, StoredClient
from clients_api.observability import Metric, count
from clients_api.repository import ClientRepository
from clients_api.settings import get_settings


def verify_password(client_id: str, password: str, repo: ClientRepository) -> bool:
    """Whether `password` is the client's. Every call counts against the lockout until a match
    resets it. Raises ClientNotFound or VerificationLocked."""
    _, matched = _checked_attempt(client_id, password, repo)
    return matched


def change_password(client_id: str, change: PasswordChange, repo: ClientRepository) -> None:
    """Set a new password. When `current_password` is given it must match (a mismatch counts as a
    failed verification). Refused while verification is locked, with or without it.
    Raises ClientNotFound, WrongPassword, VerificationLocked, WeakPassword."""
    lockout = _lockout()
    now = int(time.time())
    if change.current_password is None:
        client = repo.get(client_id)
        if client is None:
            raise ClientNotFound()
        # Fails fast before hashing; set_password checks the lock again in its write.
        locked_until = client.verification_locked_until(**lockout)
        if locked_until is not None and locked_until > now:
            raise VerificationLocked(locked_until - now)
    else:
        # No hash upgrade on this match: the new password's hash replaces it anyway.
        client, matched = _checked_attempt(client_id, change.current_password, repo, upgrade_old_hash=False)
        if not matched:
            raise WrongPassword()
    reason = passwords.policy_violation(change.password, client.email)
    if reason is not None:
        raise WeakPassword(reason)
    repo.set_password(client_id, passwords.hash_password(change.password), now=now, **lockout)
    count(Metric.PASSWORD_CHANGES)


def _lockout() -> dict[str, int]:
    settings = get_settings()
    return {"max_failures": settings.verify_max_failures, "lock_seconds": settings.verify_lock_seconds}


def _checked_attempt(
    client_id: str, password: str, repo: ClientRepository, *, upgrade_old_hash: bool = True
) -> tuple[StoredClient, bool]:
    lockout = _lockout()
    now = int(time.time())
    client = repo.reserve_verification_attempt(client_id, now=now, **lockout)
    if passwords.matches(client.password_hash, password):
        upgrade = upgrade_old_hash and passwords.needs_rehash(client.password_hash)
        repo.record_verification_match(client, passwords.hash_password(password) if upgrade else None)
        count(Metric.VERIFICATION_MATCHES)
        return client, True
    repo.record_verification_failure(
        client_id, locked_until=now + lockout["lock_seconds"], max_failures=lockout["max_failures"]
    )
    count(Metric.VERIFICATION_MISMATCHES)
    # The counter was taken before the check, one slot per attempt: exactly one attempt holds the
    # last slot, and its mismatch is the one that starts the lock.
    if client.verify_failures >= lockout["max_failures"]:
        count(Metric.LOCKOUTS)
    return client, False
