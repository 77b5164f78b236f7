"""template.yaml through aws-sam-cli's own providers: the one source of routes, functions and tables.

Reading it the way `sam local start-api --language-extensions` does (language extensions
expanded for the given parameters, intrinsics resolved, `!Ref` of a resource giving its logical
id) keeps the local server, the tests and the benchmark from drifting from what sam itself would
serve. Nothing reads the YAML by hand: its `Fn::ForEach` loops exist only once sam unrolls them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samcli.lib.cfn_language_extensions.sam_integration import expand_language_extensions
from samcli.lib.providers.api_provider import ApiProvider
from samcli.lib.providers.provider import Api, Stack
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.yamlhelper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
_TABLE = "AWS::DynamoDB::Table"
_FUNCTION = "AWS::Serverless::Function"
_API = "AWS::Serverless::Api"
# The parts of a table definition that shape its data; billing, backups and encryption do not
# matter to a local store.
_TABLE_SHAPE = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
)


def expand(parameters: dict[str, str] | None = None, path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as `sam build`, `sam validate` and `sam local` expand its language extensions:
    `Fn::ForEach` unrolled, parameters (these values, the others at their defaults), mappings and
    conditions resolved in its resources. What only a deployment knows stays unresolved (a `!Sub`
    naming a resource or pseudo parameter comes out as a string with its `${...}` left in), and so
    does `Globals`, which SAM's own transform reads."""
    source = yaml_parse(path.read_text())
    return expand_language_extensions(source, parameters or {}, enabled=True).expanded_template


@dataclass(frozen=True)
class ApiEvent:
    """One `Type: Api` event of a function: a route."""

    function: str  # logical id
    event: str  # the event's name in the template
    method: str  # upper case
    path: str


@dataclass(frozen=True)
class Template:
    """The root stack of template.yaml, resolved by sam-cli."""

    stack: Stack

    @classmethod
    def load(cls, path: Path = TEMPLATE, parameters: dict[str, str] | None = None) -> Template:
        """The template with these parameter values (the others at their defaults)."""
        stacks, _ = SamLocalStackProvider.get_stacks(
            str(path), parameter_overrides=parameters, language_extensions_enabled=True
        )
        return cls(stacks[0])

    @property
    def root(self) -> Path:
        return Path(self.stack.location).resolve().parent

    def functions(self) -> SamFunctionProvider:
        return SamFunctionProvider([self.stack])

    def api(self) -> Api:
        return ApiProvider([self.stack], cwd=str(self.root)).api

    def api_events(self) -> list[ApiEvent]:
        events = []
        for function, resource in self.stack.resources.items():
            if resource["Type"] != _FUNCTION:
                continue
            for name, event in (resource["Properties"].get("Events") or {}).items():
                if event["Type"] == "Api":
                    props = event["Properties"]
                    events.append(ApiEvent(function, name, props["Method"].upper(), props["Path"]))
        return events

    def gateway_responses(self) -> dict[str, Any]:
        """The API's GatewayResponses: what API Gateway answers by itself."""
        return self._api_properties().get("GatewayResponses", {})

    def authorizer_cache_seconds(self) -> dict[str, int]:
        """How long API Gateway keeps each Lambda authorizer's answer (ReauthorizeEvery, SAM's
        default 300 s), by authorizer name."""
        authorizers = (self._api_properties().get("Auth") or {}).get("Authorizers") or {}
        return {
            name: int((definition.get("Identity") or {}).get("ReauthorizeEvery", 300))
            for name, definition in authorizers.items()
        }

    def _api_properties(self) -> dict[str, Any]:
        [api] = [r for r in self.stack.resources.values() if r["Type"] == _API]
        return api["Properties"]

    def tables(self) -> dict[str, dict[str, Any]]:
        """Each DynamoDB table's definition, by logical id."""
        return {name: r["Properties"] for name, r in self.stack.resources.items() if r["Type"] == _TABLE}

    def table_variables(self) -> dict[str, str]:
        """Environment variables that name a table (`CLIENTS_TABLE: !Ref ClientsTable`), mapped to
        the table's logical id. sam resolves such a `!Ref` to the logical id, which is how we see it."""
        tables = self.tables()
        found = {}
        for function in self.functions().get_all():
            for name, value in (function.environment or {}).get("Variables", {}).items():
                if value in tables:
                    found[name] = value
        return found


def create_table_kwargs(definition: dict[str, Any], table_name: str) -> dict[str, Any]:
    """`CreateTable` arguments for a table as the template defines it."""
    return {"TableName": table_name} | {key: definition[key] for key in _TABLE_SHAPE if key in definition}
