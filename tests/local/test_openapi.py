"""openapi.json: the committed document is the one the code generates, and it is valid OpenAPI 3.1."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from openapi_spec_validator import validate

from clients_api import problems
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


def test_safe_retries_and_concurrent_edits_are_documented_where_they_apply(generated: str) -> None:
    document = json.loads(generated)
    operations = {op["operationId"]: op for methods in document["paths"].values() for op in methods.values()}
    key = document["components"]["parameters"]["Idempotency-Key"]
    assert (key["in"], key["schema"]["pattern"]) == ("header", r"^[\x21-\x7E]{1,255}$")

    def headers_read(operation: dict) -> set[str]:
        return {p["$ref"].rsplit("/", 1)[1] for p in operation["parameters"] if "$ref" in p}

    register = operations["registerClient"]
    assert headers_read(register) == {"Idempotency-Key"}
    assert "Retry-After" in register["responses"]["409"]["headers"]
    assert "idempotency_key_reused" in register["responses"]["422"]["description"]
    for operation_id, operation in operations.items():
        changes = operation_id.startswith(("update", "delete"))
        assert ("If-Match" in headers_read(operation)) == changes, operation_id
        assert ({"412", "428"} <= operation["responses"].keys()) == changes, operation_id
        if (changes and operation_id != "deleteClient") or operation_id in ("getClient", "lookUpClient"):
            assert "ETag" in operation["responses"]["200"]["headers"], operation_id


def _walk(value: object) -> Iterator[dict]:
    """Every JSON object in `value`, itself included."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def test_every_schema_is_used_and_every_property_typed(generated: str) -> None:
    document = json.loads(generated)
    schemas = document["components"]["schemas"]
    refs = {node["$ref"].rsplit("/", 1)[-1] for node in _walk(document) if "$ref" in node}

    assert set(schemas) <= refs
    for name, schema in schemas.items():
        for field, prop in schema.get("properties", {}).items():
            assert {"type", "$ref", "anyOf"} & prop.keys(), (name, field)


def test_enums_are_components_with_names_generators_can_use(generated: str) -> None:
    document = json.loads(generated)
    schemas = document["components"]["schemas"]
    enums = {name for name, schema in schemas.items() if "enum" in schema}

    assert enums == {"ProblemCode", "SessionStatus", "Sex"}
    for name in enums:
        assert len(schemas[name]["x-enum-varnames"]) == len(schemas[name]["enum"])
        assert all(member.isascii() for member in schemas[name]["x-enum-varnames"])
    # Elsewhere an enum appears only inside a `not` (the values that leave a PATCH field unchanged).
    properties = [prop for schema in schemas.values() for prop in schema.get("properties", {}).values()]
    assert not [node for node in _walk(properties) if "enum" in node]


def test_problem_codes_are_every_code_the_functions_and_the_gateway_answer(generated: str) -> None:
    codes = set(json.loads(generated)["components"]["schemas"]["ProblemCode"]["enum"])
    catalogue = {problem.code for problem in vars(problems).values() if isinstance(problem, problems.Problem)}
    gateway = {json.loads(template)["code"] for template in _gateway_problem_bodies()}

    assert codes == catalogue | gateway


def _gateway_problem_bodies() -> Iterator[str]:
    for response in Template.load().gateway_responses().values():
        for body in response.get("ResponseTemplates", {}).values():
            # The template's own variables, as API Gateway fills them in.
            yield body.replace("$context.error.messageString", '"message"').replace("$context.requestId", "id")


def test_every_operation_is_tagged_and_described(generated: str) -> None:
    document = json.loads(generated)
    tags = {tag["name"] for tag in document["tags"]}
    for methods in document["paths"].values():
        for operation in methods.values():
            assert set(operation["tags"]) <= tags
            assert operation.get("description"), operation["operationId"]


def test_every_patch_body_of_optional_fields_states_that_it_must_change_something(generated: str) -> None:
    document = json.loads(generated)
    schemas = document["components"]["schemas"]
    bodies = [
        schemas[methods["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]]
        for methods in document["paths"].values()
        if "patch" in methods
    ]
    optional_only = [body for body in bodies if not body.get("required")]

    assert len(optional_only) == 4
    for body in optional_only:
        assert "not" in body
        assert "at least one field must have a value" in body["description"]
