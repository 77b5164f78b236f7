"""`make demo`: a demo client with sessions in every status, so every endpoint shows real data.

The client is registered through the running API, as any caller would. Sessions are written
straight to the sessions table, as the platform's booking service does (our API only reads
them). Loading again changes nothing but the sessions' dates, which follow today.
"""

from __future__ import annotations

import http.client
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import boto3
from boto3.dynamodb.types import TypeSerializer

from tools.local_api.run_info import NotRunning, RunInfo

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


def load_demo(info: RunInfo, token: str) -> str:
    """Load the demo into the server described by `info`, registering the client with the bearer
    `token` of a service; returns the demo client's id."""
    ddb = _dynamodb(info)
    client_id = _register(info.api_url, token) or _find_client(ddb, info.tables["ClientsTable"], DEMO_CLIENT["email"])
    _put_sessions(ddb, info.tables["SessionsTable"], client_id)
    base = f"{info.api_url}/api/v1/clients/{client_id}"
    LOG.info("demo client %s (password %s) with %d sessions; try:", client_id, DEMO_PASSWORD, len(DEMO_SESSIONS))
    LOG.info('  ME="Authorization: Bearer $(make -s token CLIENT_ID=%s)"', client_id)
    for url in (base, f"{base}/sessions", f"{base}/sessions?status=проведена"):
        LOG.info('  curl -s "%s" -H "$ME"', url)
    LOG.info("  or %s/docs, with the token under Authorize", info.api_url)
    return client_id


def _register(api_url: str, token: str) -> str | None:
    """The new client's id, or None when the demo client is already there."""
    url = urlsplit(api_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        body = json.dumps(DEMO_CLIENT).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        connection.request("POST", "/api/v1/clients", body=body, headers=headers)
        response = connection.getresponse()
        answer = json.load(response)
    except ConnectionError:
        raise NotRunning(f"nothing answers at {api_url}: start the API with `make run`") from None
    finally:
        connection.close()
    if response.status == 201:
        return answer["client_id"]
    if answer.get("code") == "email_taken":
        return None
    raise RuntimeError(f"registering the demo client failed: {answer}")


def _find_client(ddb: Any, table: str, email: str) -> str:
    # A scan is fine on a local demo table; the API has no lookup by email.
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


def _dynamodb(info: RunInfo) -> Any:
    # The embedded store takes any credentials; anything else gets the caller's own.
    credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"} if info.embedded_store else {}
    return boto3.client("dynamodb", endpoint_url=info.dynamodb_endpoint, region_name=info.region, **credentials)
