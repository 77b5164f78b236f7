"""The password use cases: checking a client's password and changing it, under the verification
lock. The hashing and the strength policy they apply are passwords.py's; the lock's rule is
settings.Lockout, and its writes are the verification repository's."""

from __future__ import annotations

import time

from clients_api import passwords, retries
from clients_api.errors import ConcurrentUpdate, WeakPassword, WrongPassword
from clients_api.models import PasswordChange, StoredClient
from clients_api.observability import Metric, count
from clients_api.preconditions import Precondition
from clients_api.profiles import read_client
from clients_api.repository import ClientRepository, VerificationRepository
from clients_api.settings import get_settings


def verify_password(client_id: str, password: str, verification: VerificationRepository) -> bool:
    """Whether `password` is the client's. Every call counts against the lock until a match
    resets it. Raises ClientNotFound or VerificationLocked."""
    _, matched = _counted_check(client_id, password, verification)
    return matched


def change_password(
    client_id: str,
    change: PasswordChange,
    clients: ClientRepository,
    verification: VerificationRepository,
    precondition: Precondition | None = None,
) -> int:
    """Set a new password; return the client's version after (its ETag). When `current_password`
    is given it must match (a mismatch counts as a failed verification). Refused while
    verification is locked, with or without it, and unless the client is at a version
    `precondition` (an If-Match) names. Raises ClientNotFound, PreconditionFailed, WrongPassword,
    VerificationLocked, WeakPassword."""
    now = int(time.time())
    if change.current_password is None:
        client = read_client(client_id, clients, precondition)
        # Fails fast, before hashing; set_password checks the lock again in its write.
        get_settings().lockout.refuse_while_locked(client, now)
    else:
        if precondition is not None:
            # Before the attempt is counted: a stale If-Match writes nothing, not even that.
            read_client(client_id, clients, precondition)
        # No hash upgrade on this match: the new password's hash replaces it anyway.
        client, matched = _counted_check(client_id, change.current_password, verification, upgrade_old_hash=False)
        if not matched:
            raise WrongPassword()
        if precondition is not None:  # the client the attempt was counted on may be newer
            precondition.check(client.version)
    reason = passwords.policy_violation(change.password, client.email)
    if reason is not None:
        raise WeakPassword(reason)
    password_hash = passwords.hash_password(change.password)

    def set_on(current: StoredClient) -> int:
        # Conditioned on the version just checked (and on the lock): a change in between is a
        # lost condition, and the client is read and checked again.
        verification.set_password(current, password_hash, now=now)
        return current.version + 1

    def set_on_reread_client() -> int:
        return set_on(read_client(client_id, clients, precondition))

    try:
        version = set_on(client)
    except ConcurrentUpdate:
        version = retries.on_conflict(set_on_reread_client)
    count(Metric.PASSWORD_CHANGES)
    return version


def _counted_check(
    client_id: str, password: str, verification: VerificationRepository, *, upgrade_old_hash: bool = True
) -> tuple[StoredClient, bool]:
    """Count the attempt, check the password, record the outcome: the client and whether it
    matched."""
    now = int(time.time())
    client = retries.on_conflict(lambda: verification.count_attempt(client_id, now=now))
    if passwords.matches(client.password_hash, password):
        upgrade = upgrade_old_hash and passwords.needs_rehash(client.password_hash)
        verification.record_match(client, passwords.hash_password(password) if upgrade else None)
        count(Metric.VERIFICATION_MATCHES)
        return client, True
    verification.record_mismatch(client_id, now=now)
    count(Metric.VERIFICATION_MISMATCHES)
    # The counter was taken before the check, one slot per attempt: exactly one attempt holds the
    # last slot, and its mismatch is the one that starts the lock.
    if client.verify_failures >= get_settings().lockout.max_failures:
        count(Metric.LOCKOUTS)
    return client, False
