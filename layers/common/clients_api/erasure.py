"""Erasing a client on request (the right to erasure): its profile, its password hash and its
hold on its email and phone go at once; what is left is a record of the erasure, without personal
data, that says what to erase again should a backup of the clients table ever be restored."""

from __future__ import annotations

from datetime import UTC, datetime

from clients_api import retries
from clients_api.observability import Metric, count, logger
from clients_api.preconditions import Precondition
from clients_api.profiles import read_client
from clients_api.repository import ClientRepository


def erase(client_id: str, precondition: Precondition | None, repo: ClientRepository) -> None:
    """Erase the client, if it is at a version `precondition` (If-Match) accepts. A client changed
    meanwhile (an email or phone change moves a guard) is read again and erased as it is now.
    Raises ClientNotFound or PreconditionFailed."""

    def erase_current_client() -> None:
        client = read_client(client_id, repo, precondition)
        repo.erase(client, erased_at=datetime.now(UTC))

    retries.on_conflict(erase_current_client)
    count(Metric.CLIENTS_ERASED)
    logger.info("client erased", extra={"client_id": client_id})
