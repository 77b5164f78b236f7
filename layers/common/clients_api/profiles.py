"""Reading and changing a client's profile. No HTTP, no boto3: models in, models or errors out."""

from __future__ import annotations

from typing import Any

from clients_api.errors import ClientNotFound, ConcurrentUpdate
from clients_api.models import ClientProfile, StoredClient
from clients_api.observability import Metric, count
from clients_api.repository import ClientRepository

# A profile changed by someone else between our read and our conditional write is re-read and
# the change re-applied; beyond this many rounds the caller gets a 503 with Retry-After.
_UPDATE_ATTEMPTS = 3


def get_profile(client_id: str, repo: ClientRepository) -> ClientProfile:
    return ClientProfile.from_stored(_existing(client_id, repo))


def update_profile(client_id: str, changes: dict[str, Any], repo: ClientRepository) -> None:
    """Set the given fields. Values equal to the stored ones are dropped, so an email or phone
    "changed" to itself moves no guard, and a change that changes nothing writes nothing."""
    for _ in range(_UPDATE_ATTEMPTS):
        client = _existing(client_id, repo)
        effective = {name: value for name, value in changes.items() if getattr(client, name) != value}
        if not effective:
            return
        try:
            repo.update(client, effective)
            count(Metric.PROFILE_UPDATES)
            return
        except ConcurrentUpdate:
            continue
    raise ConcurrentUpdate()


def _existing(client_id: str, repo: ClientRepository) -> StoredClient:
    client = repo.get(client_id)
    if client is None:
        raise ClientNotFound()
    return client
