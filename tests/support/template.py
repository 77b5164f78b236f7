"""The SAM template as data: tables and routes come from it, so tests cannot drift from it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


@cache
def template() -> dict[str, Any]:
    return yaml_parse(TEMPLATE.read_text())


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template()["Resources"].items() if r["Type"] == kind}


def create_table_kwargs(logical_id: str, table_name: str) -> dict[str, Any]:
    """`create_table` arguments for one of the template's tables, as the template defines it."""
    props = template()["Resources"][logical_id]["Properties"]
    kwargs = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }
    if "GlobalSecondaryIndexes" in props:
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    return kwargs


@dataclass(frozen=True)
class Route:
    method: str
    resource: str  # API Gateway resource path, e.g. /api/v1/clients/{client_id}
    function: str  # logical id
    code_dir: str  # functions/<name>

    @property
    def module(self) -> str:
        return self.code_dir.strip("/").replace("/", ".") + ".app"

    def match(self, path: str) -> dict[str, str] | None:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.resource))
        found = re.fullmatch(pattern, path)
        return found.groupdict() if found else None


@cache
def routes() -> tuple[Route, ...]:
    found = []
    for name, function in resources("AWS::Serverless::Function").items():
        props = function["Properties"]
        for event in props.get("Events", {}).values():
            if event["Type"] == "Api":
                p = event["Properties"]
                found.append(Route(p["Method"].upper(), p["Path"], name, props["CodeUri"]))
    return tuple(found)


def route_for(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route API Gateway would pick: literal paths win over parameterised ones."""
    candidates = []
    for route in routes():
        params = route.match(path)
        if params is not None and route.method == method:
            candidates.append((len(params), route, params))
    if not candidates:
        raise LookupError(f"no route for {method} {path}")
    _, route, params = min(candidates, key=lambda c: c[0])
    return route, params
