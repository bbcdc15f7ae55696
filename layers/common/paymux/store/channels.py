"""Channel accounts as data: read from the table (cached one minute per container), credentials
from Secrets Manager. Adding, re-weighting or disabling an account is a write here, no deploy."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from paymux.channels.base import ChannelAccount
from paymux.clock import Clock
from paymux.store.cache import TTLCache
from paymux.store.dynamo import query_all, to_item

CACHE_SECONDS = 60.0


class ChannelConfigStore:
    def __init__(self, ddb: Any, secrets: Any, table: str, prefix: str, clock: Clock) -> None:
        self._ddb = ddb
        self._secrets = secrets
        self._table = table
        self._prefix = prefix
        self._accounts: TTLCache[list[ChannelAccount]] = TTLCache(CACHE_SECONDS, clock)
        self._credentials: TTLCache[dict[str, Any]] = TTLCache(CACHE_SECONDS, clock)

    def secret_name(self, account_id: str) -> str:
        return f"{self._prefix}channel/{account_id}"

    def accounts(self) -> list[ChannelAccount]:
        return self._accounts.get("all", self._load_accounts)

    def account(self, account_id: str) -> ChannelAccount | None:
        return next((a for a in self.accounts() if a.account_id == account_id), None)

    def _load_accounts(self) -> list[ChannelAccount]:
        items = query_all(
            self._ddb,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :p)",
            ExpressionAttributeValues={":pk": {"S": "CHANNEL"}, ":p": {"S": "ACCOUNT#"}},
        )
        fields = ChannelAccount.__dataclass_fields__
        accounts = []
        for item in items:
            values = {k: v for k, v in item.items() if k in fields}
            values["products"] = tuple(values.get("products", ()))
            values["merchants"] = tuple(values.get("merchants", ()))
            accounts.append(ChannelAccount(**values))
        return accounts

    def credentials(self, account_id: str) -> dict[str, Any]:
        def load() -> dict[str, Any]:
            raw = self._secrets.get_secret_value(SecretId=self.secret_name(account_id))
            doc: dict[str, Any] = json.loads(raw["SecretString"])
            return doc

        return self._credentials.get(account_id, load)

    def put_account(self, account: ChannelAccount, credentials: dict[str, Any] | None) -> None:
        values = asdict(account)
        values["products"] = list(account.products)
        values["merchants"] = list(account.merchants)
        self._ddb.put_item(
            TableName=self._table,
            Item=to_item({"PK": "CHANNEL", "SK": f"ACCOUNT#{account.account_id}", **values}),
        )
        if credentials is not None:
            body = json.dumps(credentials)
            name = self.secret_name(account.account_id)
            try:
                self._secrets.create_secret(Name=name, SecretString=body)
            except self._secrets.exceptions.ResourceExistsException:
                self._secrets.put_secret_value(SecretId=name, SecretString=body)
        self._accounts.clear()
        self._credentials.clear()
