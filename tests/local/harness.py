"""The local server as a black box: started in a process of its own, driven over real HTTP."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.support.replies import HttpResult as Reply
from tools.local_api.issuer import LocalIssuer

ROOT = Path(__file__).resolve().parents[2]
TOOL = (sys.executable, "-m", "tools.local_api")
STARTUP_SECONDS = 60
SERVICE = object()  # `call(token=SERVICE)`: a service's token of the server's local issuer


def hermetic_env() -> dict[str, str]:
    """A developer's shell, minus anything of this machine's: no AWS profile, no table names."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(Path.home()),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "SAM_CLI_TELEMETRY": "0",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalServer:
    """`python -m tools.local_api serve` on a free port, its output in `log`; stopped when its
    `with` block ends, however the test ended. `env` adds to the shell it starts in."""

    def __init__(
        self,
        data_dir: Path,
        *,
        fresh: bool = False,
        auth: str = "jwt",
        options: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.issuer = LocalIssuer(data_dir / "issuer")  # the one the server trusts
        self.port = free_port()
        self.log = data_dir.parent / f"{data_dir.name}-{self.port}.log"
        options = [
            "--port",
            str(self.port),
            "--data-dir",
            str(data_dir),
            "--auth",
            auth,
            *(["--fresh"] if fresh else []),
            *options,
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command)
                [*TOOL, "serve", *options], cwd=ROOT, env=hermetic_env() | dict(env or {}), stdout=log, stderr=log
            )
        self._wait_until_serving()

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        token: str | object | None = SERVICE,
    ) -> Reply:
        """One request; as a service unless `token` names another bearer token (None: none)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = None if body is None else json.dumps(body, ensure_ascii=False).encode()
            all_headers = {"Content-Type": "application/json"} if payload is not None else {}
            if token is not None:
                bearer = self.issuer.token(service=True) if token is SERVICE else token
                all_headers["Authorization"] = f"Bearer {bearer}"
            url = f"{path}?{urlencode(query)}" if query else path
            connection.request(method, url, body=payload, headers=all_headers | (headers or {}))
            response = connection.getresponse()
            return Reply(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode("utf-8")
            )
        finally:
            connection.close()

    def raw_get(self, target: bytes) -> Reply:
        """A GET whose request target is sent byte for byte, as curl sends `?status=проведена`
        (http.client would refuse anything but ASCII)."""
        token = self.issuer.token(service=True)
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as connection:
            connection.sendall(
                b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                b"Authorization: Bearer " + token.encode() + b"\r\n\r\n"
            )
            response = http.client.HTTPResponse(connection)
            response.begin()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode())

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def run_tool(self, *args: str, stdout: bool = False) -> str:
        """Another `python -m tools.local_api` command, against this server's data dir: what it
        printed on stderr (its log), or on stdout."""
        done = subprocess.run(  # noqa: S603 (our own command)
            [*TOOL, *args, "--data-dir", str(self.data_dir)],
            cwd=ROOT,
            env=hermetic_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout if stdout else done.stderr

    def output(self) -> str:
        return self.log.read_text()

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind runs."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM, as `kill` sends it: the server stops its workers and its store. A server that
        already exited is left as it is."""
        self.process.terminate()
        self.process.wait(timeout=30)

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the local server exited with {self.process.returncode}:\n{self.output()}")
            try:
                if self.call("GET", "/openapi.json").status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise TimeoutError(f"the local server did not answer within {STARTUP_SECONDS} s:\n{self.output()}")


def children(pid: int) -> list[int]:
    """The processes `pid` started (Linux: read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """Alive, not a zombie waiting for its parent."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
