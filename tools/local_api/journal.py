"""An append-only file of DynamoDB write requests: the embedded store's durable copy.

One JSON line per request. A line is fsync'ed before the request's response leaves, so a write
that got a 2xx is on disk. A process killed mid-append leaves at most a torn last line, which
belongs to a request that never got its response and is dropped on reading. A rewrite replaces
the whole file atomically: a process killed during one leaves the old journal or the new one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


class CorruptJournal(Exception):
    pass


@dataclass(frozen=True)
class Entry:
    """One DynamoDB request: the region it ran in (the store's shared one; kept for older
    journals), the operation (`PutItem`) and the JSON body."""

    region: str
    operation: str
    body: dict[str, Any]

    def line(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = path.stat().st_size if path.exists() else 0  # bytes, kept current by writes
        self._file: Any = None

    def read(self) -> list[Entry]:
        if not self.path.exists():
            return []
        lines = self.path.read_bytes().split(b"\n")
        # The last element is b"" after a complete line, or a torn line from a killed process.
        entries = []
        for number, line in enumerate(lines[:-1], start=1):
            try:
                entries.append(Entry(**json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise CorruptJournal(f"{self.path}:{number}: not a journal entry ({exc})") from None
        return entries

    def rewrite(self, entries: Iterable[Entry]) -> None:
        """Replace the whole journal, atomically: a crash leaves either the old or the new one."""
        self.close()
        temporary = self.path.with_suffix(".tmp")
        try:
            with temporary.open("wb") as file:
                size = sum(file.write(entry.line()) for entry in entries)
                file.flush()
                os.fsync(file.fileno())
            temporary.replace(self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)  # the old journal stands; leave no half copy beside it
            raise
        self.size = size
        _fsync_directory(self.path.parent)

    def append(self, entry: Entry) -> None:
        """Returns once the whole entry is on disk. If it cannot be (disk full, file too large),
        the file is cut back to where the entry began, so no half line stays behind, and the
        OSError goes to the caller."""
        if self._file is None:
            self._file = self.path.open("ab", buffering=0)
        fd = self._file.fileno()
        start = os.fstat(fd).st_size
        line = entry.line()
        pending = memoryview(line)
        try:
            while pending:  # an unbuffered write may take only part of what it is given
                pending = pending[self._file.write(pending) :]
            os.fsync(fd)
        except OSError:
            os.ftruncate(fd, start)
            raise
        self.size = start + len(line)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _fsync_directory(directory: Path) -> None:
    """Makes a rename durable: the directory entry is data too."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
