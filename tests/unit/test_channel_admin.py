"""Channel-account administration without AWS: what is accepted and refused (with which field),
that a refused write writes nothing, what an update merges, what is audited, and that the
template keeps every /v1/admin/* route behind IAM with write-only, channel-scoped secrets."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from local.template import load_template
from paymux.api.admin import Forbidden, caller_arn, handle_admin, json_object
from paymux.channels.base import ChannelAccount
from paymux.errors import Conflict, NotFound, ValidationFailed
from paymux.services import channel_admin
from paymux.store.channels import AccountRecord
from tests.keys import apiv3_key, keypair
from tests.support import ROOT

NOW = 1764316800.0
ACTOR = "arn:aws:iam::123456789012:user/ops"


def credentials() -> dict[str, Any]:
    return {
        "merchant_private_key_pem": keypair("channel-admin").private_pem,
        "merchant_cert_serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "apiv3_key": apiv3_key(),
        "wechatpay_public_key": {"id": "PUB_KEY_ID_01", "public_key_pem": keypair("platform").public_pem},
    }


def doc(**changes: Any) -> dict[str, Any]:
    fields = {
        "account_id": "wx-main",
        "provider": "wechat",
        "products": ["wechat.native", "wechat.jsapi"],
        "mchid": "1900000109",
        "appid": "wxd678efh567hg6787",
        "base_url": "https://api.mch.weixin.qq.com",
        "owner": "mch_1",
        "credentials": credentials(),
    }
    return {**fields, **changes}


class FakeStore:
    """ChannelConfigStore's administration surface, in memory; counts writes."""

    def __init__(self) -> None:
        self.items: dict[str, AccountRecord] = {}
        self.secrets: dict[str, dict[str, Any]] = {}
        self.writes = 0

    def records(self) -> list[AccountRecord]:
        return list(self.items.values())

    def record(self, account_id: str) -> AccountRecord | None:
        return self.items.get(account_id)

    def credentials(self, account_id: str) -> dict[str, Any]:
        return self.secrets[account_id]

    def put_account(
        self,
        account: ChannelAccount,
        creds: dict[str, Any] | None,
        *,
        updated_by: str = "",
        create: bool = False,
        expected_version: int | None = None,
    ) -> AccountRecord:
        current = self.items.get(account.account_id)
        if create and current is not None:
            raise Conflict("channel_account_exists", "exists")
        if expected_version is not None and (current.version if current else None) != expected_version:
            raise Conflict("version_conflict", "changed")
        self.writes += 1
        if creds is not None:
            self.secrets[account.account_id] = creds
        version = (current.version if current else 0) + 1
        self.items[account.account_id] = AccountRecord(account, NOW + self.writes, updated_by, version)
        return self.items[account.account_id]


@pytest.fixture
def d() -> Any:
    return SimpleNamespace(channel_config=FakeStore())


def problems(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    assert exc.value.status == 422
    return {detail["field"]: detail["message"] for detail in exc.value.details}


def test_create_stores_the_account_and_credentials_and_returns_no_credentials(d: Any) -> None:
    creds = credentials()
    created = channel_admin.create_account(
        d, doc(weight=3, fee_rate="0.0038", credentials=creds), actor=ACTOR
    )
    assert created == {
        "object": "channel_account",
        "account_id": "wx-main",
        "provider": "wechat",
        "products": ["wechat.native", "wechat.jsapi"],
        "mchid": "1900000109",
        "appid": "wxd678efh567hg6787",
        "base_url": "https://api.mch.weixin.qq.com",
        "weight": 3,
        "enabled": True,
        "priority": 100,
        "fee_rate": "0.0038",
        "mode": "direct",
        "owner": "mch_1",
        "problem": None,
        "updated_at": "2025-11-28T08:00:01Z",
        "updated_by": ACTOR,
        "version": 1,
    }
    assert d.channel_config.secrets["wx-main"] == creds
    assert channel_admin.get_account(d, "wx-main") == created
    assert channel_admin.list_accounts(d) == [created]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"colour": "red"}, "colour", "unknown field"),
        ({"provider": "paypal"}, "provider", "unknown provider"),
        (
            {"products": ["wechat.native", "wechat.teleport"]},
            "products",
            "wechat.teleport not offered by wechat",
        ),
        ({"products": []}, "products", "at least 1"),
        ({"weight": -1}, "weight", "greater than or equal to 0"),
        ({"weight": "3"}, "weight", "valid integer"),
        ({"weight": True}, "weight", "valid integer"),
        ({"priority": -5}, "priority", "greater than or equal to 0"),
        ({"enabled": "yes"}, "enabled", "valid boolean"),
        ({"fee_rate": "six per mille"}, "fee_rate", "decimal"),
        ({"fee_rate": "1e-3"}, "fee_rate", "decimal"),
        ({"fee_rate": "1.5"}, "fee_rate", "below 1"),
        ({"fee_rate": "NaN"}, "fee_rate", "decimal"),
        ({"base_url": "http://api.mch.weixin.qq.com"}, "base_url", "https://"),
        ({"base_url": "ftp://files.example.com"}, "base_url", "https://"),
        ({"base_url": "https://"}, "base_url", "https://"),
        ({"base_url": "https://u:p@api.example.com"}, "base_url", "no credentials"),
        ({"base_url": "https://api.example.com/?x=1"}, "base_url", "no credentials, query"),
        ({"base_url": "https://api.example.com:99999"}, "base_url", "not a URL"),
        ({"base_url": "http://127.0.0.1.example.com"}, "base_url", "https://"),
        ({"account_id": "wx main"}, "account_id", "pattern"),
        ({"account_id": "../merchant/app_1"}, "account_id", "pattern"),
        ({"account_id": "x" * 65}, "account_id", "pattern"),
        ({"mchid": ""}, "mchid", "at least 1"),
        ({"mchid": 1900000109}, "mchid", "valid string"),
        ({"merchants": ["mch_1"]}, "merchants", "unknown field"),
        ({"mode": "pooled"}, "mode", "'direct' or 'provider'"),
        ({"credentials": {}}, "credentials", "at least 1"),
        ({"credentials": "secret"}, "credentials", "valid dictionary"),
    ],
)
def test_create_refuses_with_the_field_and_writes_nothing(
    d: Any, changes: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        channel_admin.create_account(d, doc(**changes))
    assert field in problems(exc) and says in problems(exc)[field], problems(exc)
    assert d.channel_config.writes == 0 and not d.channel_config.secrets


def test_several_problems_are_reported_together(d: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        channel_admin.create_account(d, doc(weight=-1, fee_rate="x", base_url="http://x.example", extra=1))
    assert set(problems(exc)) == {"weight", "fee_rate", "base_url", "extra"}


def test_missing_fields_and_credentials(d: Any) -> None:
    without = {k: v for k, v in doc().items() if k not in ("mchid", "credentials")}
    with pytest.raises(ValidationFailed) as exc:
        channel_admin.create_account(d, without)
    assert problems(exc) == {"mchid": "Field required", "credentials": "Field required"}


@pytest.mark.parametrize(
    ("creds", "says"),
    [
        ({"apiv3_key": "k" * 32}, "missing merchant_private_key_pem"),
        (
            {**credentials(), "merchant_private_key_pem": "-----BEGIN PRIVATE KEY-----\nnot a key\n"},
            "not usable",
        ),
    ],
)
def test_credentials_the_channel_cannot_use_are_refused_without_echoing_them(
    d: Any, creds: dict[str, Any], says: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        channel_admin.create_account(d, doc(credentials=creds))
    assert says in problems(exc)["credentials"]
    text = json.dumps(exc.value.details) + exc.value.message
    assert "not a key" not in text and "k" * 32 not in text
    assert exc.value.__cause__ is None and exc.value.__suppress_context__


def test_a_validated_request_does_not_show_its_credentials() -> None:
    from paymux.api.admin_models import CreateChannelAccountRequest, validate

    creds = credentials()
    request = validate(CreateChannelAccountRequest, doc(credentials=creds))
    assert creds["apiv3_key"] not in repr(request) + str(request)
    with pytest.raises(ValidationFailed) as exc:
        validate(CreateChannelAccountRequest, doc(credentials=creds, weight=-1))
    assert exc.value.__cause__ is None and exc.value.__suppress_context__  # no pydantic error (input)
    assert "credentials" not in request.account().__dataclass_fields__


def test_local_sandboxes_may_be_http_and_values_are_normalised(d: Any) -> None:
    for url in ("http://127.0.0.1:8080", "http://localhost/", "https://api.example.com/v3/"):
        created = channel_admin.create_account(
            d, doc(account_id=f"wx-{len(d.channel_config.items)}", base_url=url, fee_rate=0.006)
        )
        assert created["base_url"] == url.rstrip("/") and created["fee_rate"] == "0.006"
    dup = channel_admin.create_account(d, doc(account_id="wx-dup", products=["wechat.h5", "wechat.h5"]))
    assert dup["products"] == ["wechat.h5"]


def test_an_existing_id_conflicts_and_keeps_its_credentials(d: Any) -> None:
    channel_admin.create_account(d, doc())
    kept = d.channel_config.secrets["wx-main"]
    with pytest.raises(Conflict) as exc:
        channel_admin.create_account(d, doc(weight=7))
    assert (exc.value.status, exc.value.code) == (409, "channel_account_exists")
    assert d.channel_config.secrets["wx-main"] is kept and d.channel_config.writes == 1


def test_update_merges_some_fields_and_keeps_the_rest(d: Any) -> None:
    channel_admin.create_account(d, doc(weight=2, owner="mch_7"))
    updated = channel_admin.update_account(d, "wx-main", {"priority": 5, "fee_rate": "0.0030"}, actor=ACTOR)
    assert (updated["priority"], updated["fee_rate"], updated["weight"], updated["owner"]) == (
        5,
        "0.0030",
        2,
        "mch_7",
    )
    assert updated["updated_by"] == ACTOR and d.channel_config.writes == 2
    assert "wx-main" in d.channel_config.secrets  # untouched


def test_update_replaces_credentials_only_when_given(d: Any) -> None:
    channel_admin.create_account(d, doc())
    replacement = credentials() | {"merchant_cert_serial": "NEW"}
    channel_admin.update_account(d, "wx-main", {}, replacement)
    assert d.channel_config.secrets["wx-main"]["merchant_cert_serial"] == "NEW"
    with pytest.raises(ValidationFailed) as exc:
        channel_admin.update_account(d, "wx-main", {"weight": 4}, {"apiv3_key": "x"})
    assert set(problems(exc)) == {"credentials"}
    assert d.channel_config.record("wx-main").account.weight == 1


def test_update_without_a_change_writes_nothing(d: Any) -> None:
    created = channel_admin.create_account(d, doc())
    assert channel_admin.update_account(d, "wx-main", {"weight": 1, "account_id": "wx-main"}) == created
    assert d.channel_config.writes == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"account_id": "wx-other"}, "account_id"),
        ({"provider": "alipay"}, "provider"),
        ({"weight": None}, "weight"),
        ({"weight": -3}, "weight"),
        ({"products": ["wechat.teleport"]}, "products"),
        ({"nickname": "main"}, "nickname"),
    ],
)
def test_update_refuses_with_the_field_and_writes_nothing(
    d: Any, changes: dict[str, Any], field: str
) -> None:
    channel_admin.create_account(d, doc())
    with pytest.raises(ValidationFailed) as exc:
        channel_admin.update_account(d, "wx-main", changes)
    assert list(problems(exc)) == [field]
    assert d.channel_config.writes == 1


def test_an_item_stored_before_validation_still_updates(d: Any) -> None:
    """Accounts written by the first operator command could hold a number as fee_rate."""
    channel_admin.create_account(d, doc())
    record = d.channel_config.items["wx-main"]
    d.channel_config.items["wx-main"] = replace(record, account=replace(record.account, fee_rate=0.006))
    assert channel_admin.update_account(d, "wx-main", {"weight": 2})["fee_rate"] == "0.006"


def test_an_invalid_stored_account_can_always_be_disabled(d: Any) -> None:
    channel_admin.create_account(d, doc())
    record = d.channel_config.items["wx-main"]
    legacy = replace(record.account, base_url="http://10.0.0.8", products=("wechat.teleport",))
    d.channel_config.items["wx-main"] = replace(record, account=legacy)
    with pytest.raises(ValidationFailed) as exc:
        channel_admin.update_account(d, "wx-main", {"weight": 5})
    assert set(problems(exc)) == {"base_url", "products"}
    assert problems(exc)["base_url"].startswith("the stored value is invalid")
    assert channel_admin.disable_account(d, "wx-main")["enabled"] is False
    assert d.channel_config.items["wx-main"].account == replace(legacy, enabled=False)
    fixed = channel_admin.update_account(
        d, "wx-main", {"base_url": "https://x.example", "products": ["wechat.h5"]}
    )
    assert (fixed["base_url"], fixed["products"], fixed["enabled"]) == (
        "https://x.example",
        ["wechat.h5"],
        False,
    )


def test_a_direct_account_without_an_owner_is_refused_and_nothing_is_written(d: Any) -> None:
    """Funds are never pooled: no account serves every merchant."""
    with pytest.raises(ValidationFailed) as exc:
        channel_admin.create_account(d, doc(owner=""))
    assert (exc.value.status, exc.value.code) == (422, "account_owner_required")
    assert list(problems(exc)) == ["owner"] and d.channel_config.writes == 0
    with pytest.raises(ValidationFailed) as exc:
        channel_admin.create_account(d, doc(mode="provider"))  # a provider account has no owner
    assert exc.value.code == "provider_account_owned" and d.channel_config.writes == 0
    created = channel_admin.create_account(d, doc(mode="provider", owner=""))
    assert (created["mode"], created["owner"], created["problem"]) == ("provider", "", None)


def test_a_stored_account_without_an_owner_says_why_and_must_get_one(d: Any) -> None:
    """An account stored before owners existed: shown with its problem, refused on any change
    but disabling or giving it an owner."""
    channel_admin.create_account(d, doc())
    record = d.channel_config.items["wx-main"]
    d.channel_config.items["wx-main"] = replace(record, account=replace(record.account, owner=""))
    shown = channel_admin.get_account(d, "wx-main")
    assert shown["problem"]["code"] == "account_owner_required" and shown["owner"] == ""
    with pytest.raises(ValidationFailed) as exc:
        channel_admin.update_account(d, "wx-main", {"weight": 5})
    assert exc.value.code == "account_owner_required" and d.channel_config.writes == 1
    fixed = channel_admin.update_account(d, "wx-main", {"owner": "mch_9"})
    assert (fixed["owner"], fixed["problem"]) == ("mch_9", None)


def test_unknown_accounts_are_not_found(d: Any) -> None:
    for call in (
        lambda: channel_admin.get_account(d, "nope"),
        lambda: channel_admin.update_account(d, "nope", {"weight": 1}),
        lambda: channel_admin.disable_account(d, "nope"),
    ):
        with pytest.raises(NotFound):
            call()
    assert d.channel_config.writes == 0


def test_disable_and_list_in_routing_order(d: Any) -> None:
    channel_admin.create_account(d, doc(account_id="wx-b", priority=10))
    channel_admin.create_account(d, doc(account_id="wx-a", priority=10))
    channel_admin.create_account(d, doc(account_id="wx-0", priority=50))
    assert channel_admin.disable_account(d, "wx-b", actor=ACTOR)["enabled"] is False
    assert [a["account_id"] for a in channel_admin.list_accounts(d)] == ["wx-a", "wx-b", "wx-0"]


def test_every_write_is_audited_without_credentials(d: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="paymux")
    creds = credentials()
    channel_admin.create_account(d, doc(credentials=creds), actor=ACTOR)
    channel_admin.update_account(d, "wx-main", {"weight": 4, "enabled": False}, creds, actor=ACTOR)
    lines = [json.loads(r.getMessage()) for r in caplog.records]
    assert [(x["audit"], x["actor"], x["credentials_replaced"]) for x in lines] == [
        ("channel_account.created", ACTOR, True),
        ("channel_account.updated", ACTOR, True),
    ]
    assert lines[0]["changes"]["mchid"] == "1900000109"
    assert lines[1]["changes"] == {"weight": [1, 4], "enabled": [True, False]}
    logged = caplog.text
    for value in (creds["apiv3_key"], creds["merchant_cert_serial"], "PRIVATE KEY", "PUBLIC KEY"):
        assert value not in logged


def test_split_credentials() -> None:
    assert channel_admin.split_credentials({"weight": 1}) == ({"weight": 1}, None)
    assert channel_admin.split_credentials({"credentials": {"a": 1}}) == ({}, {"a": 1})
    with pytest.raises(ValidationFailed):
        channel_admin.split_credentials({"credentials": None})


# -- the HTTP side: IAM identity and bodies ------------------------------------------------------


def event(iam: dict[str, Any] | None) -> dict[str, Any]:
    context: dict[str, Any] = {"http": {"method": "GET"}, "requestId": "r-1"}
    if iam is not None:
        context["authorizer"] = {"iam": iam}
    return {"rawPath": "/v1/admin/channel-accounts", "requestContext": context}


def test_the_caller_is_the_iam_principal_and_nothing_else() -> None:
    assert caller_arn(event({"userArn": ACTOR})) == ACTOR
    for iam in (None, {}, {"userArn": ""}, {"userArn": "anonymous"}):
        with pytest.raises(Forbidden):
            caller_arn(event(iam))
    # A merchant signature is no identity here.
    signed = event(None) | {"headers": {"authorization": 'PAYMUX-HMAC-SHA256 app_id="a",signature="s"'}}
    response = handle_admin(lambda request, caller: (200, {"caller": caller}), signed)
    assert response["statusCode"] == 403 and json.loads(response["body"])["error"]["code"] == "forbidden"
    response = handle_admin(lambda request, caller: (200, {"caller": caller}), event({"userArn": ACTOR}))
    assert (response["statusCode"], json.loads(response["body"])) == (200, {"caller": ACTOR})


def test_bodies_must_be_json_objects() -> None:
    assert json_object(b"") == {} and json_object(b'{"a": 1}') == {"a": 1}
    for body in (b"{", b"[1]", b'"x"', b"null"):
        with pytest.raises(ValidationFailed):
            json_object(body)


# -- the template --------------------------------------------------------------------------------

FUNCTIONS = {
    "AdminListChannelAccountsFunction": ("GET", "/v1/admin/channel-accounts"),
    "AdminCreateChannelAccountFunction": ("POST", "/v1/admin/channel-accounts"),
    "AdminGetChannelAccountFunction": ("GET", "/v1/admin/channel-accounts/{account_id}"),
    "AdminUpdateChannelAccountFunction": ("PATCH", "/v1/admin/channel-accounts/{account_id}"),
}


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    resources: dict[str, Any] = load_template(ROOT / "template.yaml")["Resources"]
    return resources


def http_events(resources: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, event["Properties"])
        for name, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
        if event["Type"] == "HttpApi"
    ]


def test_admin_routes_and_only_they_are_iam_authorized(resources: dict[str, Any]) -> None:
    routes = http_events(resources)
    for name, props in routes:
        iam = (props.get("Auth") or {}).get("Authorizer") == "AWS_IAM"
        assert iam == props["Path"].startswith("/v1/admin/"), (name, props["Path"])
    found = {name: (p["Method"], p["Path"]) for name, p in routes if name in FUNCTIONS}
    assert found == FUNCTIONS


def statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for policy in resource["Properties"].get("Policies", []) for s in policy["Statement"]]


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_admin_functions_have_least_privilege_and_their_own_logs(resources: dict[str, Any]) -> None:
    for name in FUNCTIONS:
        resource = resources[name]
        folder = resource["Properties"]["CodeUri"].strip("/").split("/")[-1]
        assert (ROOT / "functions" / folder / "app.py").exists()
        log_group = resource["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert json.dumps(resources[log_group]["Properties"]["LogGroupName"]).endswith(f'/{folder}"}}')
        granted = [a for s in statements(resource) for a in actions(s)]
        # Credentials are write-only here, except that a WeChat key replacement reads the stored
        # verification keys it keeps (channel_admin._keep_verification_keys).
        reads = name == "AdminUpdateChannelAccountFunction"
        assert ("secretsmanager:GetSecretValue" in granted) is reads
        assert not any(a.endswith("*") for a in granted)
        for statement in statements(resource):
            text = json.dumps(statement["Resource"])
            if any(a.startswith("secretsmanager:") for a in actions(statement)):
                assert set(actions(statement)) == {
                    "secretsmanager:CreateSecret",
                    "secretsmanager:PutSecretValue",
                } | ({"secretsmanager:GetSecretValue"} if reads else set())
                assert text.endswith(':secret:paymux/${Stage}/channel/*"}')
            else:
                assert "index" not in text and "PaymuxTable" in text
    writers = ("AdminCreateChannelAccountFunction", "AdminUpdateChannelAccountFunction")
    for name in FUNCTIONS:
        granted = {a for s in statements(resources[name]) for a in actions(s)}
        assert ("secretsmanager:PutSecretValue" in granted) == (name in writers)
        assert ("dynamodb:PutItem" in granted) == (name in writers)


def test_the_read_only_admin_handlers_import_no_pydantic() -> None:
    for folder in ("admin_list_channel_accounts", "admin_get_channel_account"):
        code = (
            "import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('app', 'functions/{folder}/app.py')\n"
            "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
            "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
        )
        env = {"PYTHONPATH": str(ROOT / "layers" / "common"), "PATH": ""}
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
