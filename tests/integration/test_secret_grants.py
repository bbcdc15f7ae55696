"""The secrets each handler really reads fit the template's grants. The local stack does not
enforce IAM (moto accepts every call), so a payment's life and a WeChat key replacement are run
here with every GetSecretValue recorded against the handler that made it (the secret caches
emptied before each invocation, so that every read happens), and each read is checked against
that function's `secretsmanager:GetSecretValue` resources in template.yaml."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tests.support
from local.stack import REGION
from local.template import choose_parameters, load_template, transform_template
from paymux.deps import deps
from tests.integration.conftest import World
from tests.integration.test_admin_channels import Admin, account_doc
from tests.integration.test_notifications import notifications

ROOT = Path(__file__).resolve().parents[2]


def granted_patterns(prefix: str) -> dict[str, list[str]]:
    """Function folder -> the secret-name patterns its role may GetSecretValue, with the
    template's `paymux/${Stage}/` as the stack's PAYMUX_SECRETS_PREFIX."""
    sam = load_template(ROOT / "template.yaml")
    cfn = transform_template(sam, choose_parameters(sam, {}), REGION)
    patterns: dict[str, list[str]] = {}
    for name, resource in sam["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        folder = resource["Properties"]["CodeUri"].strip("/").split("/")[-1]
        role = cfn["Resources"][f"{name}Role"]["Properties"]
        statements = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
        patterns[folder] = [
            resource_arn["Fn::Sub"].split(":secret:", 1)[1].replace("paymux/${Stage}/", prefix)
            for s in statements
            if "secretsmanager:GetSecretValue"
            in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
            for resource_arn in ([s["Resource"]] if not isinstance(s["Resource"], list) else s["Resource"])
        ]
    return patterns


class RecordingSecrets:
    """The real (moto) client; GetSecretValue calls are noted with the running handler."""

    def __init__(self, real: Any, running: threading.local) -> None:
        self._real, self._running = real, running
        self.reads: list[tuple[str, str]] = []

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.reads.append((getattr(self._running, "function", ""), str(kwargs["SecretId"])))
        return self._real.get_secret_value(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> RecordingSecrets:
    """Every handler invoked through tests.support.invoke runs with the deps it would use
    (the world's, or an admin container's) reading secrets through one recorder."""
    running = threading.local()
    recording = RecordingSecrets(None, running)
    real_module: Callable[[str], Any] = tests.support.handler_module

    class Invocation:
        def __init__(self, function: str) -> None:
            self._function = function

        def handler(self, event: dict[str, Any], context: Any) -> Any:
            d = deps()
            if d.__dict__.get("secretsmanager") is not recording:
                recording._real = d.secretsmanager
                d.__dict__["secretsmanager"] = recording
            for cached in ("merchants", "channel_config"):  # rebuilt with empty caches
                d.__dict__.pop(cached, None)
            d._channels.clear()
            running.function = self._function
            try:
                return real_module(self._function).handler(event, context)
            finally:
                running.function = ""

    monkeypatch.setattr(tests.support, "handler_module", Invocation)
    return recording


def check_reads(recorder: RecordingSecrets, prefix: str) -> dict[str, set[str]]:
    patterns = granted_patterns(prefix)
    by_function: dict[str, set[str]] = {}
    for function, secret in recorder.reads:
        if function:
            by_function.setdefault(function, set()).add(secret)
    for function, secrets in by_function.items():
        for secret in secrets:
            assert secret.startswith(prefix)
            allowed = any(fnmatch.fnmatchcase(secret, p) for p in patterns[function])
            assert allowed, f"{function} reads {secret}, which its role may not (grants {patterns[function]})"
    return by_function


def test_every_secret_a_handler_reads_is_granted_to_its_function(world: World, recorder: RecordingSecrets):
    _, created = world.create()
    world.sandbox.pay(world.mchid, world.out_trade_no(created["id"]))
    assert world.sandbox.wait_for_callbacks(timeout=10)
    assert world.run_notifier()["batchItemFailures"] == []
    assert world.get(created["id"], "sync=true")[0] == 200
    assert notifications(world, created["id"])[0]["status"] == "delivered"

    prefix = world.d.settings.secrets_prefix
    by_function = check_reads(recorder, prefix)
    # Every kind of reader took part: merchant keys (API, notifier) and channel keys (callback).
    assert {"create_payment", "channel_callback", "notify_merchant", "get_payment"} <= set(by_function)
    assert all(s.startswith(prefix + "merchant/") for s in by_function["notify_merchant"])


def test_replacing_a_wechat_merchant_key_reads_only_the_channel_secret_it_may(
    world: World, recorder: RecordingSecrets
):
    admin = Admin(world)
    doc = account_doc(world, account_id="wx-grants")
    credentials = doc["credentials"]
    assert admin.call("create", body=doc)[0] == 201
    merchant_key_only = {
        k: v for k, v in credentials.items() if k not in ("platform_certificates", "wechatpay_public_key")
    }

    assert admin.call("update", "wx-grants", {"credentials": merchant_key_only})[0] == 200

    by_function = check_reads(recorder, world.d.settings.secrets_prefix)
    assert by_function["admin_update_channel_account"] == {world.d.channel_config.secret_name("wx-grants")}
