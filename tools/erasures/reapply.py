"""Make every recorded erasure again in a clients table restored from a backup.

A point-in-time restore brings back clients erased after the restore point: their items and the
guards that hold their email and phone. Each erasure left a record (client id, `erased_at`) in
the erasures table, which a restore of the clients table does not touch. For every record (or
every one since a time), this deletes from the restored table the client item and every item it
`owner`s (its guards), whatever they hold: one Scan of that table finds a guard even without its
client. Running it again deletes nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError


@dataclass(frozen=True)
class Reapplied:
    erasures: int  # erasure records considered
    deleted: int  # items deleted (or, on a dry run, that would be): client items and guards
    kept: int  # guards claimed by another client since the scan read them, left alone


def reapply(
    ddb: Any, clients_table: str, erasures_table: str, *, since: datetime | None = None, dry_run: bool = False
) -> Reapplied:
    """Delete from `clients_table` what the erasures recorded in `erasures_table` (those at or
    after `since`) erased."""
    erased = set(_erased_since(ddb, erasures_table, since))
    doomed = [(key, owner) for key, owner in _keys_and_owners(ddb, clients_table) if key in erased or owner in erased]
    if dry_run:
        return Reapplied(len(erased), deleted=len(doomed), kept=0)
    outcomes = [_delete(ddb, clients_table, key, owner) for key, owner in doomed]
    return Reapplied(len(erased), deleted=outcomes.count(True), kept=outcomes.count(False))


def parse_time(value: str) -> datetime:
    """An ISO 8601 time; one without an offset is UTC."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _erased_since(ddb: Any, table: str, since: datetime | None) -> Iterator[str]:
    for item in _scan(ddb, TableName=table, ProjectionExpression="client_id, erased_at"):
        if since is None or parse_time(item["erased_at"]["S"]) >= since:
            yield item["client_id"]["S"]


def _keys_and_owners(ddb: Any, table: str) -> Iterator[tuple[str, str | None]]:
    """Every item's key, and its owner if it is a guard."""
    items = _scan(
        ddb, TableName=table, ProjectionExpression="client_id, #owner", ExpressionAttributeNames={"#owner": "owner"}
    )
    for item in items:
        yield item["client_id"]["S"], item.get("owner", {}).get("S")


def _delete(ddb: Any, table: str, key: str, owner: str | None) -> bool:
    """Delete one item; a guard only while it is still the erased client's (the table may be
    serving again, and the email or phone taken by a new client). Whether it was deleted."""
    params: dict[str, Any] = {"TableName": table, "Key": {"client_id": {"S": key}}}
    if owner is not None:
        params |= {
            "ConditionExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": "owner"},
            "ExpressionAttributeValues": {":owner": {"S": owner}},
        }
    try:
        ddb.delete_item(**params)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _scan(ddb: Any, **params: Any) -> Iterator[dict[str, Any]]:
    for page in ddb.get_paginator("scan").paginate(ConsistentRead=True, **params):
        yield from page["Items"]
