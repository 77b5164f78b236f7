"""`make run`: the store, the tables and the gateway, wired together and served until Ctrl+C.

The functions are pointed at the store the way a `sam local start-api --env-vars` file would:
`AWS_ENDPOINT_URL_DYNAMODB`, declared in the template, is overridden for every function.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.local.docker.exceptions import ProcessSigTermException

from tools.local_api import issuer
from tools.local_api.gateway import LocalApiGateway
from tools.local_api.gateway_responses import GatewayResponses
from tools.local_api.run_info import RunInfo
from tools.local_api.runtime import ProcessRuntime
from tools.local_api.store import EmbeddedDynamoDB
from tools.local_api.template import ROOT, Template, create_table_kwargs

LOG = logging.getLogger("clients_api.local")
# Set (non-empty) in the shell, it replaces the embedded store everywhere: DynamoDB Local, AWS.
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB"
OPENAPI = ROOT / "openapi.json"
# The layer's requirements installed for this machine (`make layer-site`): what functions import
# beside their code, as on Lambda, and not the dev tools of .venv (an import that works here
# must work there).
LAYER_SITE = ROOT / ".venv" / "layer-site"
_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class TablesMissing(Exception):
    pass


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    data_dir: Path
    fresh: bool
    workers: int
    idle_seconds: float
    auth: str = "jwt"
    function_logs: bool = False

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def template_parameters(self) -> dict[str, str]:
        """The template's auth parameters for a local run: the local issuer stands in for the
        OIDC provider, its key set served by this server."""
        return {
            "AuthMode": self.auth,
            "JwtIssuer": issuer.ISSUER,
            "JwtAudience": issuer.AUDIENCE,
            "JwksUrl": f"{self.api_url}{issuer.JWKS_PATH}",
        }


@dataclass(frozen=True)
class Tables:
    """The tables as the functions see them: one region, one local name per template table."""

    region: str
    names: dict[str, str]  # logical id -> table name
    credentials: dict[str, str]


def serve(options: ServeOptions) -> None:
    template = Template.load(parameters=options.template_parameters())
    local_issuer = issuer.LocalIssuer(options.data_dir / "issuer")
    options.data_dir.mkdir(parents=True, exist_ok=True)
    external = os.environ.get(ENDPOINT_VARIABLE)  # empty means unset, as for botocore
    if external:
        store, endpoint = None, external
        if options.fresh:
            LOG.warning("FRESH empties the embedded store only; %s is left as it is", external)
    else:
        store = EmbeddedDynamoDB(options.data_dir, fresh=options.fresh)
        endpoint = store.endpoint
    if not LAYER_SITE.is_dir():
        raise FileNotFoundError(f"{LAYER_SITE} is missing: start the server with `make run`")
    runtime = ProcessRuntime(
        template.root,
        LAYER_SITE,
        workers=options.workers,
        idle_seconds=options.idle_seconds,
        function_logs=options.function_logs,
    )
    runner = local_runner(template, runtime, endpoint)
    try:
        tables = prepare_tables(template, runner, endpoint)
        gateway = LocalApiGateway(
            template.api(),
            runner,
            host=options.host,
            port=options.port,
            openapi=OPENAPI,
            gateway_responses=GatewayResponses(template.gateway_responses()),
            key_set=local_issuer.jwks,
            authorizer_cache_seconds=template.authorizer_cache_seconds(),
        )
        gateway.create()
        api_url = options.api_url
        RunInfo(api_url, endpoint, store is not None, tables.region, tables.names, os.getpid()).write(options.data_dir)
        _announce(gateway, api_url, endpoint, store is not None, options)
        gateway.run()
    except (KeyboardInterrupt, ProcessSigTermException):
        pass  # Ctrl+C or SIGTERM: a normal stop
    finally:
        RunInfo.remove(options.data_dir)
        runtime.stop()
        if store is not None:
            store.stop()
        LOG.info("stopped")


def create_tables(endpoint: str) -> Tables:
    """The template's tables at `endpoint`, for `sam local start-api` users (see README)."""
    template = Template.load()
    return prepare_tables(template, local_runner(template, ProcessRuntime(template.root), endpoint), endpoint)


def local_runner(template: Template, runtime: ProcessRuntime, endpoint: str) -> LocalLambdaRunner:
    """sam-cli's own runner: it finds functions and resolves their environment as `sam local`
    does (template values, then declared variables set in the shell, then these overrides)."""
    root = str(template.root)
    return LocalLambdaRunner(
        local_runtime=runtime,
        function_provider=template.functions(),
        cwd=root,
        real_path=root,
        env_vars_values={"Parameters": {ENDPOINT_VARIABLE: endpoint}},
    )


def prepare_tables(template: Template, runner: LocalLambdaRunner, endpoint: str) -> Tables:
    """Create the template's tables under the names the functions will use, in their region.
    On AWS itself tables come from a deployed stack: they are only checked there."""
    tables = _tables_seen_by_functions(template, runner)
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=tables.region,
        aws_access_key_id=tables.credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=tables.credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=tables.credentials.get("AWS_SESSION_TOKEN"),
    )
    on_aws = (urlsplit(endpoint).hostname or "").endswith(".amazonaws.com")
    existing = set(_table_names(client))
    missing = {logical_id: name for logical_id, name in tables.names.items() if name not in existing}
    if missing and on_aws:
        raise TablesMissing(
            f"{', '.join(missing.values())} not found at {endpoint}: set {', '.join(_variables(template, missing))}"
            " to your stack's table names"
        )
    definitions = template.tables()
    for logical_id, name in missing.items():
        client.create_table(**create_table_kwargs(definitions[logical_id], name))
        LOG.info("created table %s (%s) at %s", name, logical_id, endpoint)
    return tables


def _tables_seen_by_functions(template: Template, runner: LocalLambdaRunner) -> Tables:
    """The tables the functions name, by logical id. A function may name only some of them (the
    idempotency table is registration's alone), but never another name for one, or another region."""
    variables = template.table_variables()
    regions: set[str] = set()
    seen: set[tuple[str, str]] = set()
    env: dict[str, str] = {}
    for function in template.functions().get_all():
        env = runner.get_invoke_config(function).env_vars.resolve()
        regions.add(env["AWS_REGION"])
        seen |= {(variables[name], env[name]) for name in variables if name in env}
    names = dict(seen)
    if len(regions) != 1 or len(names) != len(seen):
        raise ValueError(f"functions disagree on region or table names, which local runs cannot serve: {seen}")
    credentials = {k: v for k, v in env.items() if k in _CREDENTIALS}
    return Tables(regions.pop(), names, credentials)


def _table_names(client: Any) -> list[str]:
    return [name for page in client.get_paginator("list_tables").paginate() for name in page["TableNames"]]


def _variables(template: Template, tables: dict[str, str]) -> list[str]:
    return sorted(name for name, logical_id in template.table_variables().items() if logical_id in tables)


def _announce(gateway: LocalApiGateway, api_url: str, endpoint: str, embedded: bool, options: ServeOptions) -> None:
    for route in sorted(gateway.api.routes, key=lambda r: (r.path, r.methods)):
        methods = ",".join(m for m in route.methods if m != "OPTIONS")  # CORS preflights: the gateway's
        LOG.info("%-7s %s%s -> %s", methods, api_url, route.path, route.function_name)
    if embedded:
        LOG.info(
            "DynamoDB: embedded at %s, data kept in %s/ (start empty: make run FRESH=1)", endpoint, options.data_dir
        )
    else:
        LOG.info("DynamoDB: %s (from %s)", endpoint, ENDPOINT_VARIABLE)
    if options.auth == "jwt":
        LOG.info("Auth: bearer tokens of the local issuer: make -s token SERVICE=1, make -s token CLIENT_ID=<id>")
    else:
        LOG.warning("Auth: none (AUTH=none): every caller may read and change every client")
    LOG.info("API on %s, docs at %s/docs; demo data: make demo; Ctrl+C stops", api_url, api_url)
