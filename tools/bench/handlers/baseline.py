"""The baseline: each function's DynamoDB calls with plain boto3 and nothing else.

What a Lambda handler cannot do without: a module-level client, the values taken straight from
the event, the same calls as our function (operations, keys, conditions), a JSON answer. No
validation, no logging, no tracing, no error mapping: the physical floor our functions are
measured against. The password functions' baselines are in baseline_hashing.py.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

CLIENTS = os.environ["CLIENTS_TABLE"]
SESSIONS = os.environ["SESSIONS_TABLE"]
ddb = boto3.client("dynamodb")

Event = dict[str, Any]


def answer(status: int, payload: object) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(payload)}


def client_id_of(event: Event) -> str:
    return event["pathParameters"]["client_id"]


def body_of(event: Event) -> dict[str, Any]:
    return json.loads(event["body"])


def key(client_id: str) -> dict[str, Any]:
    return {"client_id": {"S": client_id}}


def read_client(client_id: str) -> dict[str, Any]:
    return ddb.get_item(TableName=CLIENTS, Key=key(client_id), ConsistentRead=True)["Item"]


def get_client(event: Event, context: object) -> dict[str, Any]:
    item = ddb.get_item(TableName=CLIENTS, Key=key(client_id_of(event)), ConsistentRead=True).get("Item")
    return answer(200 if item else 404, item)


def list_sessions(event: Event, context: object) -> dict[str, Any]:
    limit = int((event["queryStringParameters"] or {}).get("limit", 50))
    exists = ddb.get_item(
        TableName=CLIENTS, Key=key(client_id_of(event)), ProjectionExpression="client_id", ConsistentRead=True
    )
    if "Item" not in exists:
        return answer(404, None)
    page = ddb.query(
        TableName=SESSIONS,
        IndexName="by_client",
        KeyConditionExpression="client_id = :client_id",
        ExpressionAttributeValues={":client_id": {"S": client_id_of(event)}},
        ScanIndexForward=False,
        Limit=limit,
    )
    return answer(200, page["Items"])


def reset_attempts(client_id: str) -> None:
    """The verification counter back to zero and any lock gone, after a match and for a service's
    DELETE .../password/lock alike (ours also removes verify_attempted_at there: the same call)."""
    ddb.update_item(
        TableName=CLIENTS,
        Key=key(client_id),
        UpdateExpression="SET verify_failures = :zero REMOVE verify_locked_until",
        ConditionExpression="attribute_exists(client_id)",
        ExpressionAttributeValues={":zero": {"N": "0"}},
    )


def clear_password_lock(event: Event, context: object) -> dict[str, Any]:
    reset_attempts(client_id_of(event))
    return {"statusCode": 204}


def _versioned_update(client_id: str, version: dict[str, str], changes: dict[str, str]) -> dict[str, Any]:
    names = sorted(changes)
    return {
        "TableName": CLIENTS,
        "Key": key(client_id),
        "UpdateExpression": "SET " + ", ".join(f"#{n} = :{n}" for n in names) + ", #version = :next_version",
        "ConditionExpression": "#version = :version",
        "ExpressionAttributeNames": {f"#{n}": n for n in [*names, "version"]},
        "ExpressionAttributeValues": {f":{n}": {"S": changes[n]} for n in names}
        | {":version": version, ":next_version": {"N": str(int(version["N"]) + 1)}},
    }


def update_profile(event: Event, context: object) -> dict[str, Any]:
    """update_client, update_full_name and update_additional_info: read, one conditional update."""
    client_id = client_id_of(event)
    client = read_client(client_id)
    changes = {name: value for name, value in body_of(event).items() if value not in (None, "null")}
    ddb.update_item(**_versioned_update(client_id, client["version"], changes))
    return answer(200, {"client_id": client_id})


def update_phone_number(event: Event, context: object) -> dict[str, Any]:
    """Read, then one transaction: the client updated, the new number's guard in, the old one out."""
    client_id = client_id_of(event)
    client = read_client(client_id)
    phone = "+7" + body_of(event)["phone_number"][1:]  # the events' national form, not parsed
    ddb.transact_write_items(
        TransactItems=[
            {"Update": _versioned_update(client_id, client["version"], {"phone": phone})},
            {
                "Put": {
                    "TableName": CLIENTS,
                    "Item": {"client_id": {"S": "PHONE#" + phone}, "owner": {"S": client_id}},
                    "ConditionExpression": "attribute_not_exists(client_id)",
                }
            },
            {
                "Delete": {
                    "TableName": CLIENTS,
                    "Key": key("PHONE#" + client["phone"]["S"]),
                    "ConditionExpression": "#owner = :owner",
                    "ExpressionAttributeNames": {"#owner": "owner"},
                    "ExpressionAttributeValues": {":owner": {"S": client_id}},
                }
            },
        ]
    )
    return answer(200, {"client_id": client_id})
