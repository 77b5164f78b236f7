"""In-memory stand-ins for the repositories, for unit tests of the domain: same methods, same
errors, no DynamoDB. The verification one follows settings.Lockout, and the state table that
pins the real conditional writes pins it too (tests/unit/test_lockout.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from clients_api import passwords
from clients_api.errors import ClientNotFound, ConcurrentUpdate, EmailTaken, PhoneTaken
from clients_api.models import Session, StoredClient
from clients_api.repository import IndexKey
from clients_api.settings import Lockout

PASSWORD = "right-password-1"
_PASSWORD_HASH = passwords.hash_password(PASSWORD)


def stored_client(**overrides: Any) -> StoredClient:
    """A registered client whose password is PASSWORD; every call a new one."""
    n = uuid.uuid4()
    values = {
        "client_id": str(n),
        "first_name": "имя",
        "last_name": "фамилия",
        "email": f"{n.hex}@mail.ru",
        "phone": f"+7909{n.int % 10_000_000:07d}",
        "registered_at": datetime(2024, 2, 25, 3, 14, 7, tzinfo=UTC),
        "password_hash": _PASSWORD_HASH,
    }
    return StoredClient(**values | overrides)


class FakeClients:
    """ClientRepository over a dict of clients by id; erasure records by id in `erasures`."""

    def __init__(self, *clients: StoredClient) -> None:
        self.clients = {client.client_id: client for client in clients}
        self.erasures: dict[str, datetime] = {}
        self.writes = 0

    def get(self, client_id: str) -> StoredClient | None:
        return self.clients.get(client_id)

    def exists(self, client_id: str) -> bool:
        return client_id in self.clients

    def create(self, client: StoredClient) -> None:
        self._refuse_taken(client.client_id, {"email": client.email, "phone": client.phone})
        self.clients[client.client_id] = client
        self.writes += 1

    def update(self, current: StoredClient, changes: dict[str, Any]) -> None:
        if self.clients[current.client_id].version != current.version:
            raise ConcurrentUpdate()
        self._refuse_taken(current.client_id, changes)
        self.clients[current.client_id] = current.model_copy(update={**changes, "version": current.version + 1})
        self.writes += 1

    def erase(self, current: StoredClient, erased_at: datetime) -> None:
        stored = self.clients.get(current.client_id)
        if stored is None or stored.version != current.version:
            raise ConcurrentUpdate()
        del self.clients[current.client_id]
        self.erasures[current.client_id] = erased_at
        self.writes += 1

    def _refuse_taken(self, client_id: str, values: dict[str, Any]) -> None:
        others = [client for client in self.clients.values() if client.client_id != client_id]
        for field, taken in (("email", EmailTaken), ("phone", PhoneTaken)):
            if field in values and any(getattr(other, field) == values[field] for other in others):
                raise taken()


class FakeVerification:
    """VerificationRepository over the clients of a FakeClients, with the lock rule in Python."""

    def __init__(self, clients: FakeClients, lockout: Lockout) -> None:
        self._clients = clients
        self._lockout = lockout

    def count_attempt(self, client_id: str, *, now: int) -> StoredClient:
        client = self._existing(client_id)
        stale = self._lockout.stale_before(now)
        recent = client.verify_attempted_at is not None and client.verify_attempted_at > stale
        if client.verify_failures == 0 or (client.verify_failures < self._lockout.max_failures and recent):
            return self._set(client, verify_failures=client.verify_failures + 1, verify_attempted_at=now)
        self._lockout.refuse_while_locked(client, now)
        return self._set(client, verify_failures=1, verify_attempted_at=now, verify_locked_until=None)

    def record_mismatch(self, client_id: str, *, now: int) -> None:
        client = self._existing(client_id)
        if client.verify_failures >= self._lockout.max_failures and client.verify_locked_until is None:
            self._set(client, verify_locked_until=now + self._lockout.lock_seconds)

    def record_match(self, client: StoredClient, upgraded_hash: str | None) -> None:
        current = self._existing(client.client_id)
        changes: dict[str, Any] = {"verify_failures": 0, "verify_locked_until": None}
        if upgraded_hash is not None and current.password_hash == client.password_hash:
            changes["password_hash"] = upgraded_hash
        self._set(current, **changes)

    def set_password(self, current: StoredClient, password_hash: str, *, now: int) -> None:
        client = self._existing(current.client_id)
        self._lockout.refuse_while_locked(client, now)
        if client.version != current.version:
            raise ConcurrentUpdate()
        self._set(
            client, password_hash=password_hash, verify_failures=0, verify_locked_until=None, version=client.version + 1
        )

    def clear(self, client_id: str) -> None:
        client = self._existing(client_id)
        self._set(client, verify_failures=0, verify_locked_until=None, verify_attempted_at=None)

    def _existing(self, client_id: str) -> StoredClient:
        client = self._clients.get(client_id)
        if client is None:
            raise ClientNotFound()
        return client

    def _set(self, client: StoredClient, **changes: Any) -> StoredClient:
        updated = client.model_copy(update=changes)
        self._clients.clients[client.client_id] = updated
        return updated


class FakeSessions:
    """SessionRepository over a list of one client's sessions, newest first, pages of `limit`
    read before the status filter, as DynamoDB reads them."""

    def __init__(self, client_id: str, sessions: list[Session]) -> None:
        self._client_id = client_id
        self._sessions = sorted(sessions, key=lambda s: (s.starts_at, s.session_id), reverse=True)

    def page(
        self, client_id: str, *, limit: int, status: str | None, after: IndexKey | None
    ) -> tuple[list[Session], IndexKey | None]:
        listed = self._sessions if client_id == self._client_id else []
        keys = [IndexKey(s.starts_at, s.session_id) for s in listed]
        start = keys.index(after) + 1 if after is not None else 0
        read = listed[start : start + limit]
        more = start + limit < len(listed)
        last = IndexKey(read[-1].starts_at, read[-1].session_id) if read and more else None
        return [s for s in read if status is None or s.status == status], last
