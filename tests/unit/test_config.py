"""Settings: where the base of the channel callback URLs comes from, and refusing to start when
it cannot be derived or is not an absolute URL; the template's wiring of it (no circular
dependency, the parameter the functions read is the one CloudFormation writes and may read)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.intrinsics import Intrinsics, pseudo_parameters, references
from local.template import choose_parameters, load_template, transform_template
from paymux.config import STATS_SHARDS, Settings
from paymux.deps import Deps
from paymux.errors import ConfigurationError
from paymux.services.payments import callback_url

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
PARAMETER = "/paymux/paymux-dev/api-domain"
BASE_ENV = {
    "PAYMUX_STAGE": "dev",
    "PAYMUX_TABLE": "t",
    "PAYMUX_NOTIFY_QUEUE_URL": "https://sqs.example/q",
    "PAYMUX_NOTIFY_DLQ_URL": "https://sqs.example/dlq",
    "PAYMUX_BUCKET": "b",
    "PAYMUX_SECRETS_PREFIX": "paymux/dev/",
    "PAYMUX_ALLOW_HTTP_URLS": "false",
}
# Functions that may hand a channel a callback URL: create, refund, and every path that applies
# a trade result (an automatic refund of a duplicate or late charge) or resubmits a refund.
CALLBACK_FUNCTIONS = {
    "CreatePaymentFunction",
    "GetPaymentFunction",
    "ClosePaymentFunction",
    "RefundPaymentFunction",
    "ChannelCallbackFunction",
    "SweepWorkerFunction",  # the sweep's checks (a refund sent again); the planner asks no channel
    "ReconcileFunction",
    # the checkout starts payments (the choice, the aggregated code) and closes them (a switch,
    # an expiry found by a read), whose answers may apply a charge
    "CheckoutSessionsFunction",
    "CheckoutPageFunction",
    "CheckoutChooseFunction",
    "CheckoutStatusFunction",
}


def settings(**env: str) -> Settings:
    return Settings.from_env(BASE_ENV | env)


def test_public_base_url_wins_and_loses_its_trailing_slash() -> None:
    given = settings(
        PAYMUX_PUBLIC_BASE_URL="https://pay.example.com/gw/",
        PAYMUX_API_DOMAIN="abc.execute-api.us-east-1.amazonaws.com",
        PAYMUX_API_DOMAIN_PARAMETER=PARAMETER,
    )
    assert given.public_base_url == "https://pay.example.com/gw"


def test_the_api_domain_gives_an_https_base_and_the_local_api_an_http_one() -> None:
    deployed = settings(
        PAYMUX_PUBLIC_BASE_URL="", PAYMUX_API_DOMAIN="abc.execute-api.us-east-1.amazonaws.com"
    )
    assert deployed.public_base_url == "https://abc.execute-api.us-east-1.amazonaws.com"
    local = settings(PAYMUX_STAGE="local", PAYMUX_ALLOW_HTTP_URLS="true", PAYMUX_API_DOMAIN="127.0.0.1:3000")
    assert local.public_base_url == "http://127.0.0.1:3000"


def test_with_only_the_parameter_the_base_is_read_later() -> None:
    only = settings(PAYMUX_PUBLIC_BASE_URL="", PAYMUX_API_DOMAIN_PARAMETER=PARAMETER)
    assert (only.public_base_url, only.api_domain_parameter) == ("", PARAMETER)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"PAYMUX_PUBLIC_BASE_URL": "", "PAYMUX_API_DOMAIN": " "},
        {"PAYMUX_PUBLIC_BASE_URL": "https://"},  # what an empty domain used to give
        {"PAYMUX_PUBLIC_BASE_URL": "pay.example.com"},
        {"PAYMUX_PUBLIC_BASE_URL": "http://pay.example.com"},  # http only where allowed
        {"PAYMUX_PUBLIC_BASE_URL": "https://pay.example.com?x=1"},
        {"PAYMUX_PUBLIC_BASE_URL": "https://user:pw@pay.example.com"},
        {"PAYMUX_PUBLIC_BASE_URL": "https://pay.example.com:port"},
        {"PAYMUX_API_DOMAIN": "https://abc.example.com"},
        {"PAYMUX_API_DOMAIN": "abc.example.com/v1"},
        {"PAYMUX_STAGE": "local", "PAYMUX_API_DOMAIN": "127.0.0.1:3000"},  # local, but http refused
    ],
)
def test_refuses_to_start_without_an_absolute_callback_base(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        settings(**env)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # a local stack of the session, if any
    with mock_aws():
        yield boto3.client("ssm", region_name="us-east-1")


def test_the_parameter_is_read_once_and_builds_every_callback_url(aws: Any) -> None:
    aws.put_parameter(Name=PARAMETER, Value="abc.execute-api.us-east-1.amazonaws.com", Type="String")
    d = Deps(settings=settings(PAYMUX_API_DOMAIN_PARAMETER=PARAMETER))
    expected = "https://abc.execute-api.us-east-1.amazonaws.com/v1/callbacks/wechat/wx-1"
    assert callback_url(d, "", "wechat", "wx-1") == expected
    aws.put_parameter(Name=PARAMETER, Value="changed.example.com", Type="String", Overwrite=True)
    assert callback_url(d, "", "alipay", "ali-1").startswith("https://abc.execute-api")  # cached


def test_an_api_request_takes_the_base_from_its_own_domain_and_reads_no_parameter(aws: Any) -> None:
    # No parameter exists: reading it would stop the function. API Gateway's domainName is the
    # domain the request came in on (the custom domain, whose execute-api endpoint is disabled,
    # or the execute-api domain): the very domain the parameter holds.
    d = Deps(settings=settings(PAYMUX_API_DOMAIN_PARAMETER=PARAMETER))
    url = callback_url(d, "pay.example.com", "wechat", "wx-1")
    assert url == "https://pay.example.com/v1/callbacks/wechat/wx-1"
    assert "ssm" not in vars(d)  # no SSM client built either
    with pytest.raises(ConfigurationError, match=PARAMETER):
        callback_url(d, "", "wechat", "wx-1")  # no request (the sweeper): the parameter, as before


def test_the_public_base_url_wins_over_the_request_domain() -> None:
    d = Deps(settings=settings(PAYMUX_PUBLIC_BASE_URL="https://callbacks.example.com"))
    url = callback_url(d, "pay.example.com", "alipay", "ali-1")
    assert url == "https://callbacks.example.com/v1/callbacks/alipay/ali-1"


def test_a_missing_or_unusable_parameter_stops_the_function(aws: Any) -> None:
    d = Deps(settings=settings(PAYMUX_API_DOMAIN_PARAMETER=PARAMETER))
    with pytest.raises(ConfigurationError, match=PARAMETER):
        callback_url(d, "", "wechat", "wx-1")
    aws.put_parameter(Name=PARAMETER, Value="abc.example.com/v1", Type="String")
    with pytest.raises(ConfigurationError):
        callback_url(d, "", "wechat", "wx-1")


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    sam = load_template(TEMPLATE)
    return transform_template(sam, choose_parameters(sam, {}), "us-east-1")


def _cycle(resources: dict[str, Any]) -> list[str] | None:
    graph = {k: {n for n, _ in references(v) if n in resources} for k, v in resources.items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, node])):
                return found
        state[node] = 2
        return None

    return next((c for n in sorted(graph) if n not in state and (c := visit(n, []))), None)


def test_the_transformed_template_has_no_circular_dependency(cfn: dict[str, Any]) -> None:
    assert _cycle(cfn["Resources"]) is None


def test_functions_read_the_parameter_cloudformation_writes(cfn: dict[str, Any]) -> None:
    resolver = Intrinsics(
        pseudo_parameters("us-east-1", "paymux-dev") | choose_parameters(load_template(TEMPLATE), {}),
        lambda logical_id, attribute: "a1b2c3" if logical_id == "HttpApi" else logical_id,
        cfn.get("Conditions") or {},
    )
    parameter = resolver.resolve(cfn["Resources"]["ApiDomainParameter"]["Properties"])
    assert (parameter["Name"], parameter["Value"]) == (
        PARAMETER,
        "a1b2c3.execute-api.us-east-1.amazonaws.com",
    )
    arn = f"arn:aws:ssm:us-east-1:123456789012:parameter{PARAMETER}"
    allowed = set()
    for logical_id, resource in cfn["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        env = resolver.resolve(resource["Properties"]["Environment"]["Variables"])
        assert env["PAYMUX_API_DOMAIN_PARAMETER"] == PARAMETER, logical_id
        role = cfn["Resources"][resource["Properties"]["Role"]["Fn::GetAtt"][0]]
        statements = [
            s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]
        ]
        if any(
            s.get("Action") == "ssm:GetParameter" and resolver.resolve(s["Resource"]) == arn
            for s in statements
        ):
            allowed.add(logical_id)
    assert allowed == CALLBACK_FUNCTIONS


def test_the_stats_shards_are_the_template_s_for_every_function_and_checked() -> None:
    sam = load_template(TEMPLATE)
    assert sam["Parameters"]["StatsShards"]["Default"] == STATS_SHARDS
    assert sam["Globals"]["Function"]["Environment"]["Variables"]["PAYMUX_STATS_SHARDS"] == {
        "Ref": "StatsShards"
    }
    assert Settings.from_env({**BASE_ENV, "PAYMUX_PUBLIC_BASE_URL": "https://p.example"}).stats_shards == 4
    given = {**BASE_ENV, "PAYMUX_PUBLIC_BASE_URL": "https://p.example", "PAYMUX_STATS_SHARDS": "8"}
    assert Settings.from_env(given).stats_shards == 8
    with pytest.raises(ConfigurationError, match="PAYMUX_STATS_SHARDS"):
        Settings.from_env({**given, "PAYMUX_STATS_SHARDS": "0"})
