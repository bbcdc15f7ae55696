"""The console's catalogue (paymux.console.api.OPERATIONS) against template.yaml and
functions/: each operation has exactly one function, whose code runs that operation, one route
with its method and path behind the ConsoleJwt authorizer, its log group, errors alarm and
dashboard lines, and a role granting exactly the actions the operation declares
(tests/integration/test_console_operations.py records that it makes no other call and every
declared write), each on the resources it uses. Read as SAM hands it to CloudFormation."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from local.stack import REGION
from local.template import choose_parameters, load_template, transform_template
from paymux.console.api import (
    OPERATIONS,
    UNROUTED_FUNCTION,
    ConsoleOperation,
    allowed,
    operation_handler,
    route,
)
from paymux.errors import MethodNotAllowed, NotFound

ROOT = Path(__file__).resolve().parents[2]
TABLE = [{"Fn::GetAtt": ["PaymuxTable", "Arn"]}, {"Fn::Sub": "${PaymuxTable.Arn}/index/*"}]
RESOURCES = {
    "dynamodb": TABLE,
    "s3:GetObject": [{"Fn::Sub": "${ReportsBucket.Arn}/reports/*"}],
    "s3:ListBucket": [{"Fn::GetAtt": ["ReportsBucket", "Arn"]}],
    "sqs:SendMessage": [{"Fn::GetAtt": ["NotifyQueue", "Arn"]}],
}


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    found: dict[str, Any] = load_template(ROOT / "template.yaml")["Resources"]
    return found


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    template = load_template(ROOT / "template.yaml")
    found: dict[str, Any] = transform_template(template, choose_parameters(template, {}), REGION)["Resources"]
    return found


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(cfn: dict[str, Any], function: str) -> dict[str, list[Any]]:
    """action → the resources it is allowed on, over every inline policy of the function's role."""
    role = cfn[f"{function}Role"]["Properties"]
    grants: dict[str, list[Any]] = {}
    for policy in role.get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in _listed(statement["Action"]):
                grants.setdefault(action, []).extend(_listed(statement["Resource"]))
    return grants


def _runs(op: ConsoleOperation) -> str:
    """The operation name functions/<dir>/app.py hands to operation_handler."""
    tree = ast.parse((ROOT / "functions" / op.directory / "app.py").read_text())
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "operation_handler"
    ]
    assert len(calls) == 1, op.directory
    value = calls[0].args[0]
    assert isinstance(value, ast.Constant)
    return str(value.value)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_each_operation_has_one_function_and_route_behind_the_jwt_authorizer(
    sam, op: ConsoleOperation
) -> None:
    functions = [
        name
        for name, r in sam.items()
        if r["Type"] == "AWS::Serverless::Function"
        and r["Properties"]["CodeUri"] == f"functions/{op.directory}/"
    ]
    assert functions == [op.function]
    assert _runs(op) == op.name
    props = sam[op.function]["Properties"]
    (event,) = props["Events"].values()
    assert event["Type"] == "HttpApi"
    assert event["Properties"]["Method"] == op.method and event["Properties"]["Path"] == op.path
    assert event["Properties"]["Auth"] == {"Authorizer": "ConsoleJwt"}
    base = op.function.removesuffix("Function")
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": f"{base}Logs"}}
    assert sam[f"{base}Logs"]["Properties"]["LogGroupName"] == {
        "Fn::Sub": f"/paymux/${{AWS::StackName}}/{op.directory}"
    }
    alarm = json.dumps(sam[f"{base}ErrorsAlarm"]["Properties"]["Metrics"])
    assert alarm.count(f'{{"Ref": "{op.function}"}}') == 2  # errors and throttles
    dashboard = json.dumps(sam["OperationsDashboard"]["Properties"]["DashboardBody"])
    assert dashboard.count(f"${{{op.function}}}") == 3  # errors, throttles, duration


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_each_role_grants_exactly_the_operations_actions_on_their_resources(
    cfn, op: ConsoleOperation
) -> None:
    grants = _grants(cfn, op.function)
    assert set(grants) == set(op.actions)
    for action, resources in grants.items():
        expected = RESOURCES[action] if action in RESOURCES else RESOURCES[action.split(":")[0]]
        assert resources == expected, action


def test_the_read_only_operations_are_granted_no_write(cfn) -> None:
    for op in OPERATIONS:
        if op.method == "GET":
            writes = [
                a
                for a in _grants(cfn, op.function)
                if a.split(":")[1].startswith(("Put", "Update", "Delete", "BatchWrite", "Transact"))
            ]
            assert writes == [], op.name


def test_the_unrouted_console_function_is_granted_nothing(cfn) -> None:
    assert _grants(cfn, UNROUTED_FUNCTION) == {}


def test_the_catalogue_routes_every_path_once_and_types_the_rest() -> None:
    for op in OPERATIONS:
        concrete = op.path.replace("{", "x").replace("}", "")
        assert route(op.method, concrete)[0] is op
    assert allowed("/console/api/payments/pay_1") == ("GET",)
    with pytest.raises(MethodNotAllowed) as refused:
        route("DELETE", "/console/api/accounts/acc-1")
    assert refused.value.allow == ("PATCH",)
    for path in ("/console/api/nowhere", "/console/api/payments/a/b", "/console/api/", "/console/apix/me"):
        with pytest.raises(NotFound):
            route("GET", path)


@pytest.mark.parametrize("value", ["a b", "<script>", "x" * 401, "a/b"])
def test_a_path_parameter_no_id_grammar_allows_is_a_typed_404_before_any_read(value: str) -> None:
    claims = {"sub": "s", "cognito:username": "op", "cognito:groups": "[operators]", "token_use": "id"}
    event = {
        "rawPath": "/console/api/payments/x",
        "pathParameters": {"payment_id": value},
        "headers": {},
        "requestContext": {
            "http": {"method": "GET"},
            "requestId": "r",
            "authorizer": {"jwt": {"claims": claims}},
        },
    }
    answer = operation_handler("payment")(None, event)  # type: ignore[arg-type]  # no store is reached
    assert (answer["statusCode"], json.loads(answer["body"])["error"]["code"]) == (404, "not_found")
    assert value not in answer["body"]
