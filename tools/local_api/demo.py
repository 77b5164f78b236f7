"""`make demo`: a demo client with sessions in every status, so every endpoint shows real data.

Written straight into the store, whichever it is: the one `make run` serves (from its run.json),
or any DynamoDB at $AWS_ENDPOINT_URL_DYNAMODB (DynamoDB Local behind `sam local`, say), so no API
need be running. The client goes through the layer's own registration (its rules, its Argon2id
hash, its email and phone guards), as the API would write it; sessions are written as the
platform's booking service writes them (our API only reads them). Loading again changes nothing
but the sessions' dates, which follow today.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer

LOG = logging.getLogger("clients_api.local")
DEMO_PASSWORD = "демо-пароль-2024"  # noqa: S105 (a demo account's, shown to the user)
DEMO_CLIENT = {
    "first_name": "Анна",
    "last_name": "Демидова",
    "email": "demo@example.com",
    "password": DEMO_PASSWORD,
    "phone": "+79161234567",  # not the README's example number, so both can be tried
    "additional_info": "Демо-клиент: загружен командой make demo",
    "birthday": "1990-05-17",
    "sex": "женщина",
}
# (days from today, hour UTC, status, cost): past sessions were held or cancelled, upcoming ones
# await approval or are confirmed.
DEMO_SESSIONS = [
    (-30, 10, "проведена", "3000"),
    (-14, 18, "проведена", "3119.5"),
    (-7, 12, "отменена", "2500"),
    (3, 9, "подтверждена", "4500.75"),
    (10, 15, "на согласовании", "3000"),
    (17, 15, "на согласовании", "3500"),
]
_IDS = uuid.UUID("6f1d3c2a-5b7e-4c8d-9a0b-1c2d3e4f5a6b")  # namespace of the demo's stable ids
_SERIALIZER = TypeSerializer()


@dataclass(frozen=True)
class DemoStore:
    """Where the demo goes: a DynamoDB, its region, the template's tables there by logical id."""

    endpoint: str
    region: str
    tables: dict[str, str]
    # The credentials to sign with (the functions' own); empty: the caller's from its shell.
    credentials: dict[str, str]
    api_url: str | None = None  # the API serving it, when one does (for the hints printed)


def load_demo(store: DemoStore) -> str:
    """Load the demo into `store`; returns the demo client's id."""
    # Imported here: the layer is on sys.path only once __main__ has put it there.
    from clients_api.errors import EmailTaken
    from clients_api.models import RegisterClient
    from clients_api.registration import register
    from clients_api.repository import ClientRepository, Table

    ddb = _dynamodb(store)
    clients = store.tables["ClientsTable"]
    try:
        repository = ClientRepository(Table(clients, ddb), store.tables["ErasuresTable"])
        client_id = register(RegisterClient.model_validate(DEMO_CLIENT), repository)
    except EmailTaken:
        client_id = _find_client(ddb, clients, DEMO_CLIENT["email"])
    _put_sessions(ddb, store.tables["SessionsTable"], client_id)
    LOG.info("demo client %s (password %s) with %d sessions", client_id, DEMO_PASSWORD, len(DEMO_SESSIONS))
    if store.api_url is not None:
        base = f"{store.api_url}/api/v1/clients/{client_id}"
        LOG.info('try:  ME="Authorization: Bearer $(make -s token CLIENT_ID=%s)"', client_id)
        for url in (base, f"{base}/sessions", f"{base}/sessions?status=проведена"):
            LOG.info('  curl -s "%s" -H "$ME"', url)
        LOG.info("  or %s/docs, with the token under Authorize", store.api_url)
    return client_id


def _find_client(ddb: Any, table: str, email: str) -> str:
    # The demo client from an earlier load. A scan is fine on a local demo table; the API has no
    # lookup by email.
    pages = ddb.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="email = :email",
        ExpressionAttributeValues={":email": {"S": email}},
        ProjectionExpression="client_id",
    )
    for page in pages:
        for item in page["Items"]:
            return item["client_id"]["S"]
    raise RuntimeError(f"{email} is taken but no client has it")


def _put_sessions(ddb: Any, table: str, client_id: str) -> None:
    today = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for number, (days, hour, status, cost) in enumerate(DEMO_SESSIONS):
        starts_at = (today + timedelta(days=days)).replace(hour=hour)
        session = {
            "session_id": str(uuid.uuid5(_IDS, f"{client_id}/session/{number}")),
            "client_id": client_id,
            "spot_id": str(uuid.uuid5(_IDS, f"spot/{number % 3}")),
            "status": status,
            "cost": Decimal(cost),
            "starts_at": _iso(starts_at),
            "created_at": _iso(min(starts_at - timedelta(days=5), today)),
        }
        ddb.put_item(TableName=table, Item={name: _SERIALIZER.serialize(value) for name, value in session.items()})


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dynamodb(store: DemoStore) -> Any:
    credentials = {name.lower(): value for name, value in store.credentials.items()}
    return boto3.client("dynamodb", endpoint_url=store.endpoint, region_name=store.region, **credentials)
