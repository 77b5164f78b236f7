"""What a running local server serves and where: written at start, read by `demo` and `loadtest`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "run.json"


class NotRunning(Exception):
    pass


@dataclass(frozen=True)
class RunInfo:
    api_url: str
    dynamodb_endpoint: str
    embedded_store: bool  # our own store, which takes any credentials
    region: str
    tables: dict[str, str]  # the template's logical id -> the local table name
    pid: int  # the server's process; its workers are its children

    def write(self, data_dir: Path) -> None:
        (data_dir / FILE_NAME).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, data_dir: Path) -> RunInfo:
        try:
            return cls(**json.loads((data_dir / FILE_NAME).read_text()))
        except FileNotFoundError:
            raise NotRunning(f"no local server runs with data in {data_dir}: start one with `make run`") from None

    @staticmethod
    def remove(data_dir: Path) -> None:
        (data_dir / FILE_NAME).unlink(missing_ok=True)
