"""template.yaml, read as data: logs, traces, alarms and the dashboard an operator relies on."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from samcli.yamlhelper import yaml_parse

from clients_api.observability import Metric
from tests.support.template import ROOT, TEMPLATE, resources, template
from tools.local_api.template import expand

FUNCTIONS = resources("AWS::Serverless::Function")
ALARMS = resources("AWS::CloudWatch::Alarm")
PARAMETERS = template()["Parameters"]
FUNCTION_GLOBALS = template()["Globals"]["Function"]
ENVIRONMENT = FUNCTION_GLOBALS["Environment"]["Variables"]
[API] = resources("AWS::Serverless::Api").values()


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def alarm_metrics(alarm: dict) -> list[dict]:
    """The metrics an alarm reads, whether it watches one metric or a metric-math expression."""
    props = alarm["Properties"]
    if "Metrics" in props:
        return [query["MetricStat"]["Metric"] for query in props["Metrics"] if "MetricStat" in query]
    return [{key: props[key] for key in ("Namespace", "MetricName", "Dimensions")}]


def dimension(metric: dict, name: str) -> object:
    return next(d["Value"] for d in metric["Dimensions"] if d["Name"] == name)


def alarms_on(namespace: str, metric_name: str) -> list[dict]:
    return [
        metric
        for alarm in ALARMS.values()
        for metric in alarm_metrics(alarm)
        if metric["Namespace"] == namespace and metric["MetricName"] == metric_name
    ]


# ---------------------------------------------------------------- logs


def test_every_function_logs_json_to_its_own_group_with_the_retention_parameter():
    assert FUNCTION_GLOBALS["LoggingConfig"]["LogFormat"] == "JSON"
    kept = template(LogRetentionDays="7")["Resources"]
    groups = set()
    for name, function in FUNCTIONS.items():
        config = function["Properties"]["LoggingConfig"]
        assert "LogFormat" not in config, name  # the global JSON holds for all
        group = config["LogGroup"]["Ref"]
        assert kept[group]["Type"] == "AWS::Logs::LogGroup", name
        assert str(kept[group]["Properties"]["RetentionInDays"]) == "7", name
        # Named after the function's folder, under the stack's name.
        folder = Path(function["Properties"]["CodeUri"]).name
        assert kept[group]["Properties"]["LogGroupName"] == f"/aws/lambda/${{AWS::StackName}}/{folder}", name
        groups.add(group)
    assert len(groups) == len(FUNCTIONS)
    assert PARAMETERS["LogRetentionDays"]["Default"] == 30


def test_every_log_group_expires():
    for name, group in resources("AWS::Logs::LogGroup", LogRetentionDays="7").items():
        assert str(group["Properties"]["RetentionInDays"]) == "7", name


def test_api_access_logs_are_json_lines_with_the_request_outline_and_nothing_personal():
    setting = API["Properties"]["AccessLogSetting"]
    group = template()["Resources"][setting["DestinationArn"]["Fn::GetAtt"][0]]
    assert group["Type"] == "AWS::Logs::LogGroup"

    fields = json.loads(setting["Format"])

    assert {"requestId", "httpMethod", "resourcePath", "status", "responseLatency", "sourceIp"} <= set(fields)
    variables = {re.fullmatch(r"\$context\.([\w.]+)", value).group(1) for value in fields.values()}
    # The route template, never the path (it holds client ids); no body, header or query string.
    assert "path" not in variables
    assert "resourcePath" in variables
    assert not {v for v in variables if v.startswith(("requestOverride", "responseOverride", "authorizer"))}
    assert "$input" not in setting["Format"]


def test_api_gateway_gets_its_logging_role_before_the_stage_is_deployed():
    resources = template()["Resources"]
    ready = resources[API["DependsOn"]]
    assert ready["Metadata"]["AccountSetting"] == {"Ref": "ApiGatewayAccount"}
    account = resources["ApiGatewayAccount"]
    role = template()["Resources"][account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]]
    # sam leaves the partition to CloudFormation: the `!Sub` comes out as its string.
    assert role["Properties"]["ManagedPolicyArns"] == [
        "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    ]
    # One setting per account and region: another stack's API may use it after this one goes.
    assert account["DeletionPolicy"] == role["DeletionPolicy"] == "Retain"


def test_a_further_stack_in_the_account_can_leave_the_logging_role_alone():
    assert template()["Parameters"]["SetApiGatewayLoggingRole"]["Default"] == "true"
    left_alone = template(SetApiGatewayLoggingRole="false")
    resources = left_alone["Resources"]
    assert left_alone["Conditions"]["SetsApiGatewayAccount"] == {"Fn::Equals": ["false", "true"]}
    assert resources["ApiGatewayAccount"]["Condition"] == "SetsApiGatewayAccount"
    assert resources["ApiGatewayLoggingRole"]["Condition"] == "SetsApiGatewayAccount"
    assert resources[API["DependsOn"]]["Metadata"]["AccountSetting"] == ""


# ---------------------------------------------------------------- traces and metrics


def test_every_function_and_the_api_stage_are_traced():
    assert FUNCTION_GLOBALS["Tracing"] == "Active"
    for name, function in FUNCTIONS.items():
        assert function["Properties"].get("Tracing", "Active") == "Active", name
    assert API["Properties"]["TracingEnabled"] is True


def test_functions_publish_metrics_to_one_namespace_under_the_service_name():
    assert ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"] == "ClientsApi"
    assert ENVIRONMENT["POWERTOOLS_SERVICE_NAME"] == "clients-api"


# ---------------------------------------------------------------- alarms


def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_recovers():
    assert len(ALARMS) >= 2 + 2 * len(FUNCTIONS) + 4 + 1
    for name, alarm in ALARMS.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [ref("AlarmTopic")], name
        assert props["OKActions"] == [ref("AlarmTopic")], name
        assert props["TreatMissingData"] == "notBreaching", name  # no traffic is not an incident
        assert props["AlarmDescription"], name


def thresholds_by_parameter() -> dict[str, str]:
    """Every alarm's threshold, named by the parameter it comes from: each Number parameter is
    given a value no other has, which the alarm's threshold must then be."""
    numbers = {name: str(1000 + i) for i, (name, p) in enumerate(PARAMETERS.items()) if p["Type"] == "Number"}
    named = {value: name for name, value in numbers.items()}
    alarms = resources("AWS::CloudWatch::Alarm", **numbers)
    return {name: named[str(alarm["Properties"]["Threshold"])] for name, alarm in alarms.items()}


def test_every_alarm_threshold_is_a_parameter_with_a_default():
    parameters = thresholds_by_parameter()
    assert parameters.keys() == ALARMS.keys()
    for name, parameter in parameters.items():
        assert "Default" in PARAMETERS[parameter], name


# Their names are what docs/operations.md and the operators' filters know them by.
_FUNCTION_ALARMS = {
    "Authorizer": "authorizer",
    "RegisterClient": "register-client",
    "GetClient": "get-client",
    "UpdateClient": "update-client",
    "UpdateFullName": "update-full-name",
    "UpdatePassword": "update-password",
    "VerifyPassword": "verify-password",
    "ClearPasswordLock": "clear-password-lock",
    "DeleteClient": "delete-client",
    "UpdatePhoneNumber": "update-phone-number",
    "UpdateAdditionalInfo": "update-additional-info",
    "ListSessions": "list-sessions",
    "MethodNotAllowed": "method-not-allowed",
}
_ALARMS = {
    "Api5xxRateAlarm": ("api-5xx-rate", "Api5xxRatePercent"),
    "ApiLatencyAlarm": ("api-latency-p99", "ApiLatencyP99Milliseconds"),
    "LockoutsAlarm": ("lockouts", "LockoutsThreshold"),
    **{
        f"{table}Table{metric}Alarm": (f"{table.lower()}-table-{suffix}", parameter)
        for table in ("Clients", "Sessions", "Idempotency", "Erasures")
        for metric, suffix, parameter in [
            ("ThrottledRequests", "throttled-requests", "DynamoDbThrottlesThreshold"),
            ("SystemErrors", "system-errors", "DynamoDbSystemErrorsThreshold"),
        ]
    },
    **{
        f"{function}{metric}Alarm": (f"{name}-{metric.lower()}", f"Function{metric}Threshold")
        for function, name in _FUNCTION_ALARMS.items()
        for metric in ("Errors", "Throttles")
    },
}


def test_alarm_names_and_thresholds_stay_as_operators_know_them():
    names = {logical_id: alarm["Properties"]["AlarmName"] for logical_id, alarm in ALARMS.items()}
    assert names == {logical_id: f"${{AWS::StackName}}-{name}" for logical_id, (name, _) in _ALARMS.items()}
    assert thresholds_by_parameter() == {logical_id: parameter for logical_id, (_, parameter) in _ALARMS.items()}


def test_the_alarm_email_is_optional():
    assert PARAMETERS["AlarmEmail"]["Default"] == ""
    assert template()["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": ["", ""]}]}
    subscribed = template(AlarmEmail="oncall@example.com")
    assert subscribed["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": ["oncall@example.com", ""]}]}
    [subscription] = resources("AWS::SNS::Subscription", AlarmEmail="oncall@example.com").values()
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == "oncall@example.com"
    assert subscription["Properties"]["TopicArn"] == ref("AlarmTopic")


def test_alarm_notifications_are_encrypted_with_a_key_cloudwatch_may_use():
    topic = template()["Resources"]["AlarmTopic"]["Properties"]
    key = template()["Resources"][topic["KmsMasterKeyId"]["Ref"]]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    # Without this grant alarms cannot publish to an encrypted topic (the AWS managed aws/sns key
    # has none, and its policy cannot be changed).
    [grant] = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s.get("Principal", {}).get("Service")]
    assert grant["Principal"]["Service"] == "cloudwatch.amazonaws.com"
    assert set(grant["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


@pytest.mark.parametrize("metric_name", ["Errors", "Throttles"])
def test_every_function_has_an_errors_and_a_throttles_alarm(metric_name):
    watched = [dimension(metric, "FunctionName") for metric in alarms_on("AWS/Lambda", metric_name)]
    assert sorted(w["Ref"] for w in watched) == sorted(FUNCTIONS)


@pytest.mark.parametrize("metric_name", ["5XXError", "Latency"])
def test_the_api_has_a_5xx_rate_and_a_p99_latency_alarm(metric_name):
    [metric] = alarms_on("AWS/ApiGateway", metric_name)
    assert dimension(metric, "ApiName") == API["Properties"]["Name"]
    assert dimension(metric, "Stage") == API["Properties"]["StageName"]
    latency = template()["Resources"]["ApiLatencyAlarm"]["Properties"]
    assert latency["ExtendedStatistic"] == "p99"


@pytest.mark.parametrize("metric_name", ["ThrottledRequests", "SystemErrors"])
@pytest.mark.parametrize("table", ["ClientsTable", "SessionsTable", "IdempotencyTable", "ErasuresTable"])
def test_every_table_has_throttle_and_system_error_alarms(table, metric_name):
    watched = [m for m in alarms_on("AWS/DynamoDB", metric_name) if dimension(m, "TableName") == ref(table)]
    assert watched
    operations = {dimension(m, "Operation") for m in watched}
    expected = {
        "ClientsTable": {"GetItem", "UpdateItem", "TransactWriteItems"},
        "SessionsTable": {"Query"},
        # powertools' persistence layer (repository/idempotency.py)
        "IdempotencyTable": {"PutItem", "UpdateItem", "DeleteItem", "GetItem"},
        "ErasuresTable": {"TransactWriteItems"},  # the record is written in the erasure's transaction
    }
    assert operations == expected[table]


def test_a_lockout_spike_alarms_on_the_metric_the_code_emits():
    [metric] = alarms_on(ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"], Metric.LOCKOUTS)
    assert dimension(metric, "service") == ENVIRONMENT["POWERTOOLS_SERVICE_NAME"]


# ---------------------------------------------------------------- dashboard


def dashboard_body() -> str:
    """The body as sam leaves it: parameters filled in, what only a deployment knows (the
    region, the stack's name, the tables' names) still `${...}`."""
    [board] = resources("AWS::CloudWatch::Dashboard").values()
    return board["Properties"]["DashboardBody"]


def dashboard() -> dict:
    # ${Logical} and ${AWS::Region} become what CloudFormation would put there: plain strings.
    return json.loads(re.sub(r"\$\{([\w:]+)\}", r"<\1>", dashboard_body()))


def widget(title: str) -> dict:
    [found] = [w for w in dashboard()["widgets"] if w["properties"]["title"].startswith(title)]
    return found["properties"]


def searches(properties: dict) -> list[str]:
    """The widget's metric search expressions."""
    return [line[0]["expression"] for line in properties["metrics"] if isinstance(line[0], dict)]


def shown_metrics() -> set[str]:
    """Names of the metrics the dashboard draws, listed or found by a search."""
    shown = set()
    for w in dashboard()["widgets"]:
        for line in w["properties"]["metrics"]:
            if isinstance(line[0], dict):
                shown.update(METRIC_NAME.findall(line[0]["expression"]))
            else:
                shown.add(line[1])  # [namespace, name, dimensions...]
    return shown


METRIC_NAME = re.compile(r'MetricName="(\w+)"')
# A function's metrics carry its name, which CloudFormation makes <stack>-<logical id>-<suffix>.
OF_THIS_STACK = re.compile(r"\b(FunctionName|function_name)=<AWS::StackName>'")


def test_the_dashboard_body_is_json_whose_references_all_exist():
    for name in re.findall(r"\$\{([\w:]+)\}", dashboard_body()):
        assert name in template()["Resources"] or name in PARAMETERS or name.startswith("AWS::"), name
    assert dashboard()["widgets"]


@pytest.mark.parametrize(
    ("title", "metric"),
    [
        ("Requests per endpoint", "Invocations"),
        ("Errors per endpoint", "Errors"),
        ("Latency per endpoint", "Duration"),
        ("Cold starts per endpoint", "ColdStart"),
        ("Throttles per endpoint", "Throttles"),
    ],
)
def test_the_dashboard_shows_every_endpoint(title, metric):
    # Every function is named after the stack (none names itself), and the widget searches by it.
    assert not [name for name, function in FUNCTIONS.items() if "FunctionName" in function["Properties"]]
    [search] = searches(widget(title))
    assert METRIC_NAME.findall(search) == [metric]
    assert OF_THIS_STACK.search(search), search


def test_the_dashboard_shows_every_metric_the_code_emits_and_the_databases():
    shown = shown_metrics()
    for metric in [*Metric, "ColdStart"]:
        assert metric in shown, metric
    for needed in ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits", "ThrottledRequests", "Latency"):
        assert needed in shown, needed
    text = json.dumps(dashboard())
    assert "<ClientsTable>" in text
    assert "<SessionsTable>" in text
    assert "<IdempotencyTable>" in text
    assert "<ErasuresTable>" in text


# ---------------------------------------------------------------- a new function


def test_a_new_function_gets_its_log_group_alarms_and_dashboard_lines_from_one_entry(tmp_path):
    """What adding an endpoint takes besides its folder and its function block: a row in
    Mappings: Functions and its name in the loop's list."""
    source = yaml_parse(TEMPLATE.read_text())
    source["Mappings"]["Functions"]["ExportClient"] = {
        "Folder": "export_client",
        "AlarmName": "export-client",
        "Label": "GET .../export",
    }
    source["Resources"]["Fn::ForEach::FunctionLogsAndAlarms"][1].append("ExportClient")
    source["Resources"]["ExportClientFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": "functions/export_client/",
            "LoggingConfig": {"LogGroup": ref("ExportClientLogGroup")},
        },
    }
    changed = tmp_path / "template.json"
    changed.write_text(json.dumps(source))

    added = expand({"LogRetentionDays": "7", "FunctionErrorsThreshold": "3"}, changed)["Resources"]

    group = added["ExportClientLogGroup"]["Properties"]
    assert group == {"LogGroupName": "/aws/lambda/${AWS::StackName}/export_client", "RetentionInDays": "7"}
    for metric in ("Errors", "Throttles"):
        alarm = added[f"ExportClient{metric}Alarm"]["Properties"]
        assert alarm["AlarmName"] == f"${{AWS::StackName}}-export-client-{metric.lower()}"
        assert alarm["AlarmDescription"].startswith("GET .../export: ")
        assert alarm["MetricName"] == metric
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": ref("ExportClientFunction")}]
        assert alarm["AlarmActions"] == alarm["OKActions"] == [ref("AlarmTopic")]
    assert added["ExportClientErrorsAlarm"]["Properties"]["Threshold"] == "3"
    # The dashboard searches by the stack's name, which the new function's name begins with too.
    assert "FunctionName" not in added["ExportClientFunction"]["Properties"]
    assert added["Dashboard"] == template()["Resources"]["Dashboard"]


def test_the_function_loop_and_the_functions_mapping_name_the_same_functions():
    functions = template()["Mappings"]["Functions"]
    assert {f"{name}Function" for name in functions} == FUNCTIONS.keys()
    for name, row in functions.items():
        assert row["Folder"] == Path(FUNCTIONS[f"{name}Function"]["Properties"]["CodeUri"]).name, name


# ---------------------------------------------------------------- the whole template


@pytest.mark.slow
def test_sam_validate_lint_passes():
    sam = shutil.which("sam", path=str(ROOT / ".venv" / "bin")) or shutil.which("sam")
    if sam is None:
        pytest.skip("aws-sam-cli is not installed")
    result = subprocess.run(  # noqa: S603 (our own tool, fixed arguments)
        [sam, "validate", "--lint", "--template-file", str(ROOT / "template.yaml")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
