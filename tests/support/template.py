"""The SAM template as data, read through sam-cli as the local server reads it
(tools.local_api.template): tables and routes come from it, so tests cannot drift from it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tools.local_api import template as sam

ROOT = sam.ROOT
TEMPLATE = sam.TEMPLATE


@cache
def _expanded(parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return sam.expand(dict(parameters))


def template(**parameters: str) -> dict[str, Any]:
    """The template as sam expands it for these parameter values (the others at their defaults):
    `Fn::ForEach` unrolled, parameters, mappings and conditions resolved in its resources."""
    return _expanded(tuple(sorted(parameters.items())))


def resources(kind: str, **parameters: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template(**parameters)["Resources"].items() if r["Type"] == kind}


@cache
def stack() -> sam.Template:
    """The root stack as sam-cli's providers see it, at the parameters' defaults."""
    return sam.Template.load()


def create_table_kwargs(logical_id: str, table_name: str) -> dict[str, Any]:
    """`create_table` arguments for one of the template's tables, as the template defines it."""
    return sam.create_table_kwargs(stack().tables()[logical_id], table_name)


ANY = "ANY"


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
    functions = stack().functions()
    return tuple(
        Route(event.method, event.path, event.function, _code_dir(functions.get(event.function).codeuri))
        for event in stack().api_events()
    )


def _code_dir(codeuri: str) -> str:
    return Path(codeuri).resolve().relative_to(ROOT).as_posix()


def route_for(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route API Gateway would pick: literal paths win over parameterised ones, and a
    method a route names over ANY."""
    candidates = []
    for route in routes():
        params = route.match(path)
        if params is not None and route.method in (method, ANY):
            candidates.append((len(params), route.method == ANY, route, params))
    if not candidates:
        raise LookupError(f"no route for {method} {path}")
    *_, route, params = min(candidates, key=lambda c: c[:2])
    return route, params
