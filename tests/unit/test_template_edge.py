"""The API's edge and the archive in template.yaml: TLS 1.2 on the custom domain, the execute-api
endpoint off exactly when a custom domain serves the API (and the callback base follows it),
and Object Lock in governance mode on the bucket that archives statements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.intrinsics import Intrinsics, pseudo_parameters
from local.stack import REGION
from local.template import choose_parameters, load_template, transform_template

ROOT = Path(__file__).resolve().parents[2]
CUSTOM = {"DomainName": "pay.example.com", "CertificateArn": "arn:aws:acm:us-east-1:1:certificate/x"}
API_ID = "a1b2c3d4e5"


def deployed(wanted: dict[str, str]) -> tuple[dict[str, Any], Intrinsics]:
    """The CloudFormation template SAM produces, and a resolver for the given parameters."""
    sam = load_template(ROOT / "template.yaml")
    parameters = choose_parameters(sam, wanted)
    cfn: dict[str, Any] = transform_template(sam, parameters, REGION)
    resolver = Intrinsics(
        pseudo_parameters(REGION, "paymux-prod") | parameters,
        lambda name, attribute: API_ID if name == "HttpApi" else f"{name}.{attribute}",
        cfn.get("Conditions") or {},
    )
    return cfn, resolver


def endpoint_disabled(cfn: dict[str, Any], resolver: Intrinsics) -> bool:
    body = cfn["Resources"]["HttpApi"]["Properties"]["Body"]
    configurations = [
        s.get("x-amazon-apigateway-endpoint-configuration", {}) for s in body.get("servers", [])
    ]
    flags = [resolver.resolve(c["disableExecuteApiEndpoint"]) for c in configurations if c]
    return flags == [True]


def test_the_custom_domain_uses_tls_1_2() -> None:
    cfn, _ = deployed(CUSTOM)
    (configuration,) = cfn["Resources"]["ApiDomainName"]["Properties"]["DomainNameConfigurations"]
    assert configuration["SecurityPolicy"] == "TLS_1_2"


@pytest.mark.parametrize(
    ("wanted", "disabled", "domain"),
    [
        (CUSTOM, True, "pay.example.com"),
        ({}, False, f"{API_ID}.execute-api.{REGION}.amazonaws.com"),
    ],
)
def test_execute_api_is_off_exactly_with_a_custom_domain_and_callbacks_follow(
    wanted, disabled, domain
) -> None:
    cfn, resolver = deployed(wanted)
    assert endpoint_disabled(cfn, resolver) is disabled
    # Channels are handed https://<this>/v1/callbacks/... when PublicBaseUrl is empty
    # (Settings reads it through PAYMUX_API_DOMAIN_PARAMETER): never the disabled endpoint.
    parameter = resolver.resolve(cfn["Resources"]["ApiDomainParameter"]["Properties"])
    assert parameter["Value"] == domain
    outputs = resolver.resolve(cfn["Outputs"])
    assert outputs["CallbackBaseUrl"]["Value"] == f"https://{domain}/v1/callbacks"
    assert outputs["ApiUrl"]["Value"] == f"https://{domain}"


def test_archived_statements_are_under_governance_object_lock() -> None:
    cfn, _ = deployed({})
    bucket = cfn["Resources"]["ReportsBucket"]["Properties"]
    assert bucket["ObjectLockEnabled"] is True
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}  # Object Lock requires it
    assert bucket["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1825}},
    }
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    # Replaced versions are not scheduled to expire before their lock has run out.
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] > 1825
