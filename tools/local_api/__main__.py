"""`python -m tools.local_api [serve|demo|loadtest|openapi|tables|expand]`: the local API and its helpers."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tools.local_api.console import ConsoleFormatter, printable
from tools.local_api.runtime import DEFAULT_IDLE_SECONDS, DEFAULT_WORKERS
from tools.local_api.template import ROOT

if TYPE_CHECKING:
    from tools.local_api.demo import DemoStore
    from tools.local_api.run_info import RunInfo

# What `make run AUTH=...` may choose: the local issuer's tokens, or no check. SigV4 (iam) is
# API Gateway's own check, which nothing local reproduces.
AUTH_MODES = ("jwt", "none")

DATA_DIR = ROOT / ".local"


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        argv = ["serve", *argv]  # serving is what a bare `python -m tools.local_api` means
    args = _parser().parse_args(argv)
    console = logging.StreamHandler()
    console.setFormatter(ConsoleFormatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    logging.basicConfig(level=logging.INFO, handlers=[console])
    for noisy in ("werkzeug", "samcli", "botocore"):  # their chatter would drown our line per request
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return args.run(args)


def _serve(args: argparse.Namespace) -> int:
    from tools.local_api.journal import CorruptJournal
    from tools.local_api.server import ServeOptions, TablesMissing, serve
    from tools.local_api.store import ReplayFailed, StoreBusy

    try:
        serve(
            ServeOptions(
                host=args.host,
                port=args.port,
                data_dir=args.data_dir,
                fresh=args.fresh,
                workers=args.workers,
                idle_seconds=args.idle_seconds,
                auth=args.auth,
                function_logs=args.function_logs,
            )
        )
    except (StoreBusy, TablesMissing) as exc:
        print(printable(str(exc)), file=sys.stderr)
        return 1
    except (CorruptJournal, ReplayFailed) as exc:  # they quote the stored data
        print(
            f"{printable(str(exc))}\nThe stored data cannot be restored; `make run FRESH=1` deletes it.",
            file=sys.stderr,
        )
        return 1
    return 0


def _import_the_layer_quietly() -> None:
    """The demo client goes through the layer's own registration: the layer must be importable,
    and its logger kept off stdout, which carries the answer alone (`DEMO=$(make -s demo)`)."""
    sys.path.insert(0, str(ROOT / "layers" / "common"))
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


def _demo(args: argparse.Namespace) -> int:
    _import_the_layer_quietly()
    from tools.local_api.demo import load_demo

    try:
        store = _demo_store(args.data_dir)
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(load_demo(store))
    return 0


def _demo_store(data_dir: Path) -> DemoStore:
    """The store `make run` serves, or else the DynamoDB at $AWS_ENDPOINT_URL_DYNAMODB (its
    tables created if missing, named as sam names them)."""
    from tools.local_api.demo import DemoStore
    from tools.local_api.run_info import NotRunning, RunInfo
    from tools.local_api.server import ENDPOINT_VARIABLE, create_tables

    try:
        return _served_store(RunInfo.read(data_dir))
    except NotRunning:
        endpoint = os.environ.get(ENDPOINT_VARIABLE)
        if not endpoint:
            raise LookupError(f"start `make run`, or set {ENDPOINT_VARIABLE} to the DynamoDB to load") from None
        tables = create_tables(endpoint)
        return DemoStore(endpoint, tables.region, tables.names, tables.credentials)


def _served_store(info: RunInfo) -> DemoStore:
    """The store a running `make run` serves, as `info` describes it."""
    from tools.local_api.demo import DemoStore

    # The embedded store takes any credentials; another store gets the caller's own.
    local = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    credentials = local if info.embedded_store else {}
    return DemoStore(info.dynamodb_endpoint, info.region, info.tables, credentials, info.api_url)


def _token(args: argparse.Namespace) -> int:
    from tools.local_api.issuer import LocalIssuer

    if args.service == (args.client_id is not None):
        print("name a client (--client-id <id>) or ask for a service token (--service)", file=sys.stderr)
        return 2
    print(LocalIssuer(args.data_dir / "issuer").token(client_id=args.client_id, service=args.service))
    return 0


def _loadtest(args: argparse.Namespace) -> int:
    from tools.local_api.issuer import LocalIssuer
    from tools.local_api.loadtest import run
    from tools.local_api.run_info import NotRunning, RunInfo

    _import_the_layer_quietly()  # it loads the demo client to read
    try:
        token = LocalIssuer(args.data_dir / "issuer").token(service=True)
        info = RunInfo.read(args.data_dir)
        print(run(info, _served_store(info), token, args.callers, args.requests))
    except NotRunning as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _tables(args: argparse.Namespace) -> int:
    from tools.local_api.server import ENDPOINT_VARIABLE, TablesMissing, create_tables

    endpoint = os.environ.get(ENDPOINT_VARIABLE)
    if not endpoint:
        print(f"set {ENDPOINT_VARIABLE} to the DynamoDB to create the tables in", file=sys.stderr)
        return 2
    try:
        tables = create_tables(endpoint)
    except TablesMissing as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{', '.join(tables.names.values())} ready at {endpoint} ({tables.region})")
    return 0


def _expand(args: argparse.Namespace) -> int:
    from tools.local_api.template import expand

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(expand(), indent=1))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.local_api", description=__doc__)
    commands = parser.add_subparsers(required=True)

    serve = commands.add_parser("serve", help="serve the whole API from template.yaml (the default)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--data-dir", type=Path, default=DATA_DIR, help="where the embedded DynamoDB keeps its data")
    serve.add_argument("--fresh", action="store_true", help="start with an empty embedded DynamoDB")
    serve.add_argument("--auth", choices=AUTH_MODES, default="jwt", help="the template's AuthMode (default: jwt)")
    serve.add_argument(
        "--function-logs", action="store_true", help="show the functions' JSON log lines and metrics too"
    )
    serve.add_argument(
        "--workers",
        type=_positive(int),
        default=DEFAULT_WORKERS,
        help="worker processes per function at most; more concurrent requests wait (default %(default)s)",
    )
    serve.add_argument(
        "--idle-seconds",
        type=_positive(float),
        default=DEFAULT_IDLE_SECONDS,
        help="a worker idle this long is stopped; the next request starts cold (default %(default)s)",
    )
    serve.set_defaults(run=_serve)

    token = commands.add_parser("token", help="print a bearer token of the local issuer")
    token.add_argument("--client-id", help="a client's token: it may act on this client only")
    token.add_argument("--service", action="store_true", help="a service's token: it may do everything")
    token.add_argument("--data-dir", type=Path, default=DATA_DIR)
    token.set_defaults(run=_token)

    demo = commands.add_parser("demo", help="load a demo client with sessions into the running server")
    demo.add_argument("--data-dir", type=Path, default=DATA_DIR)
    demo.set_defaults(run=_demo)

    loadtest = commands.add_parser(
        "loadtest", help="requests/s and memory of the running server at 1, 4 and 40 concurrent callers"
    )
    loadtest.add_argument("--data-dir", type=Path, default=DATA_DIR)
    loadtest.add_argument("--callers", type=_positive(int), nargs="+", default=[1, 4, 40])
    loadtest.add_argument("--requests", type=_positive(int), default=400, help="per number of callers")
    loadtest.set_defaults(run=_loadtest)

    tables = commands.add_parser("tables", help="create the template's tables at $AWS_ENDPOINT_URL_DYNAMODB")
    tables.set_defaults(run=_tables)

    expand = commands.add_parser(
        "expand", help="write template.yaml as sam expands it (Fn::ForEach unrolled), for scanners that cannot"
    )
    expand.add_argument("--output", type=Path, default=ROOT / ".aws-sam" / "expanded.json")
    expand.set_defaults(run=_expand)
    return parser


def _positive[Number: (int, float)](kind: type[Number]) -> Callable[[str], Number]:
    def parse(text: str) -> Number:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names it in "invalid float value: 'x'"
    return parse


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
