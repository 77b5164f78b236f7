"""Clearing the password verification lock, a service's job. No hashing here: the function that
clears locks loads no argon2. (The lock's rule is settings.Lockout.)"""

from __future__ import annotations

from clients_api.observability import Metric, count, logger
from clients_api.repository import VerificationRepository


def clear_lock(client_id: str, verification: VerificationRepository) -> None:
    """Let the client try again at once: its counted attempts and any lock are forgotten (e.g.
    once a support desk has confirmed who the client is). Raises ClientNotFound."""
    verification.clear(client_id)
    count(Metric.LOCKS_CLEARED)
    logger.info("verification lock cleared")
