"""PATCH /password and POST /password/verify, with the verification lockout."""

from __future__ import annotations

import uuid

import pytest
from argon2 import PasswordHasher

from clients_api.repository import client_repository, verification_repository
from tests.support.data import STRONG_PASSWORD, registration
from tests.support.lockout_states import (
    LOCK_SECONDS,
    MAX_FAILURES,
    STATE_IDS,
    STATES,
    assert_writes_agree_with_lockout,
)


@pytest.fixture
def client_id(api):
    return api.call("POST", "/api/v1/clients", body=registration()).json()["client_id"]


def verify(api, client_id, password):
    return api.call("POST", f"/api/v1/clients/{client_id}/password/verify", body={"password": password})


def change(api, client_id, **body):
    return api.call("PATCH", f"/api/v1/clients/{client_id}/password", body=body)


def lock_then_let_the_lock_expire(api, store, client_id):
    for _ in range(MAX_FAILURES):
        verify(api, client_id, "wrong")
    # The lock's time passes.
    store.ddb.update_item(
        TableName=store.clients_table,
        Key={"client_id": {"S": client_id}},
        UpdateExpression="SET verify_locked_until = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )


def test_verify_answers_match_true_for_the_password(api, client_id):
    response = verify(api, client_id, STRONG_PASSWORD)
    assert response.status == 200
    assert response.json() == {"match": True}


def test_verify_answers_match_false_for_another_password(api, client_id):
    response = verify(api, client_id, "wrong")
    assert response.status == 200
    assert response.json() == {"match": False}


def test_verify_matches_the_nfkc_form(api):
    client_id = api.call("POST", "/api/v1/clients", body=registration(password="ﬁﬁ-secret-42")).json()["client_id"]
    assert verify(api, client_id, "fifi-secret-42").json() == {"match": True}


def test_verify_does_not_apply_the_strength_policy(api, client_id):
    assert verify(api, client_id, "1").json() == {"match": False}


@pytest.mark.parametrize("password", ["", "x" * 129])
def test_verify_password_outside_1_to_128_characters_is_422(api, store, client_id, password):
    before = store.snapshot()
    response = verify(api, client_id, password)
    assert response.status == 422
    assert store.snapshot() == before


def test_verify_counts_the_128_characters_as_sent_not_after_nfkc(api, client_id):
    ligatures = "\ufb03" * 128  # "ﬃ": one character as sent, three after NFKC

    assert verify(api, client_id, ligatures).json() == {"match": False}
    response = change(api, client_id, password="новый-пароль-2025", current_password=ligatures)
    assert response.status == 403


@pytest.mark.parametrize(
    "password",
    ["e\u0301" * 64, "\ufb03" * 128, "ｐａｓｓ－ｗｏｒｄ－２０２４", "\u1100\u1161" * 64],
    ids=["combining accents", "ligatures", "fullwidth", "conjoining jamo"],
)
def test_a_password_accepted_verifies_when_sent_back_exactly_as_typed(api, password):
    client_id = api.call("POST", "/api/v1/clients", body=registration(password=password)).json()["client_id"]

    assert verify(api, client_id, password).json() == {"match": True}
    assert change(api, client_id, password="новый-пароль-2025", current_password=password).status == 200
    assert change(api, client_id, password=password).status == 200
    assert verify(api, client_id, password).json() == {"match": True}


def test_verify_on_unknown_client_is_404_and_creates_nothing(api, store):
    before = store.snapshot()
    assert verify(api, str(uuid.uuid4()), "whatever").status == 404
    assert store.snapshot() == before


def test_five_mismatches_lock_verification_with_retry_after(api, store, client_id):
    for _ in range(MAX_FAILURES):
        assert verify(api, client_id, "wrong").json() == {"match": False}

    locked = verify(api, client_id, STRONG_PASSWORD)

    assert locked.status == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert 0 < int(locked.headers["retry-after"]) <= LOCK_SECONDS
    assert store.client(client_id)["verify_failures"] == MAX_FAILURES


def test_a_match_resets_the_counter(api, client_id):
    for _ in range(MAX_FAILURES - 1):
        verify(api, client_id, "wrong")
    assert verify(api, client_id, STRONG_PASSWORD).json() == {"match": True}

    for _ in range(MAX_FAILURES - 1):
        assert verify(api, client_id, "wrong").status == 200
    assert verify(api, client_id, STRONG_PASSWORD).json() == {"match": True}


def test_an_expired_lock_opens_a_new_window(api, store, client_id):
    lock_then_let_the_lock_expire(api, store, client_id)

    assert verify(api, client_id, "wrong").json() == {"match": False}
    assert store.client(client_id)["verify_failures"] == 1
    assert verify(api, client_id, STRONG_PASSWORD).json() == {"match": True}


def test_failures_older_than_the_lock_window_stop_counting(api, store, client_id, clock):
    for _ in range(MAX_FAILURES - 1):
        verify(api, client_id, "wrong")
    clock.advance(LOCK_SECONDS)  # or weeks: the client comes back and mistypes

    assert verify(api, client_id, "wrong").json() == {"match": False}
    assert store.client(client_id)["verify_failures"] == 1
    for _ in range(MAX_FAILURES - 2):
        assert verify(api, client_id, "wrong").status == 200
    assert verify(api, client_id, STRONG_PASSWORD).json() == {"match": True}


def test_a_wrong_current_password_after_the_window_counts_as_the_first_failure(api, store, client_id, clock):
    for _ in range(MAX_FAILURES - 1):
        verify(api, client_id, "wrong")
    clock.advance(LOCK_SECONDS)

    assert change(api, client_id, password="новый-пароль-2025", current_password="wrong").status == 403
    assert store.client(client_id)["verify_failures"] == 1


def test_failures_keep_counting_while_each_follows_the_last_within_the_window(api, store, client_id, clock):
    for _ in range(MAX_FAILURES):
        assert verify(api, client_id, "wrong").json() == {"match": False}
        clock.advance(LOCK_SECONDS - 1)

    locked = verify(api, client_id, STRONG_PASSWORD)

    assert locked.status == 429
    assert int(locked.headers["retry-after"]) == 1  # the lock started with the fifth failure


def set_state(store, client_id, failures, attempted_at, locked_until):
    key = {"client_id": {"S": client_id}}
    forget = "REMOVE verify_failures, verify_attempted_at, verify_locked_until"
    store.ddb.update_item(TableName=store.clients_table, Key=key, UpdateExpression=forget)
    values = {"verify_failures": failures, "verify_attempted_at": attempted_at, "verify_locked_until": locked_until}
    present = {name: value for name, value in values.items() if value is not None}
    if present:
        store.ddb.update_item(
            TableName=store.clients_table,
            Key=key,
            UpdateExpression="SET " + ", ".join(f"{name} = :{name}" for name in present),
            ExpressionAttributeValues={f":{name}": {"N": str(value)} for name, value in present.items()},
        )


@pytest.mark.parametrize("state", STATES, ids=STATE_IDS)
def test_the_python_twin_and_the_conditional_writes_agree_on_every_state(store, client_id, state):
    assert_writes_agree_with_lockout(
        verification_repository(),
        lambda: client_repository().get(client_id),
        lambda *values: set_state(store, client_id, *values),
        state,
    )


def store_a_hash_with_older_parameters(store, client_id):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(STRONG_PASSWORD)
    store.ddb.update_item(
        TableName=store.clients_table,
        Key={"client_id": {"S": client_id}},
        UpdateExpression="SET password_hash = :h",
        ExpressionAttributeValues={":h": {"S": weak}},
    )
    return weak


def test_a_hash_with_older_parameters_is_upgraded_on_a_match(api, store, client_id):
    weak = store_a_hash_with_older_parameters(store, client_id)

    assert verify(api, client_id, STRONG_PASSWORD).json() == {"match": True}

    upgraded = store.client(client_id)["password_hash"]
    assert upgraded != weak
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify(api, client_id, STRONG_PASSWORD).json() == {"match": True}


def crash_before_the_outcome_is_written(monkeypatch):
    """The request dies between counting its attempt and writing its outcome (a Lambda timeout,
    out of memory, an outage)."""

    def die(*_args, **_kwargs):
        raise RuntimeError("the execution environment went away")

    monkeypatch.setattr(verification_repository(), "record_mismatch", die)


def attempts_long_ago(store, client_id):
    store.ddb.update_item(
        TableName=store.clients_table,
        Key={"client_id": {"S": client_id}},
        UpdateExpression="SET verify_attempted_at = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )


def test_a_budget_used_up_by_attempts_that_never_reported_locks_for_one_lock_not_for_ever(
    api, store, client_id, monkeypatch
):
    for _ in range(MAX_FAILURES - 1):
        verify(api, client_id, "wrong")
    with monkeypatch.context() as patched:
        crash_before_the_outcome_is_written(patched)
        assert verify(api, client_id, "wrong").status == 500
    assert "verify_locked_until" not in store.client(client_id)

    locked = verify(api, client_id, STRONG_PASSWORD)
    assert locked.status == 429
    assert LOCK_SECONDS - 5 <= int(locked.headers["retry-after"]) <= LOCK_SECONDS
    assert change(api, client_id, password="новый-пароль-2025").status == 429

    attempts_long_ago(store, client_id)  # the lock's time passes
    assert verify(api, client_id, STRONG_PASSWORD).json() == {"match": True}
    assert store.client(client_id)["verify_failures"] == 0


def test_a_change_without_current_password_opens_a_budget_stuck_long_ago(api, store, client_id, monkeypatch):
    for _ in range(MAX_FAILURES - 1):
        verify(api, client_id, "wrong")
    with monkeypatch.context() as patched:
        crash_before_the_outcome_is_written(patched)
        verify(api, client_id, "wrong")
    attempts_long_ago(store, client_id)

    assert change(api, client_id, password="новый-пароль-2025").status == 200
    assert verify(api, client_id, "новый-пароль-2025").json() == {"match": True}


def test_changing_with_the_current_password_does_not_also_upgrade_the_old_hash(api, store, client_id, monkeypatch):
    store_a_hash_with_older_parameters(store, client_id)
    upgrades = []
    repo = verification_repository()
    record_match = repo.record_match
    monkeypatch.setattr(repo, "record_match", lambda client, new: upgrades.append(new) or record_match(client, new))

    assert change(api, client_id, password="новый-пароль-2025", current_password=STRONG_PASSWORD).status == 200

    assert upgrades == [None]
    assert verify(api, client_id, "новый-пароль-2025").json() == {"match": True}


def test_change_without_current_password_sets_the_new_one(api, store, client_id):
    response = change(api, client_id, password="новый-пароль-2025")

    assert response.status == 200
    assert response.json() == {"client_id": client_id}
    assert verify(api, client_id, "новый-пароль-2025").json() == {"match": True}
    assert verify(api, client_id, STRONG_PASSWORD).json() == {"match": False}


def test_change_with_the_right_current_password(api, client_id):
    response = change(api, client_id, password="новый-пароль-2025", current_password=STRONG_PASSWORD)
    assert response.status == 200
    assert verify(api, client_id, "новый-пароль-2025").json() == {"match": True}


def test_change_with_a_wrong_current_password_is_403_counts_a_failure_and_keeps_the_hash(api, store, client_id):
    hash_before = store.client(client_id)["password_hash"]

    response = change(api, client_id, password="новый-пароль-2025", current_password="wrong")

    assert response.status == 403
    assert response.json()["code"] == "wrong_password"
    item = store.client(client_id)
    assert item["password_hash"] == hash_before
    assert item["verify_failures"] == 1


@pytest.mark.parametrize("current", [{"current_password": STRONG_PASSWORD}, {}], ids=["right current", "no current"])
def test_change_while_locked_is_429_with_or_without_the_current_password(api, store, client_id, current):
    for _ in range(MAX_FAILURES):
        verify(api, client_id, "wrong")
    before = store.snapshot()

    response = change(api, client_id, password="новый-пароль-2025", **current)

    assert response.status == 429
    assert 0 < int(response.headers["retry-after"]) <= LOCK_SECONDS
    assert store.snapshot() == before
    assert verify(api, client_id, STRONG_PASSWORD).status == 429


def test_a_lock_that_starts_after_the_read_still_refuses_the_change(api, store, client_id, monkeypatch):
    repo = client_repository()
    unlocked = repo.get(client_id)
    for _ in range(MAX_FAILURES):
        verify(api, client_id, "wrong")
    monkeypatch.setattr(repo, "get", lambda _: unlocked)  # read before the lock, written after it
    hash_before = store.client(client_id)["password_hash"]

    response = change(api, client_id, password="новый-пароль-2025")

    assert response.status == 429
    assert 0 < int(response.headers["retry-after"]) <= LOCK_SECONDS
    assert store.client(client_id)["password_hash"] == hash_before


def test_change_without_current_password_after_the_lock_expired_resets_it(api, store, client_id):
    lock_then_let_the_lock_expire(api, store, client_id)

    assert change(api, client_id, password="новый-пароль-2025").status == 200

    item = store.client(client_id)
    assert item["verify_failures"] == 0
    assert "verify_locked_until" not in item


def test_successful_change_resets_the_counter(api, store, client_id):
    for _ in range(MAX_FAILURES - 1):
        verify(api, client_id, "wrong")

    assert change(api, client_id, password="новый-пароль-2025", current_password=STRONG_PASSWORD).status == 200

    assert store.client(client_id)["verify_failures"] == 0


@pytest.mark.parametrize("password", ["12345678", "password1", "short"])
def test_change_to_a_weak_password_is_422_and_keeps_the_hash(api, store, client_id, password):
    before = store.snapshot()
    response = change(api, client_id, password=password)
    assert response.status == 422
    assert [e["field"] for e in response.json()["errors"]] == ["password"]
    assert store.snapshot() == before


def test_change_on_unknown_client_is_404_and_creates_nothing(api, store):
    before = store.snapshot()
    assert change(api, str(uuid.uuid4()), password="новый-пароль-2025").status == 404
    assert store.snapshot() == before


def test_change_refuses_unknown_fields(api, client_id):
    response = change(api, client_id, password="новый-пароль-2025", new_password="x")
    assert response.status == 422
