"""The embedded DynamoDB's journal: what is acknowledged is replayed, compacted, never half-read."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

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

    def start(self, *, fresh: bool = False, region: str = "eu-central-1") -> Any:
        self.server = EmbeddedDynamoDB(self.data_dir, fresh=fresh)
        self.client = self.new_client(region=region)
        return self.client

    def new_client(self, *, region: str = "eu-central-1", config: Config | None = None) -> Any:
        return boto3.client(
            "dynamodb",
            endpoint_url=self.server.endpoint,  # type: ignore[union-attr]
            region_name=region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=config,
        )

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


def test_one_database_whatever_region_a_caller_signs_for_even_across_restarts(store: Store) -> None:
    client = store.start(region="eu-central-1")
    client.create_table(**TABLE)
    client.put_item(TableName="things", Item={"id": {"S": "one"}})
    store.stop()

    client = store.start(region="us-west-2")

    assert client.get_item(TableName="things", Key={"id": {"S": "one"}})["Item"] == {"id": {"S": "one"}}


class StingyDisk:
    """A journal file that takes a few bytes per write, then, once `room` is used up, refuses
    with ENOSPC: what a full disk or a file-size limit does to an unbuffered write."""

    def __init__(self, real: Any, room: int) -> None:
        self.real, self.room = real, room

    def write(self, data: Any) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = self.real.write(bytes(data[: min(7, self.room)]))
        self.room -= written
        return written

    def fileno(self) -> int:
        return self.real.fileno()

    def close(self) -> None:
        self.real.close()


def journal_on(store: Store, room: int) -> None:
    journal = store.server.app._journal  # type: ignore[union-attr]
    journal._file = StingyDisk(journal.path.open("ab", buffering=0), room)


def test_a_write_taken_a_few_bytes_at_a_time_is_journaled_whole(store: Store) -> None:
    client = store.start()
    client.create_table(**TABLE)
    journal_on(store, room=10_000)

    client.put_item(TableName="things", Item={"id": {"S": "piecemeal"}, "text": {"S": "x" * 300}})
    store.stop()

    assert store.start().get_item(TableName="things", Key={"id": {"S": "piecemeal"}})["Item"]["text"]["S"] == "x" * 300


def test_a_write_the_disk_refuses_is_a_500_and_the_store_stops_serving(store: Store) -> None:
    client = store.start()
    client.create_table(**TABLE)
    client.put_item(TableName="things", Item={"id": {"S": "kept"}})
    size = store.journal.stat().st_size
    journal_on(store, room=20)
    client = store.new_client(config=Config(retries={"total_max_attempts": 1}))

    with pytest.raises(ClientError) as refused:
        client.put_item(TableName="things", Item={"id": {"S": "lost"}})
    assert refused.value.response["Error"]["Code"] == "InternalServerError"
    assert store.journal.stat().st_size == size  # no half line left behind
    with pytest.raises(ClientError):
        client.get_item(TableName="things", Key={"id": {"S": "lost"}})  # never served from memory
    store.stop()

    store.start()
    assert store.count() == 1
