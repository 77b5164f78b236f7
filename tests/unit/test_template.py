"""template.yaml, read as data: the properties the contract and our operations ask of it."""

from __future__ import annotations

import pytest

from tests.support.template import ROOT, resources, routes, template

WRITE_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
FUNCTIONS = resources("AWS::Serverless::Function")


def actions(function):
    found = set()
    for policy in function["Properties"].get("Policies", []):
        for statement in policy["Statement"]:
            found |= set(statement["Action"])
    return found


def test_globals_pin_runtime_architecture_tracing_and_the_layer():
    function_globals = template()["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Tracing"] == "Active"
    assert function_globals["Layers"] == [{"Ref": "CommonLayer"}]
    env = function_globals["Environment"]["Variables"]
    assert env["VERIFY_MAX_FAILURES"] == {"Ref": "VerifyMaxFailures"}
    assert env["VERIFY_LOCK_SECONDS"] == {"Ref": "VerifyLockSeconds"}
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == {"Ref": "DynamoDbEndpoint"}
    assert template()["Parameters"]["DynamoDbEndpoint"]["Default"] == ""


def test_layer_is_built_by_its_makefile_from_a_folder_without_a_python_subfolder():
    [(name, layer)] = resources("AWS::Serverless::LayerVersion").items()
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    content = ROOT / layer["Properties"]["ContentUri"]
    assert f"build-{name}:" in (content / "Makefile").read_text()
    assert (content / "requirements.txt").exists()
    assert (content / "clients_api" / "__init__.py").exists()
    assert not (content / "python").exists()


def test_api_is_regional_with_a_stage_parameter():
    [api] = resources("AWS::Serverless::Api").values()
    assert api["Properties"]["EndpointConfiguration"]["Type"] == "REGIONAL"
    assert api["Properties"]["StageName"] == {"Ref": "Stage"}
    assert api["Properties"]["TracingEnabled"] is True


def test_every_endpoint_is_its_own_function_with_the_contracts_routes():
    served = {(r.method, r.resource) for r in routes()}
    assert served == {
        ("POST", "/api/v1/clients"),
        ("GET", "/api/v1/clients"),
        ("GET", "/api/v1/clients/{client_id}"),
        ("PATCH", "/api/v1/clients/{client_id}"),
        ("PATCH", "/api/v1/clients/{client_id}/full_name"),
        ("PATCH", "/api/v1/clients/{client_id}/password"),
        ("POST", "/api/v1/clients/{client_id}/password/verify"),
        ("PATCH", "/api/v1/clients/{client_id}/phone_number"),
        ("PATCH", "/api/v1/clients/{client_id}/additional_info"),
        ("GET", "/api/v1/clients/{client_id}/sessions"),
        ("DELETE", "/api/v1/clients/{client_id}/password/lock"),
    }
    # One function per route but the lookup forms of GET, and the authorizer, which serves none.
    assert len(FUNCTIONS) == len(served) - 1 + 1
    assert "Events" not in FUNCTIONS["AuthorizerFunction"]["Properties"]
    for function in FUNCTIONS.values():
        code = ROOT / function["Properties"]["CodeUri"]
        assert sorted(p.name for p in code.iterdir() if p.name != "__pycache__") == ["app.py"]


def test_the_authorizer_touches_no_table():
    assert not actions(FUNCTIONS["AuthorizerFunction"])


@pytest.mark.parametrize("name", ["GetClientFunction", "ListSessionsFunction"])
def test_reading_functions_cannot_write(name):
    assert actions(FUNCTIONS[name])
    assert not actions(FUNCTIONS[name]) & WRITE_ACTIONS


def test_no_function_can_scan_or_use_wildcards():
    for name, function in FUNCTIONS.items():
        for action in actions(function):
            assert "*" not in action, name
            assert action != "dynamodb:Scan", name


def test_only_functions_that_move_guards_can_put_or_delete():
    movers = {name for name, f in FUNCTIONS.items() if actions(f) & {"dynamodb:PutItem", "dynamodb:DeleteItem"}}
    assert movers == {"RegisterClientFunction", "UpdateClientFunction", "UpdatePhoneNumberFunction"}


@pytest.mark.parametrize("name", ["ClientsTable", "SessionsTable"])
def test_tables_are_on_demand_recoverable_encrypted_and_protected_in_prod(name):
    table = template()["Resources"][name]
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}
    assert table["DeletionPolicy"] == {"Fn::If": ["IsProd", "Retain", "Delete"]}


def test_sessions_index_is_by_client_sorted_by_start_time():
    [index] = template()["Resources"]["SessionsTable"]["Properties"]["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by_client"
    assert index["KeySchema"] == [
        {"AttributeName": "client_id", "KeyType": "HASH"},
        {"AttributeName": "starts_at", "KeyType": "RANGE"},
    ]


def test_outputs_name_the_api_url_and_tables():
    assert set(template()["Outputs"]) >= {"ApiUrl", "ClientsTableName", "SessionsTableName"}
