"""Data access: the only package that speaks boto3, one job per module.

- _dynamo.py       the client (and its retries), the codecs, DynamoDB's failures as domain errors
- clients.py       client items with their email and phone guards, written in one transaction;
                   an erasure's record goes in the same one
- verification.py  the password verification lock's conditional writes (settings.Lockout's twin)
- sessions.py      a client's sessions, a page at a time, through the by_client index

A function gets each repository once per container from the factories below.
"""

from __future__ import annotations

from functools import cache

from clients_api.repository._dynamo import Table, dynamodb_client
from clients_api.repository.clients import ClientRepository
from clients_api.repository.sessions import IndexKey, SessionRepository
from clients_api.repository.verification import VerificationRepository
from clients_api.settings import get_settings

__all__ = [
    "ClientRepository",
    "IndexKey",
    "SessionRepository",
    "Table",
    "VerificationRepository",
    "client_repository",
    "clients_table",
    "dynamodb_client",
    "session_repository",
    "verification_repository",
]


@cache
def clients_table() -> Table:
    """The clients table, shared by the client and verification repositories."""
    return Table(get_settings().clients_table, dynamodb_client())


@cache
def client_repository() -> ClientRepository:
    return ClientRepository(clients_table(), get_settings().erasures_table)


@cache
def verification_repository() -> VerificationRepository:
    return VerificationRepository(clients_table(), get_settings().lockout)


@cache
def session_repository() -> SessionRepository:
    return SessionRepository(Table(get_settings().sessions_table, dynamodb_client()))
