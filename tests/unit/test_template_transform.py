"""The template as CloudFormation will see it: language extensions (as sam expands them), then
the SAM transform, for each setting of the switches (auth mode, open registration, API key, WAF,
stage, reserved concurrency)."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from tests.support.template import template


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


DEFAULTS = {
    "RequireApiKey": "false",
    "EnableWaf": "false",
    "Stage": "dev",
    "CorsAllowOrigin": "*",
    "AuthMode": "jwt",
    "JwtIssuer": "https://issuer.example.com/",
    "JwtAudience": "clients-api",
    "OpenRegistration": "false",
}


@cache
def _transformed(settings: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    params = dict(settings)
    expanded = copy.deepcopy(template(**params))
    for resource in expanded["Resources"].values():  # what `sam package` does to local paths
        for uri in ("CodeUri", "ContentUri"):
            if uri in resource.get("Properties", {}):
                resource["Properties"][uri] = "s3://bucket/key.zip"
    expanded["Transform"] = "AWS::Serverless-2016-10-31"
    return transform(expanded, params, _NoManagedPolicies())


def transformed(**parameters: str) -> dict[str, Any]:
    """The transformed template for these parameter values (the others as in DEFAULTS)."""
    return copy.deepcopy(_transformed(tuple(sorted((DEFAULTS | parameters).items()))))


def operations(out):
    body = out["Resources"]["ClientsApi"]["Properties"]["Body"]
    for path, methods in body["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


@pytest.fixture(autouse=True)
def region(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")


def test_by_default_no_api_key_is_required_and_no_usage_plan_exists():
    out = transformed()
    assert not [op for _, _, op in operations(out) if {"api_key": []} in op.get("security", [])]
    assert not [r for r in out["Resources"].values() if r["Type"].startswith("AWS::ApiGateway::UsagePlan")]


def test_require_api_key_protects_every_method_but_the_preflight_and_meters_keys():
    out = transformed(RequireApiKey="true")
    for path, method, op in operations(out):
        if method == "options":
            assert "security" not in op, path
        else:
            assert {"api_key": []} in op["security"], (path, method)
    [plan] = [r for r in out["Resources"].values() if r["Type"] == "AWS::ApiGateway::UsagePlan"]
    assert plan["Properties"]["Throttle"] == {"RateLimit": 20, "BurstLimit": 40}
    assert plan["Properties"]["Quota"] == {"Limit": 100000, "Period": "DAY"}


def test_stage_is_throttled_and_traced():
    [stage] = [r for r in transformed()["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    [settings] = [s for s in stage["Properties"]["MethodSettings"] if "ThrottlingRateLimit" in s]
    assert settings["ThrottlingRateLimit"] == 100
    assert settings["ThrottlingBurstLimit"] == 200
    assert stage["Properties"]["TracingEnabled"] is True


def test_cors_preflight_is_answered_for_every_path():
    out = transformed()
    paths = {path for path, _, _ in operations(out)}
    preflights = {path for path, method, _ in operations(out) if method == "options"}
    assert preflights == paths


def test_waf_exists_only_when_enabled_and_refuses_bodies_over_16_kib():
    out = transformed(EnableWaf="true")
    assert out["Resources"]["WebAcl"]["Condition"] == "UseWaf"
    assert out["Resources"]["WebAclAssociation"]["Condition"] == "UseWaf"
    rules = out["Resources"]["WebAcl"]["Properties"]["Rules"]
    size = rules[0]["Statement"]["SizeConstraintStatement"]
    assert (size["ComparisonOperator"], size["Size"]) == ("GT", 16384)
    assert rules[0]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 413


@pytest.mark.parametrize(("stage", "policy"), [("dev", "Delete"), ("prod", "Retain")])
def test_tables_are_retained_only_in_prod(stage, policy):
    out = transformed(Stage=stage)
    for table in ("ClientsTable", "SessionsTable", "IdempotencyTable", "ErasuresTable"):
        assert out["Resources"][table]["DeletionPolicy"] == policy, table


# What each function's code calls, traced from its app.py through the domain to the repository.
# IAM is not enforced by moto: this table is where a missing or extra action shows before AWS.
_CLIENTS_ACTIONS = {
    "RegisterClientFunction": {"dynamodb:PutItem"},  # one TransactWriteItems of three Puts
    "GetClientFunction": {"dynamodb:GetItem"},
    "UpdateClientFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem"},
    "UpdateFullNameFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem"},
    "UpdatePasswordFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem"},
    "VerifyPasswordFunction": {"dynamodb:UpdateItem"},
    "UpdatePhoneNumberFunction": {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    },
    "UpdateAdditionalInfoFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem"},
    "ListSessionsFunction": {"dynamodb:GetItem"},
    "ClearPasswordLockFunction": {"dynamodb:UpdateItem"},
    # GetItem, then one TransactWriteItems: client and guards deleted, the erasure recorded.
    "DeleteClientFunction": {"dynamodb:GetItem", "dynamodb:DeleteItem"},
    "AuthorizerFunction": set(),  # no table: it checks tokens against the issuer's keys
    "MethodNotAllowedFunction": set(),  # answers from the routes it is given
}
_SESSIONS_ACTIONS = {"ListSessionsFunction": {"dynamodb:Query"}}
# powertools' DynamoDB persistence layer, registration's Idempotency-Key (repository/idempotency.py).
_IDEMPOTENCY_ACTIONS = {
    "RegisterClientFunction": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
}
_ERASURES_ACTIONS = {"DeleteClientFunction": {"dynamodb:PutItem"}}


def _granted(role: dict[str, Any]) -> dict[str, set[str]]:
    """DynamoDB actions by the table resource they are granted on."""
    granted: dict[str, set[str]] = {}
    for policy in role["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for resource in resources:
                granted.setdefault(json.dumps(resource, sort_keys=True), set()).update(statement["Action"])
    return granted


def test_each_function_role_allows_exactly_the_dynamodb_actions_its_code_calls():
    out = transformed()
    functions = {name for name, r in out["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}
    assert functions == set(_CLIENTS_ACTIONS)
    for function in functions:
        granted = _granted(out["Resources"][f"{function}Role"])
        by_table = {"ClientsTable": set(), "SessionsTable": set(), "IdempotencyTable": set(), "ErasuresTable": set()}
        for resource, actions in granted.items():
            [table] = [t for t in by_table if t in resource]
            by_table[table] |= actions
        assert by_table["ClientsTable"] == _CLIENTS_ACTIONS[function], function
        assert by_table["SessionsTable"] == _SESSIONS_ACTIONS.get(function, set()), function
        assert by_table["ErasuresTable"] == _ERASURES_ACTIONS.get(function, set()), function
        assert by_table["IdempotencyTable"] == _IDEMPOTENCY_ACTIONS.get(function, set()), function


def test_only_registration_is_told_the_idempotency_table_and_how_long_keys_last():
    for name, resource in transformed(IdempotencyHours="48")["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            variables = resource["Properties"]["Environment"]["Variables"]
            if name == "RegisterClientFunction":
                assert variables["IDEMPOTENCY_TABLE"] == {"Ref": "IdempotencyTable"}
                assert variables["IDEMPOTENCY_HOURS"] == "48"
            else:
                assert "IDEMPOTENCY_TABLE" not in variables, name


def test_the_idempotency_table_expires_records_by_the_attribute_powertools_writes():
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    table = transformed()["Resources"]["IdempotencyTable"]["Properties"]
    layer = DynamoDBPersistenceLayer("any", boto3_client=object())
    assert table["KeySchema"] == [{"AttributeName": layer.key_attr, "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": layer.expiry_attr, "Enabled": True}


def test_if_match_is_optional_unless_the_stack_requires_it_and_every_function_learns_which():
    assert template()["Parameters"]["RequireIfMatch"]["Default"] == "false"
    for name, resource in transformed()["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            variables = resource["Properties"]["Environment"]["Variables"]
            assert variables["REQUIRE_IF_MATCH"] == {"Ref": "RequireIfMatch"}, name


def test_browsers_may_send_if_match_and_idempotency_key():
    preflights = _preflights(transformed())
    for preflight in preflights:
        answer = preflight["x-amazon-apigateway-integration"]["responses"]["default"]["responseParameters"]
        allowed = answer["method.response.header.Access-Control-Allow-Headers"].strip("'").split(",")
        assert {"Authorization", "Content-Type", "If-Match", "Idempotency-Key"} <= set(allowed)


def _holds(condition: Any) -> bool:
    """A condition the expansion left with values only, as CloudFormation evaluates it."""
    [(function, arguments)] = condition.items()
    if function == "Fn::Not":
        return not _holds(arguments[0])
    assert function == "Fn::Equals"
    return str(arguments[0]) == str(arguments[1])  # a Ref of a Number parameter is a string


def _reserved(out: dict[str, Any]) -> set[Any]:
    """What each function reserves of the account's concurrency (None: nothing)."""
    found = set()
    for resource in out["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            choice = resource["Properties"]["ReservedConcurrentExecutions"]["Fn::If"]
            condition, reserved, unreserved = choice
            assert unreserved == {"Ref": "AWS::NoValue"}
            found.add(reserved["Ref"] if _holds(out["Conditions"][condition]) else None)
    return found


def test_every_function_reserves_concurrency_by_default_and_zero_reserves_none():
    assert _reserved(transformed()) == {"ReservedConcurrency"}
    assert int(template()["Parameters"]["ReservedConcurrency"]["Default"]) > 0
    assert _reserved(transformed(ReservedConcurrency="0")) == {None}


# ---------------------------------------------------------------- who may call


ANY_METHOD = "x-amazon-apigateway-any-method"


def _security(out: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, list]]]:
    """Every operation's security, but the preflights' and the 405 routes' (ANY)."""
    return {
        (path, method): op.get("security", [])
        for path, method, op in operations(out)
        if method not in ("options", ANY_METHOD)
    }


@pytest.mark.parametrize("mode", ["jwt", "iam", "none"])
def test_a_method_a_path_does_not_serve_reaches_the_405_function_without_a_check(mode):
    out = transformed(AuthMode=mode)
    refusals = {path: op for path, method, op in operations(out) if method == ANY_METHOD}
    served = {path for path, method, _ in operations(out) if method not in ("options", ANY_METHOD)}
    assert set(refusals) == served
    for op in refusals.values():
        assert op.get("security", []) in ([], [{"NONE": []}])
        assert "MethodNotAllowedFunction" in json.dumps(op["x-amazon-apigateway-integration"]["uri"])


def _preflights(out: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for _, method, op in operations(out) if method == "options"]


def test_by_default_every_route_needs_a_token_checked_by_the_jwt_authorizer():
    out = transformed()
    assert all(security == [{"JwtAuthorizer": []}] for security in _security(out).values())
    assert all("security" not in op for op in _preflights(out))  # browsers send no token there
    schemes = out["Resources"]["ClientsApi"]["Properties"]["Body"]["components"]["securitySchemes"]
    authorizer = schemes["JwtAuthorizer"]["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "request"
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    assert authorizer["authorizerResultTtlInSeconds"] == 300
    assert authorizer["authorizerUri"]["Fn::Sub"][1]["__FunctionArn__"] == {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]}
    assert "ClientsApiJwtAuthorizerAuthorizerPermission" in out["Resources"]


def test_auth_cache_seconds_sets_how_long_the_gateway_reuses_an_answer():
    out = transformed(AuthCacheSeconds="0")
    schemes = out["Resources"]["ClientsApi"]["Properties"]["Body"]["components"]["securitySchemes"]
    assert int(schemes["JwtAuthorizer"]["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"]) == 0


def test_iam_mode_signs_every_route_and_invokes_the_functions_with_the_gateways_own_permission():
    out = transformed(AuthMode="iam")
    assert all(security == [{"AWS_IAM": []}] for security in _security(out).values())
    for _, method, op in operations(out):
        if method != "options":
            # No `credentials`: callers need execute-api:Invoke, not lambda:InvokeFunction.
            assert "credentials" not in op["x-amazon-apigateway-integration"]
    assert "ClientsApiJwtAuthorizerAuthorizerPermission" not in out["Resources"]


def test_none_mode_checks_nobody_and_says_so_in_the_outputs():
    out = transformed(AuthMode="none")
    assert all(security == [] for security in _security(out).values())
    assert "NO AUTHORIZATION" in out["Outputs"]["AuthMode"]["Value"]
    assert transformed()["Outputs"]["AuthMode"]["Value"] == "jwt"


@pytest.mark.parametrize("mode", ["jwt", "iam"])
def test_open_registration_lifts_the_check_from_registration_only(mode):
    security = _security(transformed(AuthMode=mode, OpenRegistration="true"))
    assert security.pop(("/api/v1/clients", "post")) == [{"NONE": []}]
    expected = [{"JwtAuthorizer": []}] if mode == "jwt" else [{"AWS_IAM": []}]
    assert all(value == expected for value in security.values())


def test_every_function_learns_the_auth_mode_and_whether_registration_is_open():
    for name, resource in transformed()["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            variables = resource["Properties"]["Environment"]["Variables"]
            assert variables["AUTH_MODE"] == {"Ref": "AuthMode"}, name
            assert variables["OPEN_REGISTRATION"] == {"Ref": "OpenRegistration"}, name


def test_the_authorizer_gets_the_issuer_settings():
    out = transformed(JwksUrl="https://keys.example.com/jwks", ClientIdClaim="custom:client_id")
    variables = out["Resources"]["AuthorizerFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["JWT_ISSUER"] == "https://issuer.example.com/"
    assert variables["JWT_AUDIENCE"] == "clients-api"
    assert variables["JWKS_URL"] == "https://keys.example.com/jwks"
    assert variables["CLIENT_ID_CLAIM"] == "custom:client_id"
    assert variables["SERVICE_SCOPE"] == "clients:admin"


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("UNAUTHORIZED", "401", "unauthorized"),
        ("ACCESS_DENIED", "403", "forbidden"),
        ("AUTHORIZER_FAILURE", "503", "temporarily_unavailable"),
    ],
)
def test_the_gateways_own_refusals_are_problem_details(kind, status, code):
    responses = transformed()["Resources"]["ClientsApi"]["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]
    response = responses[kind]
    assert response["statusCode"] == status
    body = json.loads(response["responseTemplates"]["application/json"].replace("$context.requestId", "id"))
    assert (body["status"], body["code"]) == (int(status), code)
    headers = response["responseParameters"]
    assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
    if kind == "UNAUTHORIZED":
        assert headers["gatewayresponse.header.WWW-Authenticate"] == "'Bearer'"


def test_a_jwt_stack_cannot_be_deployed_without_issuer_and_audience():
    rule = template()["Rules"]["JwtNeedsAnIssuer"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "AuthMode"}, "jwt"]}
    asserted = {json.dumps(a["Assert"], sort_keys=True) for a in rule["Assertions"]}
    for parameter in ("JwtIssuer", "JwtAudience"):
        assert json.dumps({"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]}, sort_keys=True) in asserted
