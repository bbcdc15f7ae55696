"""Merchant apps: configuration in DynamoDB, signing secrets in Secrets Manager, both cached
briefly per container so a rotation or a limit change takes effect within a minute."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from paymux.clock import Clock, iso, parse_iso
from paymux.domain.payer_limits import PayerLimits
from paymux.errors import Conflict
from paymux.store.cache import TTLCache
from paymux.store.dynamo import from_item, to_attr, to_item
from paymux.store.secrets import SecretCache
from paymux.store.static_code_limits import REUSE_SECONDS, SESSIONS_PER_MINUTE

DEFAULT_NOTIFY_SCHEDULE = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
CACHE_SECONDS = 60.0
DEFAULT_MAX_AMOUNT = 5_000_000  # fen: 50,000.00 CNY per payment unless configured


@dataclass(frozen=True, slots=True)
class MerchantApp:
    app_id: str
    merchant_id: str
    name: str = ""
    status: str = "active"
    max_amount: int = DEFAULT_MAX_AMOUNT
    default_expires_in: int = 7200
    notify_schedule: tuple[int, ...] = DEFAULT_NOTIFY_SCHEDULE
    methods: tuple[str, ...] = field(default_factory=tuple)  # empty: every enabled method
    payer_limits: PayerLimits | None = None  # risk setting: per-payer daily count/amount
    # the hosted checkout's branding: "#rrggbb" and a data:image/png|svg+xml;base64 URI
    brand_color: str = ""
    logo: str = ""
    static_code: StaticCode | None = None  # the printed code where the payer types the amount

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class StaticCode:
    """The merchant's printed code (收款码, paymux.checkout.static_code): the payer types the
    amount, paymux makes a checkout session with these settings (at most `max_amount` fen)."""

    notify_url: str
    return_url: str
    methods: tuple[str, ...]
    max_amount: int
    subject: str = ""
    # store/static_code_limits: how long a payer's session for an amount is offered again, and
    # how many sessions the code makes a minute (more: 429), each settable per app by operators
    reuse_seconds: int = REUSE_SECONDS
    sessions_per_minute: int = SESSIONS_PER_MINUTE

    def to_config(self) -> dict[str, Any]:
        return {
            "notify_url": self.notify_url,
            "return_url": self.return_url,
            "methods": list(self.methods),
            "max_amount": self.max_amount,
            "subject": self.subject,
            "reuse_seconds": self.reuse_seconds,
            "sessions_per_minute": self.sessions_per_minute,
        }

    @classmethod
    def parse(cls, values: dict[str, Any]) -> StaticCode:
        return cls(
            str(values["notify_url"]),
            str(values["return_url"]),
            tuple(values.get("methods") or ()),
            int(values["max_amount"]),
            str(values.get("subject", "")),
            int(values.get("reuse_seconds", REUSE_SECONDS)),
            int(values.get("sessions_per_minute", SESSIONS_PER_MINUTE)),
        )


@dataclass(frozen=True, slots=True)
class SigningKey:
    secret: str
    expires_at: float | None  # None: current key; set: old key kept during a rotation overlap


class MerchantStore:
    def __init__(self, ddb: Any, secrets: Any, table: str, prefix: str, clock: Clock) -> None:
        self._ddb = ddb
        self._secrets = secrets
        self._table = table
        self._prefix = prefix
        self._clock = clock
        self._apps: TTLCache[MerchantApp | None] = TTLCache(CACHE_SECONDS, clock)
        self._keys = SecretCache(secrets, clock, CACHE_SECONDS)  # powertools parameters, max_age 60 s

    def secret_name(self, app_id: str) -> str:
        return f"{self._prefix}merchant/{app_id}"

    def app(self, app_id: str) -> MerchantApp | None:
        return self._apps.get(app_id, lambda: self._load_app(app_id))

    def _load_app(self, app_id: str) -> MerchantApp | None:
        item = self._ddb.get_item(
            TableName=self._table, Key={"PK": {"S": f"APP#{app_id}"}, "SK": {"S": "APP"}}
        ).get("Item")
        if not item:
            return None
        values = from_item(item)
        return MerchantApp(
            app_id=app_id,
            merchant_id=values["merchant_id"],
            name=values.get("name", ""),
            status=values.get("status", "active"),
            max_amount=int(values.get("max_amount", DEFAULT_MAX_AMOUNT)),
            default_expires_in=int(values.get("default_expires_in", 7200)),
            notify_schedule=tuple(values.get("notify_schedule") or DEFAULT_NOTIFY_SCHEDULE),
            methods=tuple(values.get("methods") or ()),
            payer_limits=PayerLimits.parse(values["payer_limits"]) if values.get("payer_limits") else None,
            brand_color=values.get("brand_color", ""),
            logo=values.get("logo", ""),
            static_code=StaticCode.parse(values["static_code"]) if values.get("static_code") else None,
        )

    def signing_keys(self, app_id: str) -> list[SigningKey]:
        """Keys valid now, newest first; an expired overlap key is never returned."""
        keys = self._load_keys(app_id)
        now = self._clock()
        return [k for k in keys if k.expires_at is None or k.expires_at > now]

    def _load_keys(self, app_id: str) -> list[SigningKey]:
        raw = self._keys.get(self.secret_name(app_id))
        if not raw:  # no such secret
            return []
        doc = json.loads(raw)
        return [
            SigningKey(k["secret"], parse_iso(k["expires_at"]) if k.get("expires_at") else None)
            for k in doc["keys"]
        ]

    # -- onboarding (operator CLI, local demo, tests) ------------------------------------------
    def put_app(self, app: MerchantApp, secret: str, *, create: bool = False) -> None:
        """Writes the app and makes `secret` its only signing key. `create` refuses an app id
        that exists (Conflict `merchant_app_exists`) before anything is written."""
        condition = {"ConditionExpression": "attribute_not_exists(PK)"} if create else {}
        try:
            self._put_app_item(app, condition)
        except self._ddb.exceptions.ConditionalCheckFailedException as exc:
            raise Conflict("merchant_app_exists", f"merchant app {app.app_id} already exists") from exc
        body = json.dumps({"merchant_id": app.merchant_id, "keys": [{"secret": secret}]})
        try:
            self._secrets.create_secret(Name=self.secret_name(app.app_id), SecretString=body)
        except self._secrets.exceptions.ResourceExistsException:
            self._secrets.put_secret_value(SecretId=self.secret_name(app.app_id), SecretString=body)
        self._apps.clear()
        self._keys.clear()

    def _put_app_item(self, app: MerchantApp, condition: dict[str, str]) -> None:
        self._ddb.put_item(
            TableName=self._table,
            **condition,
            Item=to_item(
                {
                    "PK": f"APP#{app.app_id}",
                    "SK": "APP",
                    "merchant_id": app.merchant_id,
                    "name": app.name,
                    "status": app.status,
                    "max_amount": app.max_amount,
                    "default_expires_in": app.default_expires_in,
                    "notify_schedule": list(app.notify_schedule),
                    "methods": list(app.methods),
                    "payer_limits": app.payer_limits.to_config() if app.payer_limits else None,
                    **({"brand_color": app.brand_color} if app.brand_color else {}),
                    **({"logo": app.logo} if app.logo else {}),
                    **({"static_code": app.static_code.to_config()} if app.static_code else {}),
                }
            ),
        )

    def set_payer_limits(self, app_id: str, limits: PayerLimits | None) -> None:
        """Sets (None: removes) an existing app's per-payer daily limits; every container applies
        the change within CACHE_SECONDS. Raises ConditionalCheckFailedException for no such app."""
        key = {"PK": {"S": f"APP#{app_id}"}, "SK": {"S": "APP"}}
        condition = {"ConditionExpression": "attribute_exists(PK)"}
        if limits is None:
            self._ddb.update_item(
                TableName=self._table, Key=key, UpdateExpression="REMOVE payer_limits", **condition
            )
        else:
            self._ddb.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET payer_limits = :limits",
                ExpressionAttributeValues={":limits": to_attr(limits.to_config())},
                **condition,
            )
        self._apps.clear()

    def set_static_code(self, app_id: str, code: StaticCode | None) -> None:
        """Sets (None: removes) an existing app's static code, as set_payer_limits does."""
        key = {"PK": {"S": f"APP#{app_id}"}, "SK": {"S": "APP"}}
        condition = {"ConditionExpression": "attribute_exists(PK)"}
        if code is None:
            self._ddb.update_item(
                TableName=self._table, Key=key, UpdateExpression="REMOVE static_code", **condition
            )
        else:
            self._ddb.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET static_code = :code",
                ExpressionAttributeValues={":code": to_attr(code.to_config())},
                **condition,
            )
        self._apps.clear()

    def rotate_secret(self, app_id: str, new_secret: str, overlap_seconds: float) -> float:
        """Makes `new_secret` current and keeps the current one valid for `overlap_seconds`
        (keys already in an overlap keep their own, earlier expiry). Returns the old key's
        expiry. Warm containers see the change within CACHE_SECONDS."""
        name = self.secret_name(app_id)
        doc = json.loads(self._secrets.get_secret_value(SecretId=name)["SecretString"])
        expires_at = self._clock() + overlap_seconds
        kept = [
            {**k, "expires_at": k.get("expires_at") or iso(expires_at)}
            for k in doc["keys"]
            if not k.get("expires_at") or parse_iso(k["expires_at"]) > self._clock()
        ]
        doc["keys"] = [{"secret": new_secret}, *kept]
        self._secrets.put_secret_value(SecretId=name, SecretString=json.dumps(doc))
        self._keys.clear()
        return expires_at
