"""Erasing a client, against in-memory repositories: what goes, what is recorded, If-Match, and
a client that changes between the read and the erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clients_api import erasure
from clients_api.errors import ClientNotFound, ConcurrentUpdate, PreconditionFailed
from clients_api.preconditions import Precondition
from tests.support.fakes import FakeClients, stored_client


def test_an_erased_client_is_gone_and_its_erasure_recorded_with_the_time():
    client = stored_client()
    clients = FakeClients(client)

    erasure.erase(client.client_id, None, clients)

    assert clients.get(client.client_id) is None
    assert datetime.now(UTC) - clients.erasures[client.client_id] < timedelta(seconds=5)


def test_an_unknown_client_is_not_found_and_nothing_is_recorded():
    clients = FakeClients()

    with pytest.raises(ClientNotFound):
        erasure.erase(stored_client().client_id, None, clients)
    assert clients.erasures == {}


@pytest.mark.parametrize("header", ['"1"', "*", '"3", "1"'])
def test_if_match_naming_the_version_erases(header):
    client = stored_client()
    clients = FakeClients(client)

    erasure.erase(client.client_id, Precondition.from_header(header), clients)

    assert clients.get(client.client_id) is None


def test_if_match_naming_another_version_erases_nothing():
    client = stored_client(version=2)
    clients = FakeClients(client)

    with pytest.raises(PreconditionFailed):
        erasure.erase(client.client_id, Precondition.from_header('"1"'), clients)
    assert clients.get(client.client_id) == client
    assert clients.writes == 0


def another_writer_first(clients, changes):
    """An erase that finds the client changed by `changes` since it was read."""
    erase = clients.erase

    def changed_meanwhile(current, erased_at):
        clients.erase = erase
        clients.update(current, changes)
        raise ConcurrentUpdate()

    clients.erase = changed_meanwhile


def test_a_client_changed_since_it_was_read_is_read_again_and_erased():
    client = stored_client()
    clients = FakeClients(client)
    another_writer_first(clients, {"email": "new@mail.ru"})

    erasure.erase(client.client_id, None, clients)

    assert clients.get(client.client_id) is None
    assert client.client_id in clients.erasures


def test_if_match_on_the_version_read_fails_once_another_writer_changed_the_client():
    client = stored_client()
    clients = FakeClients(client)
    another_writer_first(clients, {"first_name": "Олег"})

    with pytest.raises(PreconditionFailed):
        erasure.erase(client.client_id, Precondition.from_header('"1"'), clients)
    assert clients.get(client.client_id).version == 2
    assert clients.erasures == {}
