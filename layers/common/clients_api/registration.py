"""Registering a client."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from clients_api import passwords
from clients_api.errors import WeakPassword
from clients_api.models import RegisterClient, StoredClient
from clients_api.observability import Metric, count, logger
from clients_api.repository import ClientRepository


def register(request: RegisterClient, repo: ClientRepository) -> str:
    """Store a new client and return its id. Raises WeakPassword, EmailTaken or PhoneTaken."""
    reason = passwords.policy_violation(request.password, request.email)
    if reason is not None:
        raise WeakPassword(reason)
    client = StoredClient(
        **request.model_dump(exclude={"password"}),
        client_id=str(uuid.uuid4()),
        registered_at=datetime.now(UTC).replace(microsecond=0),
        password_hash=passwords.hash_password(request.password),
    )
    repo.create(client)
    count(Metric.REGISTRATIONS)
    logger.info("client registered", extra={"client_id": client.client_id})
    return client.client_id
