"""template.yaml, read as data: the properties the contract and our operations ask of it."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from clients_api.routes import SERVED
from tests.support.template import ANY, ROOT, resources, routes, template
from tools.local_api.template import Template

WRITE_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
FUNCTIONS = resources("AWS::Serverless::Function")


def actions(function):
    found = set()
    for policy in function["Properties"].get("Policies", []):
        for statement in policy["Statement"]:
            found |= set(statement["Action"])
    return found


def test_globals_pin_runtime_architecture_handler_tracing_and_the_layer():
    function_globals = template()["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == [{"Ref": "Architecture"}]
    assert template()["Parameters"]["Architecture"]["Default"] == "arm64"
    assert function_globals["Handler"] == "app.lambda_handler"
    assert not [name for name, f in FUNCTIONS.items() if "Handler" in f["Properties"]]
    assert function_globals["Tracing"] == "Active"
    assert function_globals["Layers"] == [{"Ref": "CommonLayer"}]
    env = function_globals["Environment"]["Variables"]
    assert env["VERIFY_MAX_FAILURES"] == {"Ref": "VerifyMaxFailures"}
    assert env["VERIFY_LOCK_SECONDS"] == {"Ref": "VerifyLockSeconds"}
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == {"Ref": "DynamoDbEndpoint"}
    assert template()["Parameters"]["DynamoDbEndpoint"]["Default"] == ""


def test_the_local_endpoint_the_template_suggests_is_the_one_sam_local_is_given():
    given = json.loads((ROOT / "env.local.json").read_text())["Parameters"]["AWS_ENDPOINT_URL_DYNAMODB"]
    assert given in template()["Parameters"]["DynamoDbEndpoint"]["Description"]


def test_layer_is_built_by_its_makefile_from_a_folder_without_a_python_subfolder():
    [(name, layer)] = resources("AWS::Serverless::LayerVersion").items()
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    content = ROOT / layer["Properties"]["ContentUri"]
    assert f"build-{name}:" in (content / "Makefile").read_text()
    assert (content / "requirements.txt").exists()
    assert (content / "clients_api" / "__init__.py").exists()
    assert not (content / "python").exists()


WHEEL_MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}


@pytest.mark.parametrize("architecture", template()["Parameters"]["Architecture"]["AllowedValues"])
def test_the_architecture_parameter_reaches_every_function_and_the_layers_wheels(architecture):
    stack = Template.load(parameters={"Architecture": architecture})
    functions = list(stack.functions().get_all())
    assert {function.architecture for function in functions} == {architecture}
    [layer] = {layer.full_path: layer for function in functions for layer in function.layers}.values()
    assert layer.build_architecture == architecture  # part of what sam's build cache keys on
    [props] = [r["Properties"] for r in resources("AWS::Serverless::LayerVersion", Architecture=architecture).values()]
    assert props["CompatibleArchitectures"] == [architecture]
    # sam passes a makefile build nothing but ARTIFACTS_DIR: the Makefile it runs names the wheels.
    makefile = ROOT / layer.metadata["ContextPath"] / "Makefile"
    planned = subprocess.run(  # noqa: S603 (make -n only prints what it would run)
        ["make", "-n", "-f", str(makefile), f"build-{layer.name}", "ARTIFACTS_DIR=/nonexistent"],  # noqa: S607 (make from PATH)
        cwd=ROOT / props["ContentUri"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    platforms = set(re.findall(r"--platform (\S+)", planned))
    assert platforms
    assert all(platform.endswith(f"_{WHEEL_MACHINE[architecture]}") for platform in platforms), platforms


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_api_is_regional_with_a_stage_parameter(stage):
    [api] = resources("AWS::Serverless::Api", Stage=stage).values()
    assert api["Properties"]["EndpointConfiguration"]["Type"] == "REGIONAL"
    assert api["Properties"]["StageName"] == stage
    assert api["Properties"]["TracingEnabled"] is True


def test_every_endpoint_is_its_own_function_with_the_contracts_routes():
    served = {(r.method, r.resource) for r in routes() if r.method != ANY}
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
        ("DELETE", "/api/v1/clients/{client_id}"),
    }
    # One function per route but the lookup forms of GET; the authorizer, which serves none; the
    # 405 function, which serves the methods the others do not.
    assert len(FUNCTIONS) == len(served) - 1 + 2
    assert "Events" not in FUNCTIONS["AuthorizerFunction"]["Properties"]
    for function in FUNCTIONS.values():
        code = ROOT / function["Properties"]["CodeUri"]
        assert sorted(p.name for p in code.iterdir() if p.name != "__pycache__") == ["app.py"]


def test_the_authorizer_touches_no_table():
    assert not actions(FUNCTIONS["AuthorizerFunction"])


def test_every_path_answers_the_methods_it_does_not_serve_with_a_405_naming_those_it_does():
    served: dict[str, set[str]] = {}
    for route in routes():
        if route.method != ANY:
            served.setdefault(route.resource, set()).add(route.method)
    refusing = {route.resource for route in routes() if route.method == ANY}
    assert {route.function for route in routes() if route.method == ANY} == {"MethodNotAllowedFunction"}
    assert refusing == set(served)
    assert {path: set(methods) for path, methods in SERVED.items()} == served


@pytest.mark.parametrize("name", ["GetClientFunction", "ListSessionsFunction"])
def test_reading_functions_cannot_write(name):
    assert actions(FUNCTIONS[name])
    assert not actions(FUNCTIONS[name]) & WRITE_ACTIONS


def test_no_function_can_scan_or_use_wildcards():
    for name, function in FUNCTIONS.items():
        for action in actions(function):
            assert "*" not in action, name
            assert action != "dynamodb:Scan", name


def test_only_functions_that_create_move_or_erase_guards_can_put_or_delete():
    movers = {name for name, f in FUNCTIONS.items() if actions(f) & {"dynamodb:PutItem", "dynamodb:DeleteItem"}}
    assert movers == {
        "RegisterClientFunction",
        "UpdateClientFunction",
        "UpdatePhoneNumberFunction",
        "DeleteClientFunction",
    }


TABLES = ["ClientsTable", "SessionsTable", "ErasuresTable"]


@pytest.mark.parametrize(("stage", "protected"), [("dev", False), ("prod", True)])
@pytest.mark.parametrize("name", TABLES)
def test_tables_are_on_demand_recoverable_encrypted_and_protected_in_prod(name, stage, protected):
    table = template(Stage=stage)["Resources"][name]
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["DeletionProtectionEnabled"] is protected
    assert table["DeletionPolicy"] == ("Retain" if protected else "Delete")


@pytest.mark.parametrize("name", TABLES)
def test_backup_retention_days_sets_every_tables_recovery_period(name):
    parameter = template()["Parameters"]["BackupRetentionDays"]
    assert (parameter["Default"], parameter["MinValue"], parameter["MaxValue"]) == (35, 1, 35)
    recovery = template(BackupRetentionDays="7")["Resources"][name]["Properties"]["PointInTimeRecoverySpecification"]
    assert str(recovery["RecoveryPeriodInDays"]) == "7"


def test_erasure_records_have_a_table_of_their_own_keyed_by_client_id():
    props = template()["Resources"]["ErasuresTable"]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "client_id", "KeyType": "HASH"}]
    assert "GlobalSecondaryIndexes" not in props
    assert template()["Globals"]["Function"]["Environment"]["Variables"]["ERASURES_TABLE"] == {"Ref": "ErasuresTable"}


@pytest.mark.parametrize("name", TABLES)
def test_tables_take_a_customer_managed_key_when_given_one(name):
    key = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    default = template()["Resources"][name]["Properties"]["SSESpecification"]
    assert default == {"SSEEnabled": True, "SSEType": "KMS"}  # the AWS managed key aws/dynamodb
    chosen = template(TableKmsKeyArn=key)["Resources"][name]["Properties"]["SSESpecification"]
    assert chosen == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}


def test_sessions_index_is_by_client_sorted_by_start_time():
    [index] = template()["Resources"]["SessionsTable"]["Properties"]["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by_client"
    assert index["KeySchema"] == [
        {"AttributeName": "client_id", "KeyType": "HASH"},
        {"AttributeName": "starts_at", "KeyType": "RANGE"},
    ]


def test_outputs_name_the_api_url_and_tables():
    assert set(template()["Outputs"]) >= {"ApiUrl", "ClientsTableName", "SessionsTableName", "ErasuresTableName"}


def test_every_check_the_scanner_is_told_to_skip_says_why():
    skips = [
        (name, skip)
        for name, resource in template()["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for name, skip in skips:
        assert set(skip) == {"id", "comment"}, name
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
        assert len(skip["comment"]) > 40, name
