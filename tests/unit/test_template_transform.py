"""The template as CloudFormation will see it: language extensions, then the SAM transform,
for each setting of the switches (API key, WAF, stage)."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import pytest
from samcli.lib.cfn_language_extensions.api import process_template
from samtranslator.translator.transform import transform

from tests.support.template import template


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


@cache
def _transformed(require_api_key: str, enable_waf: str, stage: str) -> dict[str, Any]:
    source = copy.deepcopy(template())
    for resource in source["Resources"].values():  # what `sam package` does to local paths
        for uri in ("CodeUri", "ContentUri"):
            if uri in resource.get("Properties", {}):
                resource["Properties"][uri] = "s3://bucket/key.zip"
    params = {"RequireApiKey": require_api_key, "EnableWaf": enable_waf, "Stage": stage, "CorsAllowOrigin": "*"}
    expanded = process_template(source, parameter_values=params)
    expanded["Transform"] = "AWS::Serverless-2016-10-31"
    return transform(expanded, params, _NoManagedPolicies())


def transformed(require_api_key="false", enable_waf="false", stage="dev"):
    return copy.deepcopy(_transformed(require_api_key, enable_waf, stage))


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
    assert all("security" not in op for _, _, op in operations(out))
    assert not [r for r in out["Resources"].values() if r["Type"].startswith("AWS::ApiGateway::UsagePlan")]


def test_require_api_key_protects_every_method_but_the_preflight_and_meters_keys():
    out = transformed(require_api_key="true")
    for path, method, op in operations(out):
        if method == "options":
            assert "security" not in op, path
        else:
            assert op["security"] == [{"api_key": []}], (path, method)
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
    out = transformed(enable_waf="true")
    assert out["Resources"]["WebAcl"]["Condition"] == "UseWaf"
    assert out["Resources"]["WebAclAssociation"]["Condition"] == "UseWaf"
    rules = out["Resources"]["WebAcl"]["Properties"]["Rules"]
    size = rules[0]["Statement"]["SizeConstraintStatement"]
    assert (size["ComparisonOperator"], size["Size"]) == ("GT", 16384)
    assert rules[0]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 413


@pytest.mark.parametrize(("stage", "policy"), [("dev", "Delete"), ("prod", "Retain")])
def test_tables_are_retained_only_in_prod(stage, policy):
    out = transformed(stage=stage)
    assert out["Resources"]["ClientsTable"]["DeletionPolicy"] == policy
    assert out["Resources"]["SessionsTable"]["DeletionPolicy"] == policy


# What each function's code calls, traced from its app.py through the domain to repository.py.
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
}
_SESSIONS_ACTIONS = {"ListSessionsFunction": {"dynamodb:Query"}}


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
        by_table = {"ClientsTable": set(), "SessionsTable": set()}
        for resource, actions in granted.items():
            [table] = [t for t in by_table if t in resource]
            by_table[table] |= actions
        assert by_table["ClientsTable"] == _CLIENTS_ACTIONS[function], function
        assert by_table["SessionsTable"] == _SESSIONS_ACTIONS.get(function, set()), function
