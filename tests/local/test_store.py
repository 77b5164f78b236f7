"""The embedded DynamoDB's journal: what is acknowledged is replayed, compacted, never half-read."""

from __future__ import annotations

import errno
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.local.harness import ROOT
from tools.local_api.journal import CorruptJournal, Entry, Journal
from tools.local_api.store import DEFAULT_COMPACTION, Compaction, EmbeddedDynamoDB, StoreBusy

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

    def start(
        self, *, fresh: bool = False, region: str = "eu-central-1", compaction: Compaction = DEFAULT_COMPACTION
    ) -> Any:
        self.server = EmbeddedDynamoDB(self.data_dir, fresh=fresh, compaction=compaction)
        self.client = self.new_client(region=region)
        return self.client

    def new_client(self, *, region: str = "eu-central-1", config: Config | None = None) -> Any:
        return client_for(self.server.endpoint, region=region, config=config)  # type: ignore[union-attr]

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def count(self) -> int:
        return self.client.scan(TableName="things", Select="COUNT")["Count"]

    @property
    def journal(self) -> Path:
        return self.data_dir / "dynamodb.jsonl"


def client_for(endpoint: str, *, region: str = "eu-central-1", config: Config | None = None) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=config,
    )


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


def add_one(client: Any, item_id: str) -> None:
    client.update_item(
        TableName="things",
        Key={"id": {"S": item_id}},
        UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )


def test_the_journal_is_compacted_while_serving_so_it_follows_the_live_data_not_the_writes(store: Store) -> None:
    client = store.start(compaction=Compaction(min_bytes=0, growth=2))
    client.create_table(**TABLE)
    for n in range(5):
        client.put_item(TableName="things", Item={"id": {"S": f"id{n}"}, "n": {"N": "0"}})
    sizes = []
    for _ in range(200):
        add_one(client, "id0")
        sizes.append(store.journal.stat().st_size)
    store.stop()

    client = store.start()
    live = store.journal.stat().st_size  # the tables' current items alone, compacted at start

    assert client.get_item(TableName="things", Key={"id": {"S": "id0"}})["Item"]["n"] == {"N": "200"}
    assert store.count() == 5
    assert max(sizes) < 3 * live  # 200 journaled updates would take several times more
    assert len(Journal(store.journal).read()) == 2


def test_table_operations_made_while_serving_survive_a_later_compaction(store: Store) -> None:
    client = store.start(compaction=Compaction(min_bytes=0, growth=2))
    client.create_table(**TABLE)
    client.create_table(**(TABLE | {"TableName": "others"}))
    client.put_item(TableName="others", Item={"id": {"S": "other"}})
    client.delete_table(TableName="things")
    client.create_table(**TABLE)
    for _ in range(50):
        add_one(client, "counter")
    store.stop()

    client = store.start()

    assert sorted(client.list_tables()["TableNames"]) == ["others", "things"]
    assert client.get_item(TableName="others", Key={"id": {"S": "other"}})["Item"] == {"id": {"S": "other"}}
    assert client.get_item(TableName="things", Key={"id": {"S": "counter"}})["Item"]["n"] == {"N": "50"}


def test_a_compaction_that_fails_keeps_the_journal_and_the_store_serving(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = store.start(compaction=Compaction(min_bytes=0, growth=2))
    client.create_table(**TABLE)
    journal = store.server.app._journal  # type: ignore[union-attr]

    def no_room(_entries: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal, "rewrite", no_room)
    for _ in range(20):
        add_one(client, "counter")  # each acknowledged, though the compactions they start fail
    monkeypatch.undo()
    store.stop()

    client = store.start()

    assert client.get_item(TableName="things", Key={"id": {"S": "counter"}})["Item"]["n"] == {"N": "20"}


def test_a_rewrite_that_fails_leaves_the_old_journal_and_no_half_copy(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "dynamodb.jsonl")
    journal.rewrite([Entry("us-east-1", "CreateTable", TABLE)])

    def entries_then_a_full_disk() -> Iterator[Entry]:
        yield Entry("us-east-1", "PutItem", {"TableName": "things", "Item": {"id": {"S": "x"}}})
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        journal.rewrite(entries_then_a_full_disk())

    assert [entry.operation for entry in journal.read()] == ["CreateTable"]
    assert list(tmp_path.iterdir()) == [journal.path]


# A store whose journal is compacted every time it doubles, and which stops dead in its
# `after_compactions + 1`-th compaction while serving, just before or just after the new journal
# replaces the old one, so that the test can kill it there.
_STORE_STOPPING_IN_A_COMPACTION = """
import sys
import threading
from pathlib import Path

from tools.local_api.store import Compaction, EmbeddedDynamoDB

data_dir, where, after_compactions = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
replace = Path.replace
compactions = -1  # the one at start is not counted


def stop_dead() -> None:
    print("compacting", flush=True)
    threading.Event().wait()


def replace_and_stop_there(self, target):
    global compactions
    if self.suffix != ".tmp":
        return replace(self, target)
    compactions += 1
    stopping = compactions > after_compactions
    if stopping and where == "before-rename":
        stop_dead()
    replaced = replace(self, target)
    if stopping and where == "after-rename":
        stop_dead()
    return replaced


Path.replace = replace_and_stop_there
store = EmbeddedDynamoDB(data_dir, compaction=Compaction(min_bytes=0, growth=2))
print(store.endpoint, flush=True)
threading.Event().wait()
"""


def writer(endpoint: str, name: str, acknowledged: set[str], attempted: set[str]) -> None:
    """Puts items until the store goes away; remembers which ones got their 2xx."""
    client = client_for(endpoint, config=Config(retries={"total_max_attempts": 1}, read_timeout=120))
    for n in range(100_000):
        item_id = f"{name}-{n}"
        attempted.add(item_id)
        try:
            client.put_item(TableName="things", Item={"id": {"S": item_id}, "pad": {"S": "x" * 200}})
        except Exception:  # the store was killed: this write never got its answer
            return
        acknowledged.add(item_id)


def write_until_a_compaction_stops(
    data_dir: Path, where: str, name: str, acknowledged: set[str], attempted: set[str]
) -> None:
    """Runs the store above, writes to it from four threads until it stops in a compaction, then
    kills it (SIGKILL)."""
    store = subprocess.Popen(  # noqa: S603 (our own script)
        [sys.executable, "-c", _STORE_STOPPING_IN_A_COMPACTION, str(data_dir), where, "3"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def forward_lines() -> None:
        for line in store.stdout:  # type: ignore[union-attr]
            lines.put(line.strip())

    threading.Thread(target=forward_lines, daemon=True).start()
    writers: list[threading.Thread] = []
    try:
        endpoint = lines.get(timeout=60)
        writers = [
            threading.Thread(target=writer, args=(endpoint, f"{name}-{n}", acknowledged, attempted)) for n in range(4)
        ]
        for thread in writers:
            thread.start()
        assert lines.get(timeout=60) == "compacting"
    finally:
        store.kill()
        store.wait()
        for thread in writers:
            thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in writers)


@pytest.mark.parametrize("where", ["before-rename", "after-rename"])
def test_every_acknowledged_write_survives_a_kill_9_in_the_middle_of_a_compaction(store: Store, where: str) -> None:
    store.start().create_table(**TABLE)
    store.stop()
    acknowledged: set[str] = set()
    attempted: set[str] = set()

    write_until_a_compaction_stops(store.data_dir, where, "first", acknowledged, attempted)
    write_until_a_compaction_stops(store.data_dir, where, "second", acknowledged, attempted)  # from what it left
    client = store.start()

    pages = client.get_paginator("scan").paginate(TableName="things", ConsistentRead=True)
    stored = {item["id"]["S"] for page in pages for item in page["Items"]}
    assert len(acknowledged) > 20
    assert acknowledged <= stored <= attempted
