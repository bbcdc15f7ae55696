"""Merchant signing keys and channel credentials are read through powertools parameters
(SecretsProvider on the Deps client, max_age 60 s on the injected clock): a secret rotated
behind this container's back takes effect within 60 s, with no Secrets Manager call per
request before that."""

import json
from typing import Any

from tests.integration.conftest import World


class CountingSecrets:
    def __init__(self, real: Any) -> None:
        self._real = real
        self.reads = 0

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.reads += 1
        return self._real.get_secret_value(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_a_rotated_signing_key_takes_effect_within_60_seconds(world: World) -> None:
    store = world.d.merchants
    _, created = world.create()
    old, new = world.secret, "sk_rotated_" + "n" * 24
    body = {"merchant_id": store.app(world.app_id).merchant_id, "keys": [{"secret": new}]}
    # written by another container (the operator CLI): this one's cache is not cleared
    world.d.secretsmanager.put_secret_value(
        SecretId=store.secret_name(world.app_id), SecretString=json.dumps(body)
    )
    world.clock.advance(59)
    assert world.get(created["id"])[0] == 200  # still the cached old key
    world.secret = new
    assert world.get(created["id"])[0] == 401
    world.clock.advance(2)
    assert world.get(created["id"])[0] == 200  # re-read: the new key
    world.secret = old
    assert world.get(created["id"])[0] == 401
    cached = store._keys.provider.store  # powertools' cache holds it
    assert [key[0] for key in cached] == [store.secret_name(world.app_id)]


def test_channel_credentials_are_read_once_per_60_seconds(world: World) -> None:
    store = world.d.channel_config
    counting = CountingSecrets(world.d.secretsmanager)
    store._credentials.provider.client = counting
    store._credentials.clear()
    first = store.credentials(world.account_id)
    changed = {**first, "apiv3_key": "k" * 32}
    counting.put_secret_value(SecretId=store.secret_name(world.account_id), SecretString=json.dumps(changed))
    world.clock.advance(30)
    assert store.credentials(world.account_id) == first
    world.clock.advance(29)
    assert store.credentials(world.account_id) == first
    assert counting.reads == 1
    world.clock.advance(2)
    assert store.credentials(world.account_id) == changed
    assert counting.reads == 2
