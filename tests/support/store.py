"""Direct access to the test tables: snapshots to prove "nothing written", seeds for sessions."""

from __future__ import annotations

import os
import uuid
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


class Store:
    def __init__(
        self,
        ddb: Any,
        clients_table: str | None = None,
        sessions_table: str | None = None,
        erasures_table: str | None = None,
    ) -> None:
        self.ddb = ddb
        self.clients_table = clients_table or os.environ["CLIENTS_TABLE"]
        self.sessions_table = sessions_table or os.environ["SESSIONS_TABLE"]
        self.erasures_table = erasures_table or os.environ["ERASURES_TABLE"]

    def items(self, table: str | None = None) -> list[dict[str, Any]]:
        table = table or self.clients_table
        items, kwargs = [], {"TableName": table, "ConsistentRead": True}
        while True:
            page = self.ddb.scan(**kwargs)
            items += [{k: _DESERIALIZER.deserialize(v) for k, v in i.items()} for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return sorted(items, key=lambda i: str(i.get("client_id")) + str(i.get("session_id")))
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def snapshot(self) -> tuple[list[dict[str, Any]], ...]:
        return self.items(self.clients_table), self.items(self.sessions_table), self.items(self.erasures_table)

    def client(self, client_id: str) -> dict[str, Any] | None:
        return self._get(self.clients_table, client_id)

    def erasure(self, client_id: str) -> dict[str, Any] | None:
        """The erasure record of a client, or None."""
        return self._get(self.erasures_table, client_id)

    def owned_by(self, client_id: str) -> list[dict[str, Any]]:
        """The guards whose owner is this client."""
        return [item for item in self.items() if item.get("owner") == client_id]

    def _get(self, table: str, client_id: str) -> dict[str, Any] | None:
        item = self.ddb.get_item(TableName=table, Key={"client_id": {"S": client_id}}).get("Item")
        return {k: _DESERIALIZER.deserialize(v) for k, v in item.items()} if item else None

    def guard_owner(self, kind: str, value: str) -> str | None:
        item = self.client(f"{kind.upper()}#{value}")
        return item["owner"] if item else None

    def put_session(
        self, client_id: str, starts_at: str, *, status: str = "подтверждена", cost: str = "3000", **extra: Any
    ) -> str:
        session_id = str(uuid.uuid4())
        item = {
            "session_id": session_id,
            "client_id": client_id,
            "spot_id": str(uuid.uuid4()),
            "status": status,
            "cost": Decimal(cost),
            "starts_at": starts_at,
            "created_at": "2024-01-01T00:00:00Z",
            **extra,
        }
        self.ddb.put_item(TableName=self.sessions_table, Item={k: _SERIALIZER.serialize(v) for k, v in item.items()})
        return session_id
