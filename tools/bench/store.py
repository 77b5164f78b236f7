"""The benchmark's DynamoDB: moto's server on 127.0.0.1, the template's tables, the events' client.

One server for the whole run; every measured process talks to it over loopback, one process at a
time (moto's backend is not thread-safe, and nothing here needs it to be). The clients table is
reset to its seeded state before each process, so every cold start and every warm run starts
from the same data: the registered client the events name, its guards, and a page of sessions;
the idempotency table is emptied.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from tools.bench.scenarios import CLIENT_ID, PASSWORD, ROOT, SESSIONS
from tools.local_api.template import Template, create_table_kwargs

REGION = "eu-central-1"
CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench", "aws_session_token": "bench"}


@dataclass
class BenchStore:
    server: ThreadedMotoServer
    ddb: Any
    tables: dict[str, str]  # table variable (CLIENTS_TABLE) -> table name
    _seeded: list[dict[str, Any]]

    @classmethod
    def start(cls, template: Template) -> BenchStore:
        """Serve the template's tables under their logical ids, as `sam local` names them."""
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        ddb = boto3.client("dynamodb", endpoint_url=f"http://{host}:{port}", region_name=REGION, **CREDENTIALS)
        for logical_id, definition in template.tables().items():
            ddb.create_table(**create_table_kwargs(definition, logical_id))
        store = cls(server, ddb, template.table_variables(), [])
        store._seed()
        return store

    @property
    def endpoint(self) -> str:
        return self.ddb.meta.endpoint_url

    def reset(self) -> None:
        """The clients table exactly as seeded, the idempotency table empty (a key a process sent
        must not be a replay in the next); the sessions table is never written."""
        table = self.tables["CLIENTS_TABLE"]
        seeded = {item["client_id"]["S"] for item in self._seeded}
        for item in self._scan(table):
            if item["client_id"]["S"] not in seeded:
                self.ddb.delete_item(TableName=table, Key={"client_id": item["client_id"]})
        for item in self._seeded:
            self.ddb.put_item(TableName=table, Item=item)
        records = self.tables["IDEMPOTENCY_TABLE"]
        for item in self._scan(records):
            self.ddb.delete_item(TableName=records, Key={"id": item["id"]})

    def stop(self) -> None:
        self.server.stop()

    def _seed(self) -> None:
        """The events' client, registered through the layer's own repository (items, guards and
        hash exactly as our code writes them), and sessions as the platform writes them."""
        sys.path.insert(0, str(ROOT / "layers" / "common"))
        from clients_api.models import StoredClient
        from clients_api.passwords import hash_password
        from clients_api.repository import ClientRepository, Table

        client = StoredClient(
            client_id=CLIENT_ID,
            first_name="имя",
            last_name="фамилия",
            email="pochta@mail.ru",
            phone="+79092479999",
            additional_info="я люблю собак",
            registered_at=datetime(2024, 2, 25, 3, 14, 7, tzinfo=UTC),
            password_hash=hash_password(PASSWORD),
        )
        ClientRepository(Table(self.tables["CLIENTS_TABLE"], self.ddb), self.tables["ERASURES_TABLE"]).create(client)
        for day in range(1, SESSIONS + 1):
            session = {
                "session_id": f"00000000-0000-4000-8000-{day:012d}",
                "client_id": CLIENT_ID,
                "spot_id": "11111111-1111-4111-8111-111111111111",
                "status": "проведена",
                "starts_at": f"2024-01-{day:02d}T10:00:00Z",
                "created_at": "2023-12-01T00:00:00Z",
            }
            item = {name: {"S": value} for name, value in session.items()} | {"cost": {"N": "3000.5"}}
            self.ddb.put_item(TableName=self.tables["SESSIONS_TABLE"], Item=item)
        self._seeded = self._scan(self.tables["CLIENTS_TABLE"])

    def _scan(self, table: str) -> list[dict[str, Any]]:
        items, kwargs = [], {"TableName": table, "ConsistentRead": True}
        while True:
            page = self.ddb.scan(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
