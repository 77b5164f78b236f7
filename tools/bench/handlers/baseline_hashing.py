"""The password functions' baselines: their DynamoDB calls plus Argon2id with our parameters.

Hashing is work the endpoint exists to do, so it is in the baseline: the comparison shows what
our code adds around it. (The targets exempt these functions from the cold-start and CPU ratios
anyway; the report says so next to their numbers.)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import VerificationError
from baseline import CLIENTS, Event, answer, body_of, client_id_of, ddb, key, reset_attempts

# passwords.py's parameters (OWASP's Argon2id baseline).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
_GUARDS = (("EMAIL#", "email"), ("PHONE#", "phone"))


def register_client(event: Event, context: object) -> dict[str, Any]:
    """Hash, then one transaction: the client and its email and phone guards."""
    body = body_of(event)
    client_id = str(uuid.uuid4())
    item = {name: {"S": value} for name, value in body.items() if name != "password"} | {
        "client_id": {"S": client_id},
        "registered_at": {"S": datetime.now(UTC).isoformat()},
        "password_hash": {"S": _HASHER.hash(body["password"])},
        "version": {"N": "1"},
    }
    new = "attribute_not_exists(client_id)"
    guards = [{"client_id": {"S": prefix + body[field]}, "owner": {"S": client_id}} for prefix, field in _GUARDS]
    ddb.transact_write_items(
        TransactItems=[{"Put": {"TableName": CLIENTS, "Item": i, "ConditionExpression": new}} for i in [item, *guards]]
    )
    return answer(201, {"client_id": client_id})


def _reserve_attempt(client_id: str) -> dict[str, Any]:
    return ddb.update_item(
        TableName=CLIENTS,
        Key=key(client_id),
        UpdateExpression="SET verify_failures = if_not_exists(verify_failures, :zero) + :one",
        ConditionExpression="attribute_exists(client_id)"
        " AND (attribute_not_exists(verify_failures) OR verify_failures < :max)",
        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}, ":max": {"N": "5"}},
        ReturnValues="ALL_NEW",
    )["Attributes"]


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except VerificationError:
        return False


def verify_password(event: Event, context: object) -> dict[str, Any]:
    """Count the attempt (which returns the hash), check it, reset the count on a match."""
    client_id = client_id_of(event)
    client = _reserve_attempt(client_id)
    matched = _matches(client["password_hash"]["S"], body_of(event)["password"])
    if matched:
        reset_attempts(client_id)
    return answer(200, {"match": matched})


def update_password(event: Event, context: object) -> dict[str, Any]:
    """Check the current password as verify_password does, then store the new one's hash."""
    client_id = client_id_of(event)
    body = body_of(event)
    client = _reserve_attempt(client_id)
    if not _matches(client["password_hash"]["S"], body["current_password"]):
        return answer(403, {"match": False})
    reset_attempts(client_id)
    ddb.update_item(
        TableName=CLIENTS,
        Key=key(client_id),
        UpdateExpression="SET password_hash = :hash, verify_failures = :zero REMOVE verify_locked_until"
        " ADD version :one",
        ConditionExpression="attribute_exists(client_id)",
        ExpressionAttributeValues={
            ":hash": {"S": _HASHER.hash(body["password"])},
            ":zero": {"N": "0"},
            ":one": {"N": "1"},
        },
    )
    return answer(200, {"client_id": client_id})
