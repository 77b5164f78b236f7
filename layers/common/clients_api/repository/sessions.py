"""Sessions, read through the sessions table's GSI `by_client` (`client_id`, `starts_at`). Other
parts of the platform write them; we only read, and never with Scan."""

from __future__ import annotations

from typing import Any, NamedTuple

from clients_api.models import Session
from clients_api.repository._dynamo import Table, expression_values, from_item, parse_item, to_item

_BY_CLIENT = "by_client"


class IndexKey(NamedTuple):
    """Where a read of one client's sessions stopped: the index key of the last session it
    looked at (a status filter may have left that one out of the page)."""

    starts_at: str
    session_id: str


class SessionRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def page(
        self, client_id: str, *, limit: int, status: str | None, after: IndexKey | None
    ) -> tuple[list[Session], IndexKey | None]:
        """Up to `limit` of a client's sessions, newest first, from just after `after`, and where
        the read stopped (None: the list ended). DynamoDB applies `limit` before the status
        filter, so a page may be short, even empty, while more remain."""
        query: dict[str, Any] = {
            "IndexName": _BY_CLIENT,
            "KeyConditionExpression": "client_id = :client_id",
            "ExpressionAttributeValues": expression_values(client_id=client_id),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if status is not None:
            query["FilterExpression"] = "#status = :status"
            query["ExpressionAttributeNames"] = {"#status": "status"}
            query["ExpressionAttributeValues"] |= expression_values(status=status)
        if after is not None:
            query["ExclusiveStartKey"] = to_item({"client_id": client_id, **after._asdict()})
        response = self._table.query(**query)
        sessions = [parse_item(Session, item) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        if last is None:
            return sessions, None
        key = from_item(last)
        return sessions, IndexKey(key["starts_at"], key["session_id"])
