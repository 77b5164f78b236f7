"""A lost condition is retried by the domain, a bounded number of times (retries.py), against
in-memory repositories."""

from __future__ import annotations

import pytest

from clients_api import credentials, profiles, retries
from clients_api.errors import ConcurrentUpdate, EmailTaken, PreconditionFailed
from clients_api.models import PasswordChange
from clients_api.preconditions import Precondition
from clients_api.settings import get_settings
from tests.support.fakes import FakeClients, FakeVerification, stored_client


def losing(times: int, then: object = "done"):
    """An attempt that loses its condition `times` times, then succeeds; `calls` counts them."""

    def attempt():
        attempt.calls += 1
        if attempt.calls <= times:
            raise ConcurrentUpdate()
        return then

    attempt.calls = 0
    return attempt


def test_an_attempt_that_wins_runs_once():
    attempt = losing(0)

    assert retries.on_conflict(attempt) == "done"
    assert attempt.calls == 1


def test_lost_conditions_are_retried_until_one_wins():
    attempt = losing(get_settings().conflict_rounds - 1)

    assert retries.on_conflict(attempt) == "done"
    assert attempt.calls == get_settings().conflict_rounds


def test_after_the_last_round_the_conflict_reaches_the_caller():
    attempt = losing(get_settings().conflict_rounds)

    with pytest.raises(ConcurrentUpdate):
        retries.on_conflict(attempt)
    assert attempt.calls == get_settings().conflict_rounds


def test_other_errors_are_not_retried():
    calls = []

    def attempt():
        calls.append(1)
        raise EmailTaken()

    with pytest.raises(EmailTaken):
        retries.on_conflict(attempt)
    assert len(calls) == 1


def test_a_change_that_lost_to_the_same_change_is_read_again_and_writes_nothing(monkeypatch):
    client = stored_client()
    clients = FakeClients(client)
    update = clients.update

    def another_writer_first(current, changes):
        # Another request sets the same email between our read and our write.
        update(current, changes)
        raise ConcurrentUpdate()

    monkeypatch.setattr(clients, "update", another_writer_first)
    profiles.update_profile(client.client_id, {"email": "new@mail.ru"}, clients)
    monkeypatch.undo()

    assert clients.writes == 1  # theirs; ours found nothing left to change
    assert clients.get(client.client_id).email == "new@mail.ru"


def another_writer_first_once(clients, their_changes):
    """`clients.update`, but its first write loses to another writer's `their_changes`."""
    update = clients.update
    raced = []

    def update_after_them(current, changes):
        if not raced:
            raced.append(True)
            update(current, their_changes)
            raise ConcurrentUpdate()
        update(current, changes)

    return update_after_them


def test_a_change_that_lost_to_another_field_is_applied_on_top_of_it(monkeypatch):
    client = stored_client()
    clients = FakeClients(client)

    monkeypatch.setattr(clients, "update", another_writer_first_once(clients, {"last_name": "Новая"}))
    profiles.update_profile(client.client_id, {"first_name": "Олег"}, clients)

    stored = clients.get(client.client_id)
    assert (stored.first_name, stored.last_name, stored.version) == ("Олег", "Новая", 3)


def test_a_change_that_lost_under_if_match_is_refused_not_applied_on_top(monkeypatch):
    client = stored_client()
    clients = FakeClients(client)

    monkeypatch.setattr(clients, "update", another_writer_first_once(clients, {"last_name": "Новая"}))
    with pytest.raises(PreconditionFailed):
        profiles.update_profile(client.client_id, {"first_name": "Олег"}, clients, Precondition.from_header('"1"'))

    stored = clients.get(client.client_id)
    assert (stored.first_name, stored.last_name, stored.version) == (client.first_name, "Новая", 2)


def test_a_password_change_that_lost_is_read_and_checked_again(monkeypatch):
    client = stored_client()
    clients = FakeClients(client)
    verification = FakeVerification(clients, get_settings().lockout)
    set_password = verification.set_password

    def another_writer_first(current, password_hash, *, now):
        clients.update(clients.get(current.client_id), {"last_name": "Новая"})
        monkeypatch.setattr(verification, "set_password", set_password)
        set_password(current, password_hash, now=now)

    monkeypatch.setattr(verification, "set_password", another_writer_first)
    change = PasswordChange(password="совсем-другой-пароль-77")

    # Without If-Match the change lands on the version it finds; with one, it is refused.
    assert credentials.change_password(client.client_id, change, clients, verification) == 3
    monkeypatch.setattr(verification, "set_password", another_writer_first)
    with pytest.raises(PreconditionFailed):
        credentials.change_password(client.client_id, change, clients, verification, Precondition.from_header('"3"'))
    assert clients.get(client.client_id).version == 4
