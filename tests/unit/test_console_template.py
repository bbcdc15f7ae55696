"""The console's resources in template.yaml: the JWT authorizer guards every console API route
but the sign-in, it trusts only the console pool's app client, and no user can sign up or move
itself to another merchant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.template import load_template
from paymux.console.api import OPERATIONS, UNROUTED_FUNCTION, UNROUTED_PATH

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    found: dict[str, Any] = load_template(ROOT / "template.yaml")["Resources"]
    return found


def routes(resources: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    """(method, path) → (function, authorizer)."""
    found = {}
    for name, resource in resources.items():
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                props = event["Properties"]
                found[(props["Method"].upper(), props["Path"])] = (
                    name,
                    (props.get("Auth") or {}).get("Authorizer", ""),
                )
    return found


def test_the_jwt_authorizer_guards_the_console_api_but_not_its_sign_in_or_page(resources) -> None:
    console = {k: v for k, v in routes(resources).items() if k[1].startswith("/console")}
    assert console == {
        ("GET", "/console"): ("ConsolePageFunction", ""),
        ("POST", "/console/api/login"): ("ConsoleLoginFunction", ""),
        ("POST", "/console/api/login/new-password"): ("ConsoleLoginFunction", ""),
        ("ANY", UNROUTED_PATH): (UNROUTED_FUNCTION, "ConsoleJwt"),
        **{(op.method, op.path): (op.function, "ConsoleJwt") for op in OPERATIONS},
    }
    jwt = resources["HttpApi"]["Properties"]["Auth"]["Authorizers"]["ConsoleJwt"]
    assert jwt["IdentitySource"] == "$request.header.Authorization"
    assert jwt["JwtConfiguration"] == {
        "issuer": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${ConsoleUserPool}"},
        "audience": [{"Ref": "ConsoleUserPoolClient"}],
    }


def test_users_are_created_by_operators_and_cannot_change_their_merchant(resources) -> None:
    pool = resources["ConsoleUserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert [a["Name"] for a in pool["Schema"]] == ["merchant_id"]
    client = resources["ConsoleUserPoolClient"]["Properties"]
    assert "custom:merchant_id" not in client["WriteAttributes"]
    assert client["GenerateSecret"] is False
    groups = {
        r["Properties"]["GroupName"] for r in resources.values() if r["Type"] == "AWS::Cognito::UserPoolGroup"
    }
    assert groups == {"operators", "merchants"}


def test_the_console_api_reads_reports_only_and_no_secrets(resources) -> None:
    for op in OPERATIONS:
        policies = resources[op.function]["Properties"].get("Policies") or [{"Statement": []}]
        statements = policies[0]["Statement"]
        actions = {
            a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        }
        assert not any(a.startswith(("secretsmanager:", "dynamodb:Delete", "dynamodb:Scan")) for a in actions)
        for read in [s for s in statements if s["Action"] == "s3:GetObject"]:
            assert read["Resource"] == {"Fn::Sub": "${ReportsBucket.Arn}/reports/*"}
