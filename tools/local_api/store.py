"""The embedded DynamoDB: moto's DynamoDB on 127.0.0.1, made durable by a write-ahead journal.

moto keeps tables in memory. Every request that may change them is appended to the journal
(journal.py) and fsync'ed before its 2xx response is sent, so a write the caller saw succeed
survives even `kill -9`. On start the journal is replayed, then compacted into the tables'
current items; it is compacted again whenever it has grown well past them (see `Compaction`), so
its size follows the live data, not the number of writes. Requests run one at a time: moto's
DynamoDB backend is not thread-safe.
"""

from __future__ import annotations

import fcntl
import io
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.backends import get_backend
from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tools.local_api.journal import Entry, Journal

LOG = logging.getLogger(__name__)
_TARGET_PREFIX = "DynamoDB_20120810."
# One database whatever region a caller signs for, as DynamoDB Local's -sharedDb: moto keeps a
# store per region, and data written under one AWS_REGION must not vanish under another.
_SHARED_REGION = "us-east-1"
# What every request gets once the journal failed: DynamoDB's own 500 (botocore retries it, then
# the functions answer 503).
_JOURNAL_FAILED = (
    "500 Internal Server Error",
    [("Content-Type", "application/x-amz-json-1.0")],
    json.dumps(
        {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError", "message": "local journal failed"}
    ).encode(),
)
_CREDENTIAL_REGION = re.compile(r"(Credential=[^/,]*/[^/,]*/)[^/,]*")
# Operations that never change data; anything else (including operations added to DynamoDB
# later) is journaled.
_READ_ONLY_PREFIXES = ("Get", "BatchGet", "TransactGet", "Query", "Scan", "Describe", "List")
# Operations that change items, not tables: compaction replaces them with the items they left.
_ITEM_WRITES = frozenset(
    {
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "TransactWriteItems",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "ExecuteTransaction",
    }
)
_BATCH_WRITE_MAX = 25

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class ReplayFailed(Exception):
    pass


class StoreBusy(Exception):
    pass


@dataclass(frozen=True)
class Compaction:
    """When the running store rewrites its journal as the tables' current items: once the journal
    is larger than both `min_bytes` and `growth` times its size after the last compaction. Each
    compaction reads every table, so it runs rarely, and its cost spreads over the writes since
    the last one; the journal stays within `growth` times the live data (or `min_bytes`).

    Replaying a journaled write at start takes about 1 ms here (a compacted item far less): 1 MiB
    of writes, some 2,500, restarts in a few seconds."""

    min_bytes: int = 1 << 20
    growth: int = 2

    def due(self, size: int, compacted_size: int) -> bool:
        return size > max(self.min_bytes, self.growth * compacted_size)


DEFAULT_COMPACTION = Compaction()


class JournaledDynamoDB:
    """A WSGI app: moto's DynamoDB, one request at a time, writes journaled before they answer."""

    def __init__(self, journal: Journal, compaction: Compaction = DEFAULT_COMPACTION) -> None:
        self._moto = create_backend_app("dynamodb")
        self._journal = journal
        self._compaction = compaction
        self._compacted_size = 0
        # The journaled operations that change tables, not items, in their order: a compaction
        # writes them first, then the items.
        self._schema: list[Entry] = []
        self._lock = threading.Lock()
        self._failed = False

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(_TARGET_PREFIX):
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"This store speaks the DynamoDB API only (X-Amz-Target: DynamoDB_20120810.*).\n"]
        operation = target.removeprefix(_TARGET_PREFIX)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["HTTP_AUTHORIZATION"] = _CREDENTIAL_REGION.sub(
            rf"\g<1>{_SHARED_REGION}", environ.get("HTTP_AUTHORIZATION", ""), count=1
        )
        with self._lock:
            if self._failed:
                status, headers, payload = _JOURNAL_FAILED
            else:
                status, headers, payload = self._call_moto(environ)
                if status.startswith("2") and not operation.startswith(_READ_ONLY_PREFIXES):
                    entry = Entry(_SHARED_REGION, operation, json.loads(body or b"{}"))
                    try:
                        self._journal.append(entry)
                    except OSError:
                        # moto now holds a write the disk does not: serve nothing more (fail-stop)
                        # rather than answer reads with data a restart would lose.
                        LOG.exception("DynamoDB store: the journal cannot be written; restart when fixed")
                        self._failed = True
                        status, headers, payload = _JOURNAL_FAILED
                    else:
                        self._journaled(entry)
        start_response(status, headers)
        return [payload]

    def restore(self) -> int:
        """Replay the journal, then compact it to the schema operations and the current items.
        Returns the number of items restored."""
        # moto's tables live in module globals: start from the journal alone, whatever ran before.
        get_backend("dynamodb").reset()
        entries = self._journal.read()
        for number, entry in enumerate(entries, start=1):
            status, payload = self._request(entry)
            if not status.startswith("2"):
                raise ReplayFailed(f"{self._journal.path}:{number}: {entry.operation} answered {status}: {payload}")
        self._schema = [entry for entry in entries if entry.operation not in _ITEM_WRITES]
        return self._compact()

    def close(self) -> None:
        with self._lock:
            self._journal.close()

    def _journaled(self, entry: Entry) -> None:
        """What follows a write that is on disk: keep a table operation for later compactions,
        and compact when it is time. The write is safe in the journal whatever happens here."""
        if entry.operation not in _ITEM_WRITES:
            self._schema.append(entry)
        if not self._compaction.due(self._journal.size, self._compacted_size):
            return
        before = self._journal.size
        try:
            items = self._compact()
        except (OSError, ReplayFailed):
            # The old journal is complete and still in place: keep serving from it, and try again
            # once it has grown as much again.
            LOG.exception("DynamoDB store: compacting the journal failed; it is kept as it was")
            self._compacted_size = self._journal.size
            return
        LOG.info("DynamoDB store: journal compacted from %d to %d bytes (%d items)", before, self._journal.size, items)

    def _compact(self) -> int:
        """Rewrite the journal as the table operations, then every current item. Returns the
        number of items."""
        # Table operations keep their order; items come after them. (This assumes no table
        # operation depends on items, e.g. CreateBackup: nothing here uses those.)
        items = list(self._snapshot())
        self._journal.rewrite(self._schema + items)
        self._compacted_size = self._journal.size
        return sum(len(writes) for entry in items for writes in entry.body["RequestItems"].values())

    def _call_moto(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        app_iter, status, headers = run_wsgi_app(self._moto, environ)
        try:
            payload = b"".join(app_iter)
        finally:
            getattr(app_iter, "close", lambda: None)()
        return status, list(headers.to_wsgi_list()), payload

    def _request(self, entry: Entry) -> tuple[str, Any]:
        """Send one request to moto in-process, in the shared region (journals written before it
        was shared name other regions: their data joins the one database)."""
        environ = EnvironBuilder(
            method="POST",
            path="/",
            data=json.dumps(entry.body),
            headers={
                "X-Amz-Target": _TARGET_PREFIX + entry.operation,
                "Content-Type": "application/x-amz-json-1.0",
                "Authorization": f"AWS4-HMAC-SHA256 Credential=local/20000101/{_SHARED_REGION}/dynamodb/aws4_request",
            },
        ).get_environ()
        status, _, payload = self._call_moto(environ)
        return status, json.loads(payload or b"{}")

    def _snapshot(self) -> Iterator[Entry]:
        """Every item of every table, as BatchWriteItem requests."""
        for table in self._paginate("ListTables", {}, "TableNames", "LastEvaluatedTableName"):
            scan = {"TableName": table, "ConsistentRead": True}
            items = list(self._paginate("Scan", scan, "Items", "LastEvaluatedKey"))
            for start in range(0, len(items), _BATCH_WRITE_MAX):
                chunk = items[start : start + _BATCH_WRITE_MAX]
                requests = [{"PutRequest": {"Item": item}} for item in chunk]
                yield Entry(_SHARED_REGION, "BatchWriteItem", {"RequestItems": {table: requests}})

    def _paginate(self, operation: str, body: dict[str, Any], key: str, cursor: str) -> Iterator[Any]:
        start_key = {"LastEvaluatedTableName": "ExclusiveStartTableName", "LastEvaluatedKey": "ExclusiveStartKey"}
        while True:
            status, page = self._request(Entry(_SHARED_REGION, operation, body))
            if not status.startswith("2"):
                raise ReplayFailed(f"{operation} answered {status}: {page}")
            yield from page.get(key, [])
            if cursor not in page:
                return
            body = body | {start_key[cursor]: page[cursor]}


class EmbeddedDynamoDB:
    """The store, served on 127.0.0.1 from a thread of this process, its data under `data_dir`."""

    def __init__(
        self, data_dir: Path, *, fresh: bool = False, port: int = 0, compaction: Compaction = DEFAULT_COMPACTION
    ) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = (data_dir / "dynamodb.lock").open("w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusy(f"another local server already uses {data_dir}") from None
        journal = Journal(data_dir / "dynamodb.jsonl")
        if fresh:
            journal.path.unlink(missing_ok=True)
        self.app = JournaledDynamoDB(journal, compaction)
        restored = self.app.restore()
        LOG.info("DynamoDB store: %d items restored from %s", restored, data_dir)
        self._server: BaseWSGIServer = make_server("127.0.0.1", port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="dynamodb", daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self.app.close()
        self._lock_file.close()
