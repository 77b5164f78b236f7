"""The password verification lock, as a service manages it. No hashing here: the function that
clears locks loads no argon2."""

from __future__ import annotations

from clients_api.observability import Metric, count, logger
from clients_api.repository import ClientRepository


def clear_lock(client_id: str, repo: ClientRepository) -> None:
    """Let the client try again at once: its counted attempts and any lock are forgotten (e.g.
    once a support desk has confirmed who the client is). Raises ClientNotFound."""
    repo.clear_verification_lock(client_id)
    count(Metric.LOCKS_CLEARED)
    logger.info("verification lock cleared")
