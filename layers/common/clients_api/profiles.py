"""Reading and changing a client's profile. No HTTP, no boto3: models in, models or errors out."""

from __future__ import annotations

from typing import Any

from clients_api import retries
from clients_api.errors import ClientNotFound
from clients_api.models import ClientProfile, StoredClient
from clients_api.observability import Metric, count
from clients_api.preconditions import Precondition
from clients_api.repository import ClientRepository


def get_profile(client_id: str, repo: ClientRepository) -> tuple[ClientProfile, int]:
    """The client's profile, and the version it shows (its ETag)."""
    client = read_client(client_id, repo)
    return ClientProfile.from_stored(client), client.version


def update_profile(
    client_id: str, changes: dict[str, Any], repo: ClientRepository, precondition: Precondition | None = None
) -> int:
    """Set the given fields; return the client's version after (its ETag). Values equal to the
    stored ones are dropped, so an email or phone "changed" to itself moves no guard, and a change
    that changes nothing writes nothing (and keeps the version). A client changed by someone else
    meanwhile is read again and the change applied to what it is now, unless `precondition` (an
    If-Match) named the version it was: then PreconditionFailed, whether or not the change would
    change anything."""

    def apply_to_current_client() -> int:
        client = read_client(client_id, repo, precondition)
        effective = {name: value for name, value in changes.items() if getattr(client, name) != value}
        if not effective:
            return client.version
        # Conditioned on the version just checked: a change in between is a lost condition,
        # and the next round's check refuses it.
        repo.update(client, effective)
        count(Metric.PROFILE_UPDATES)
        return client.version + 1

    return retries.on_conflict(apply_to_current_client)


def read_client(client_id: str, repo: ClientRepository, precondition: Precondition | None = None) -> StoredClient:
    """The stored client, at a version `precondition` (an If-Match) accepts when there is one.
    Raises ClientNotFound or PreconditionFailed."""
    client = repo.get(client_id)
    if client is None:
        raise ClientNotFound()
    if precondition is not None:
        precondition.check(client.version)
    return client
