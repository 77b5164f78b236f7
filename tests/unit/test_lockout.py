"""The verification lock: its rule (settings.Lockout), and the domain applying it (credentials.py)
against in-memory repositories. The DynamoDB side is tests/integration/test_passwords.py."""

from __future__ import annotations

import pytest

from clients_api import credentials, passwords
from clients_api.errors import ConcurrentUpdate, VerificationLocked, WrongPassword
from clients_api.models import PasswordChange, StoredClient
from tests.support.fakes import PASSWORD, FakeClients, FakeVerification, stored_client
from tests.support.lockout_states import (
    LOCK_SECONDS,
    LOCKOUT,
    MAX_FAILURES,
    NOW,
    STATE_IDS,
    STATES,
    assert_writes_agree_with_lockout,
)


@pytest.fixture
def client() -> StoredClient:
    return stored_client()


@pytest.fixture
def clients(client: StoredClient) -> FakeClients:
    return FakeClients(client)


@pytest.fixture
def verification(clients: FakeClients) -> FakeVerification:
    return FakeVerification(clients, LOCKOUT)


def mismatch(client: StoredClient, verification: FakeVerification) -> bool:
    return credentials.verify_password(client.client_id, "wrong-password", verification)


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize("state", STATES, ids=STATE_IDS)
def test_the_fake_writes_agree_with_lockout_on_every_state(clients, verification, client, state):
    def set_state(failures, attempted_at, locked_until):
        clients.clients[client.client_id] = client.model_copy(
            update={
                "verify_failures": failures or 0,
                "verify_attempted_at": attempted_at,
                "verify_locked_until": locked_until,
            }
        )

    assert_writes_agree_with_lockout(verification, lambda: clients.get(client.client_id), set_state, state)


def test_no_lock_while_the_budget_lasts(client):
    counted = client.model_copy(update={"verify_failures": MAX_FAILURES - 1, "verify_attempted_at": NOW})

    assert LOCKOUT.locked_until(counted) is None


def test_a_budget_used_up_without_outcomes_locks_for_one_lock_from_the_last_attempt(client):
    used_up = client.model_copy(update={"verify_failures": MAX_FAILURES, "verify_attempted_at": NOW})

    assert LOCKOUT.locked_until(used_up) == NOW + LOCK_SECONDS
    with pytest.raises(VerificationLocked) as locked:
        LOCKOUT.refuse_while_locked(used_up, NOW + 10)
    assert locked.value.retry_after_seconds == LOCK_SECONDS - 10
    LOCKOUT.refuse_while_locked(used_up, NOW + LOCK_SECONDS)  # open again


# ---------------------------------------------------------------- the domain


def test_the_attempt_after_max_failures_in_a_row_is_refused_for_the_lock_seconds(client, verification, clock):
    for _ in range(MAX_FAILURES):
        assert mismatch(client, verification) is False

    with pytest.raises(VerificationLocked) as locked:
        credentials.verify_password(client.client_id, PASSWORD, verification)
    assert locked.value.retry_after_seconds == LOCK_SECONDS

    clock.advance(LOCK_SECONDS)
    assert credentials.verify_password(client.client_id, PASSWORD, verification) is True


def test_a_match_resets_the_count(client, verification, clients):
    for _ in range(MAX_FAILURES - 1):
        mismatch(client, verification)

    assert credentials.verify_password(client.client_id, PASSWORD, verification) is True
    assert clients.get(client.client_id).verify_failures == 0


def test_mismatches_a_lock_apart_stop_counting(client, verification, clients, clock):
    for _ in range(MAX_FAILURES - 1):
        mismatch(client, verification)
    clock.advance(LOCK_SECONDS)  # the client comes back later and mistypes

    mismatch(client, verification)

    assert clients.get(client.client_id).verify_failures == 1


def test_a_wrong_current_password_counts_a_failure_and_keeps_the_hash(client, verification, clients):
    change = PasswordChange(password="новый-пароль-2025", current_password="wrong-password")

    with pytest.raises(WrongPassword):
        credentials.change_password(client.client_id, change, clients, verification)

    stored = clients.get(client.client_id)
    assert (stored.verify_failures, stored.password_hash) == (1, client.password_hash)


def test_a_change_while_locked_is_refused_before_any_hashing(client, verification, clients, monkeypatch):
    for _ in range(MAX_FAILURES):
        mismatch(client, verification)
    hashed = []
    monkeypatch.setattr(passwords, "hash_password", hashed.append)
    change = PasswordChange(password="новый-пароль-2025")

    with pytest.raises(VerificationLocked):
        credentials.change_password(client.client_id, change, clients, verification)
    assert hashed == []


def test_an_attempt_that_loses_the_race_for_a_new_window_counts_into_the_winners(client, verification, monkeypatch):
    count_attempt = verification.count_attempt
    lost = []

    def lose_once(client_id, *, now):
        if not lost:
            lost.append(now)
            raise ConcurrentUpdate()  # another attempt started the new window first
        return count_attempt(client_id, now=now)

    monkeypatch.setattr(verification, "count_attempt", lose_once)

    assert credentials.verify_password(client.client_id, PASSWORD, verification) is True
    assert len(lost) == 1
