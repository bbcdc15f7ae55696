"""WeChat Pay platform certificate rotation through functions/refresh_certificates, against the
world's sandbox: the platform certificate is stored, a repeated refresh writes nothing, a new
certificate published by WeChat is added and callbacks signed by it are then accepted."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from typing import Any

import pytest

from local.seed import seed_wechat_account
from ops.__main__ import main, parse, run
from paymux.services.certificates import CertificateRefreshIncomplete, refresh_platform_certificates
from sandbox.wechat import WeChatSandbox, generate_merchant
from tests.integration.conftest import World, callback_event
from tests.keys import keypair
from tests.support import invoke
from tests.wechat_notices import notice, transaction


def secret(world: World, account_id: str | None = None) -> tuple[dict[str, Any], str]:
    """The account's credentials as stored, and their version (a write makes a new one)."""
    name = world.d.channel_config.secret_name(account_id or world.account_id)
    answer = world.d.secretsmanager.get_secret_value(SecretId=name)
    return json.loads(answer["SecretString"]), answer["VersionId"]


def refresh(event: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    accounts: list[dict[str, Any]] = invoke("refresh_certificates", event or {})["accounts"]
    return accounts


def serials(credentials: dict[str, Any]) -> list[str]:
    return [c["serial_no"] for c in credentials["platform_certificates"]]


def test_refresh_stores_the_platform_certificate_and_a_second_refresh_writes_nothing(world: World):
    (cert,) = world.sandbox.platform_certificates
    before, version = secret(world)
    assert before["platform_certificates"] == [
        {"serial_no": cert["serial_no"], "public_key_pem": cert["public_key_pem"].decode()}
    ]

    (report,) = refresh()
    assert report["account_id"] == world.account_id
    assert (report["status"], report["added"], report["expired"]) == ("updated", [], [])
    after, written = secret(world)
    assert written != version
    (stored,) = after["platform_certificates"]
    assert stored["serial_no"] == cert["serial_no"]
    assert stored["certificate_pem"] == cert["certificate_pem"].decode()
    assert stored["expire_time"] > stored["effective_time"]
    # Everything else is untouched.
    assert {k: v for k, v in after.items() if k != "platform_certificates"} == {
        k: v for k, v in before.items() if k != "platform_certificates"
    }

    (again,) = refresh()
    assert (again["status"], again["added"], again["expired"]) == ("unchanged", [], [])
    assert secret(world) == (after, written)


def test_an_account_stored_without_any_wechat_key_learns_the_certificate(world: World):
    """First download: the answer is verified with the certificate it brings (it decrypted)."""
    account = world.d.channel_config.account(world.account_id)
    credentials, _ = secret(world)
    del credentials["wechatpay_public_key"]
    credentials["platform_certificates"] = []
    world.d.channel_config.put_account(account, credentials)

    (report,) = refresh({"account_id": world.account_id})
    (cert,) = world.sandbox.platform_certificates
    assert (report["status"], report["added"]) == ("updated", [cert["serial_no"]])
    assert serials(secret(world)[0]) == [cert["serial_no"]]


def _callback(world: World, payment_id: str, serial: str) -> tuple[dict[str, str], bytes]:
    """A TRANSACTION.SUCCESS for the payment, signed by the sandbox's key `serial`."""
    apiv3 = secret(world)[0]["apiv3_key"]
    tx = transaction(
        appid=world.appid,
        mchid=world.mchid,
        out_trade_no=world.out_trade_no(payment_id),
        total=1999,
        now=world.clock(),
    )
    _, body = notice(
        tx, signing_key=keypair("unused").private_key, serial=serial, apiv3_key=apiv3, timestamp=world.clock()
    )
    headers = world.sandbox.signature_headers(body, serial) | {"Content-Type": "application/json"}
    return headers, body


def _send(world: World, headers: dict[str, str], body: bytes) -> int:
    status: int = invoke("channel_callback", callback_event(world.account_id, headers, body))["statusCode"]
    return status


def test_after_a_rotation_the_refresh_trusts_the_new_certificate(world: World):
    (old,) = world.sandbox.platform_certificates
    refresh()
    status, created = world.create()
    assert status == 201

    new = world.sandbox.rotate_platform_certificate()
    headers, body = _callback(world, created["id"], new["serial_no"])
    stored, version = secret(world)
    assert _send(world, headers, body) == 401  # not trusted yet
    payment = world.d.payments.get(created["id"])
    assert (payment.status, payment.version) == ("PROCESSING", created["version"])
    assert world.run_notifier()["count"] == 0
    assert secret(world) == (stored, version)

    (report,) = refresh()
    assert (report["status"], report["added"], report["expired"]) == ("updated", [new["serial_no"]], [])
    assert set(serials(secret(world)[0])) == {old["serial_no"], new["serial_no"]}

    world.d.channel_config._credentials.clear()  # this container re-reads at once; others within 60 s
    headers, body = _callback(world, created["id"], new["serial_no"])
    assert _send(world, headers, body) == 204
    assert world.d.payments.get(created["id"]).status == "SUCCESS"

    (again,) = refresh()
    assert again["status"] == "unchanged"


def test_refresh_in_public_key_mode_changes_nothing(world: World):
    identity = generate_merchant("1901234567", ("wx1234567812345678",))
    sandbox = WeChatSandbox(key_mode="public_key", clock=world.clock)
    sandbox.start()
    try:
        account_id = f"wx-pk-{secrets.token_hex(3)}"
        account = seed_wechat_account(world.d, sandbox, identity, account_id, owner="mch_pk")
        before = secret(world, account.account_id)
        (report,) = refresh({"account_id": account.account_id})
        assert (report["status"], report["added"], report["expired"]) == ("public_key_only", [], [])
        assert secret(world, account.account_id) == before
    finally:
        sandbox.stop()


def test_one_failing_account_does_not_stop_the_others(world: World):
    account = world.d.channel_config.account(world.account_id)
    credentials, _ = secret(world)
    down = replace(account, account_id="wx-down", base_url="http://127.0.0.1:9")  # nothing listens
    world.d.channel_config.put_account(down, credentials)
    _, version = secret(world, "wx-down")

    with pytest.raises(CertificateRefreshIncomplete, match="wx-down"):
        refresh()  # the handler raises (so Lambda retries, then alarms) after doing the others
    assert serials(secret(world)[0]) == [world.sandbox.platform_certificates[0]["serial_no"]]
    assert "certificate_pem" in secret(world)[0]["platform_certificates"][0]

    reports = {r.account_id: r for r in refresh_platform_certificates(world.d)}
    assert (reports["wx-down"].status, reports[world.account_id].status) == ("failed", "unchanged")
    assert "127.0.0.1:9" in str(reports["wx-down"].error)
    assert secret(world, "wx-down")[1] == version


def test_the_operator_command_refreshes_one_account(world: World, monkeypatch, capsys):
    for name, value in world.stack.env.items():
        monkeypatch.setenv(name, value)
    (report,) = run(parse(["channels", "refresh-certificates", world.account_id]))
    assert (report["account_id"], report["status"]) == (world.account_id, "updated")
    assert "certificate_pem" in secret(world)[0]["platform_certificates"][0]
    assert main(["channels", "refresh-certificates", "wx-nope"]) == 2
    assert "no channel account wx-nope" in capsys.readouterr().err
