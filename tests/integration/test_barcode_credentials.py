"""A WeChat Pay account that offers wechat.barcode needs API v2's key and the API client
certificate besides its v3 keys: the operators' endpoint refuses an account without them, or
with ones that cannot be used, with a 422 naming the field and never a value; nothing is
written. An account without wechat.barcode does not need them."""

from __future__ import annotations

import secrets

import pytest

from tests.integration.conftest import World
from tests.integration.test_admin_channels import Admin, account_doc, assert_no_secret


@pytest.fixture
def admin(world: World) -> Admin:
    return Admin(world)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"apiv2_key": None}, "missing apiv2_key"),
        ({"merchant_cert_pem": None}, "missing merchant_cert_pem"),
        ({"apiv2_key": "too-short"}, "ConfigurationError"),
        ({"merchant_cert_pem": "not a certificate"}, "ConfigurationError"),
    ],
)
def test_a_payer_code_account_without_usable_v2_credentials_is_refused(
    world: World, admin: Admin, change: dict[str, str | None], says: str
) -> None:
    new_id = "wx-" + secrets.token_hex(4)
    doc = account_doc(world, new_id, products=["wechat.native", "wechat.barcode"])
    credentials = {k: v for k, v in {**doc["credentials"], **change}.items() if v is not None}

    status, body = admin.call("create", body={**doc, "credentials": credentials})

    assert status == 422, body
    (detail,) = body["error"]["details"]
    assert detail["field"] == "credentials" and says in detail["message"]
    assert world.d.channel_config.record(new_id) is None
    assert_no_secret(admin.bodies, credentials)


def test_with_them_it_is_stored_and_without_wechat_barcode_they_are_not_needed(
    world: World, admin: Admin
) -> None:
    with_code = account_doc(world, "wx-" + secrets.token_hex(4), products=["wechat.native", "wechat.barcode"])
    assert admin.call("create", body=with_code)[0] == 201
    plain = account_doc(world, "wx-" + secrets.token_hex(4))
    plain["credentials"] = {
        k: v for k, v in plain["credentials"].items() if k not in ("apiv2_key", "merchant_cert_pem")
    }
    assert admin.call("create", body=plain)[0] == 201
