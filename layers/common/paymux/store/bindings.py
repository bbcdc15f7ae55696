"""Bindings as data: a merchant tied to one of paymux's service-provider accounts with its
sub-merchant identity there (WeChat Pay sub_mchid/sub_appid, an Alipay authorizing merchant's
user_id/auth_app_id). Read from the table cached one minute per container, like channel
accounts, so a new or disabled binding takes effect within 60 s with no deploy. Tokens (an
Alipay app_auth_token …) live in Secrets Manager under `{prefix}binding/<binding_id>`.

Items: `PK=CHANNEL, SK=BINDING#<binding_id>`, and one claim per sub-merchant of a provider
account, `SK=SUBMERCHANT#<account_id>#<sub_mchid>`, written in the same transaction: a
sub-merchant (whose own account receives the money) is bound to exactly one merchant."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from paymux.clock import Clock
from paymux.errors import Conflict
from paymux.store.cache import TTLCache
from paymux.store.dynamo import cancellation_codes, from_item, query_prefix, to_item, transact

CACHE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Binding:
    binding_id: str
    merchant_id: str
    account_id: str  # a provider-mode channel account
    sub_mchid: str
    sub_appid: str = ""
    products: tuple[str, ...] = ()  # empty: every product of the account
    weight: int = 1
    priority: int = 100
    enabled: bool = True
    has_secret: bool = False  # whether `{prefix}binding/<binding_id>` holds its tokens
    # the names (never the values) of the secret's fields set through the admin API, so its
    # resource can say which are set, masked, without reading Secrets Manager
    secret_fields: tuple[str, ...] = ()
    version: int = 0
    created_at: float | None = None
    created_by: str = ""
    updated_at: float | None = None
    updated_by: str = ""


_FIELDS = frozenset(f.name for f in fields(Binding))


def binding_from_item(item: dict[str, Any]) -> Binding:
    values = {k: v for k, v in item.items() if k in _FIELDS and v is not None}
    values["products"] = tuple(values.get("products", ()))
    values["secret_fields"] = tuple(values.get("secret_fields", ()))
    for name in ("weight", "priority", "version"):
        if name in values:
            values[name] = int(values[name])
    for name in ("created_at", "updated_at"):
        if name in values:
            values[name] = float(values[name])
    return Binding(**values)


def sub_merchant_claim(account_id: str, sub_mchid: str) -> dict[str, str]:
    return {"PK": "CHANNEL", "SK": f"SUBMERCHANT#{account_id}#{sub_mchid}"}


class BindingStore:
    def __init__(self, ddb: Any, secrets: Any, table: str, prefix: str, clock: Clock) -> None:
        self._ddb = ddb
        self._secrets = secrets
        self._table = table
        self._prefix = prefix
        self._clock = clock
        self._bindings: TTLCache[list[Binding]] = TTLCache(CACHE_SECONDS, clock)
        self._secret_docs: TTLCache[dict[str, Any]] = TTLCache(CACHE_SECONDS, clock)

    def secret_name(self, binding_id: str) -> str:
        return f"{self._prefix}binding/{binding_id}"

    # -- routing and the money paths: cached ----------------------------------------------
    def bindings(self) -> list[Binding]:
        return self._bindings.get("all", lambda: self._query(consistent=False))

    def binding(self, binding_id: str) -> Binding | None:
        """A binding by id; one newer than this container's cache is read from the table (a
        callback may reach a container that has not seen it yet)."""
        cached = next((b for b in self.bindings() if b.binding_id == binding_id), None)
        return cached or self.record(binding_id)

    def secret(self, binding: Binding) -> dict[str, Any]:
        """The binding's tokens ({} when it has none, e.g. a WeChat Pay sub-merchant)."""
        if not binding.has_secret:
            return {}
        return self._secret_docs.get(binding.binding_id, lambda: self.read_secret(binding.binding_id))

    # -- administration: uncached and consistent --------------------------------------------
    def records(self) -> list[Binding]:
        return self._query(consistent=True)

    def record(self, binding_id: str) -> Binding | None:
        item = self._ddb.get_item(
            TableName=self._table,
            Key=to_item({"PK": "CHANNEL", "SK": f"BINDING#{binding_id}"}),
            ConsistentRead=True,
        ).get("Item")
        return binding_from_item(from_item(item)) if item else None

    def read_secret(self, binding_id: str) -> dict[str, Any]:
        raw = self._secrets.get_secret_value(SecretId=self.secret_name(binding_id))
        doc: dict[str, Any] = json.loads(raw["SecretString"])
        return doc

    def _query(self, consistent: bool) -> list[Binding]:
        items = query_prefix(self._ddb, self._table, "CHANNEL", "BINDING#", consistent=consistent)
        return [binding_from_item(item) for item in items]

    # -- writes --------------------------------------------------------------------------------
    def write_secret(self, binding_id: str, doc: dict[str, Any]) -> None:
        body, name = json.dumps(doc), self.secret_name(binding_id)
        try:
            self._secrets.create_secret(Name=name, SecretString=body)
        except self._secrets.exceptions.ResourceExistsException:
            self._secrets.put_secret_value(SecretId=name, SecretString=body)
        self._secret_docs.clear()

    def create(self, binding: Binding, actor: str, secret: dict[str, Any] | None = None) -> Binding:
        """A new binding (version 1) and its sub-merchant's claim, atomically; its secret is
        written first, so it is never readable without it. Conflict `binding_exists` or
        `sub_merchant_bound` (another binding has that sub-merchant), nothing written."""
        now = self._clock()
        if secret is not None:
            self.write_secret(binding.binding_id, secret)
        stored = replace(binding, version=1, has_secret=secret is not None, created_at=now, created_by=actor)
        stored = replace(stored, updated_at=now, updated_by=actor)
        claim = {
            **sub_merchant_claim(binding.account_id, binding.sub_mchid),
            "binding_id": binding.binding_id,
        }
        claim["merchant_id"] = binding.merchant_id
        not_exists = "attribute_not_exists(PK)"
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(_item(stored)),
                    "ConditionExpression": not_exists,
                }
            },
            {"Put": {"TableName": self._table, "Item": to_item(claim), "ConditionExpression": not_exists}},
        ]
        try:
            transact(self._ddb, self._table, f"binding.create#{binding.binding_id}", items)
        except self._ddb.exceptions.TransactionCanceledException as exc:
            codes = cancellation_codes(exc)
            if codes[:1] == ["ConditionalCheckFailed"]:
                raise Conflict("binding_exists", f"binding {binding.binding_id} exists") from exc
            raise Conflict(
                "sub_merchant_bound",
                f"sub-merchant {binding.sub_mchid} of {binding.account_id} is already bound to a merchant",
            ) from exc
        finally:
            self._bindings.clear()
        return stored

    def update(self, binding: Binding, actor: str, secret: dict[str, Any] | None = None) -> Binding:
        """Writes `binding` one version up, only if the stored one is still at binding.version
        (else Conflict `version_conflict`, nothing written); then its new secret, if any."""
        stored = replace(binding, version=binding.version + 1, updated_at=self._clock(), updated_by=actor)
        if secret is not None:
            stored = replace(stored, has_secret=True)
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=to_item(_item(stored)),
                ConditionExpression="#version = :expected",
                ExpressionAttributeNames={"#version": "version"},
                ExpressionAttributeValues={":expected": {"N": str(binding.version)}},
            )
        except self._ddb.exceptions.ConditionalCheckFailedException as exc:
            raise Conflict(
                "version_conflict",
                f"binding {binding.binding_id} changed since version {binding.version}: read it again",
            ) from exc
        finally:
            self._bindings.clear()
        if secret is not None:
            self.write_secret(binding.binding_id, secret)
        return stored


def _item(binding: Binding) -> dict[str, Any]:
    values = asdict(binding)
    values["products"] = list(binding.products)
    values["secret_fields"] = list(binding.secret_fields)
    return {"PK": "CHANNEL", "SK": f"BINDING#{binding.binding_id}", **values}
