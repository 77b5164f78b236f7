"""openapi.json: the committed document is the one the code generates, and it is valid OpenAPI 3.1."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from tools.local_api.template import ROOT, Template
from tools.openapi.document import render

# sam-cli's template translation warns about its own dependencies' deprecations.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

COMMITTED = ROOT / "openapi.json"


@pytest.fixture(scope="module")
def generated() -> str:
    return render()


def test_committed_openapi_json_is_what_the_code_generates(generated: str) -> None:
    assert COMMITTED.read_text() == generated, "openapi.json is out of date: run `make openapi`"


def test_document_is_valid_openapi_3_1(generated: str) -> None:
    document = json.loads(generated)

    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_route_of_the_template_is_documented_with_its_problems(generated: str) -> None:
    document = json.loads(generated)
    documented = {(method.upper(), path) for path, methods in document["paths"].items() for method in methods}

    # ANY: the methods a path does not serve, routed to the 405 function, which is no operation.
    operations = {(event.method, event.path) for event in Template.load().api_events() if event.method != "ANY"}
    assert documented == operations
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            problems = [status for status in operation["responses"] if not status.startswith("2")]
            assert {"500", "503"} <= set(problems), (method, path)
            for status in problems:
                content = operation["responses"][status]["content"]
                assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}
