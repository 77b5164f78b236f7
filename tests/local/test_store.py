"""The embedded DynamoDB's journal: what is acknowledged is replayed, compacted, never half-read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tools.local_api.journal import CorruptJournal, Journal
from tools.local_api.store import EmbeddedDynamoDB, StoreBusy

pytestmark = pytest.mark.slow

TABLE = {
    "TableName": "things",
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
}


class Store:
    """An embedded store under `data_dir` and a client for it, restartable."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.server: EmbeddedDynamoDB | None = None
        self.client: Any = None

    def start(self, *, fresh: bool = False) -> Any:
        self.server = EmbeddedDynamoDB(self.data_dir, fresh=fresh)
        self.client = boto3.client(
            "dynamodb",
            endpoint_url=self.server.endpoint,
            region_name="eu-central-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        return self.client

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def count(self) -> int:
        return self.client.scan(TableName="things", Select="COUNT")["Count"]

    @property
    def journal(self) -> Path:
        return self.data_dir / "dynamodb.jsonl"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    managed = Store(tmp_path / "data")
    yield managed
    managed.stop()


def test_writes_are_replayed_and_compacted_to_the_items_they_left(store: Store) -> None:
    client = store.start()
    client.create_table(**TABLE)
    for n in range(3):
        client.put_item(TableName="things", Item={"id": {"S": f"id{n}"}, "n": {"N": "0"}})
    for _ in range(5):
        client.update_item(
            TableName="things",
            Key={"id": {"S": "id0"}},
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    client.delete_item(TableName="things", Key={"id": {"S": "id2"}})
    client.get_item(TableName="things", Key={"id": {"S": "id1"}})  # reads are not journaled
    assert len(Journal(store.journal).read()) == 1 + 3 + 5 + 1
    store.stop()

    client = store.start()

    assert store.count() == 2
    assert client.get_item(TableName="things", Key={"id": {"S": "id0"}})["Item"]["n"] == {"N": "5"}
    assert [entry.operation for entry in Journal(store.journal).read()] == ["CreateTable", "BatchWriteItem"]


def test_a_torn_last_line_is_dropped_and_the_rest_restored(store: Store) -> None:
    store.start().create_table(**TABLE)
    store.client.put_item(TableName="things", Item={"id": {"S": "kept"}})
    store.stop()
    with store.journal.open("ab") as journal:
        journal.write(b'{"region":"eu-central-1","operation":"PutItem","body":{"TableName":"thi')

    store.start()

    assert store.count() == 1


def test_a_corrupt_line_before_the_end_stops_the_start(store: Store) -> None:
    store.start().create_table(**TABLE)
    store.stop()
    store.journal.write_bytes(b"not json\n" + store.journal.read_bytes())

    with pytest.raises(CorruptJournal, match=r"dynamodb\.jsonl:1:"):
        store.start()


def test_fresh_starts_empty(store: Store) -> None:
    store.start().create_table(**TABLE)
    store.stop()

    client = store.start(fresh=True)

    assert client.list_tables()["TableNames"] == []


def test_one_data_dir_serves_one_store_at_a_time(store: Store) -> None:
    store.start()

    with pytest.raises(StoreBusy):
        EmbeddedDynamoDB(store.data_dir)


def test_requests_for_other_services_are_refused(store: Store) -> None:
    client = store.start()
    sqs = boto3.client(
        "sqs",
        endpoint_url=store.server.endpoint,  # type: ignore[union-attr]
        region_name="eu-central-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )

    with pytest.raises(Exception, match="400"):
        sqs.list_queues()
    assert client.list_tables()["TableNames"] == []
