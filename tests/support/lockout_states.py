"""Every state the verification bookkeeping of a client can be in, and what the lock's writes
must do in each: the same table pins the DynamoDB conditions (tests/integration) and the fake
that stands in for them in unit tests (tests/unit)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from clients_api.errors import VerificationLocked
from clients_api.settings import Lockout

MAX_FAILURES = 5
LOCK_SECONDS = 900
LOCKOUT = Lockout(max_failures=MAX_FAILURES, lock_seconds=LOCK_SECONDS)
NOW = 2_000_000_000


def _reachable(failures: int | None, attempted_at: int | None, locked_until: int | None) -> bool:
    if failures is None:  # never verified
        return attempted_at is None and locked_until is None
    return locked_until is None or failures == MAX_FAILURES  # only a used-up budget starts a lock


# Failures counted, when the last attempt was (None: an item from before attempts were stamped),
# when the lock ends.
STATES = [
    state
    for state in itertools.product(
        [None, 0, 1, MAX_FAILURES - 1, MAX_FAILURES],
        [None, NOW - 10, NOW - LOCK_SECONDS + 1, NOW - LOCK_SECONDS, NOW - 10 * LOCK_SECONDS],
        [None, NOW + 10, NOW, NOW - 10],
    )
    if _reachable(*state)
]
# Each state once, its parts as a readable id.
STATE_IDS = [f"failures={f} attempted={a and a - NOW} locked_until={u and u - NOW}" for f, a, u in STATES]


def assert_writes_agree_with_lockout(
    verification: Any,
    read_client: Callable[[], Any],
    set_state: Callable[[int | None, int | None, int | None], None],
    state: tuple[int | None, int | None, int | None],
) -> None:
    """In `state`, counting an attempt and setting a password are refused exactly when Lockout
    says checking is locked; otherwise counting counts on, or afresh once the window is over."""
    failures, attempted_at, locked_until = state
    set_state(*state)
    twin = LOCKOUT.locked_until(read_client())
    locked = twin is not None and twin > NOW
    window_over = (locked_until is not None and locked_until <= NOW) or (
        locked_until is None and (attempted_at is None or attempted_at <= NOW - LOCK_SECONDS)
    )

    if locked:
        with pytest.raises(VerificationLocked):
            verification.count_attempt(read_client().client_id, now=NOW)
        with pytest.raises(VerificationLocked):
            verification.set_password(read_client(), "new-hash", now=NOW)
        return
    counted = verification.count_attempt(read_client().client_id, now=NOW)
    assert counted.verify_failures == (1 if window_over else (failures or 0) + 1)
    assert counted.verify_attempted_at == NOW
    assert counted.verify_locked_until is None
    set_state(*state)
    verification.set_password(read_client(), "new-hash", now=NOW)
