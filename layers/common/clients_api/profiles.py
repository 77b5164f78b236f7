"""Reading and changing a client's profile. No HTTP, no boto3: models in, models or errors out."""

from __future__ import annotations

from typing import Any

from clients_api import retries
from clients_api.errors import ClientNotFound
from clients_api.models import ClientProfile, StoredClient
from clients_api.observability import Metric, count
from clients_api.repository import ClientRepository


def get_profile(client_id: str, repo: ClientRepository) -> ClientProfile:
    return ClientProfile.from_stored(read_client(client_id, repo))


def update_profile(client_id: str, changes: dict[str, Any], repo: ClientRepository) -> None:
    """Set the given fields. Values equal to the stored ones are dropped, so an email or phone
    "changed" to itself moves no guard, and a change that changes nothing writes nothing. A client
    changed by someone else meanwhile is read again and the change applied to what it is now."""

    def apply_to_current_client() -> None:
        client = read_client(client_id, repo)
        effective = {name: value for name, value in changes.items() if getattr(client, name) != value}
        if effective:
            repo.update(client, effective)
            count(Metric.PROFILE_UPDATES)

    retries.on_conflict(apply_to_current_client)


def read_client(client_id: str, repo: ClientRepository) -> StoredClient:
    """The stored client, or ClientNotFound."""
    client = repo.get(client_id)
    if client is None:
        raise ClientNotFound()
    return client
