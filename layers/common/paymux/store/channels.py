"""Channel accounts as data: read from the table (cached one minute per container), credentials
from Secrets Manager. Adding, re-weighting or disabling an account is a write here, no deploy."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from paymux.channels.base import ChannelAccount
from paymux.clock import Clock
from paymux.errors import ConfigurationError, Conflict
from paymux.store.cache import TTLCache
from paymux.store.dynamo import from_item, query_prefix, to_item
from paymux.store.secrets import SecretCache

CACHE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An account as stored, with who changed it last and when (absent on items written before
    writes were attributed)."""

    account: ChannelAccount
    updated_at: float | None = None
    updated_by: str = ""
    version: int = 0  # +1 on every write; 0: written before writes were versioned


def _record(item: dict[str, Any]) -> AccountRecord:
    fields = ChannelAccount.__dataclass_fields__
    values = {k: v for k, v in item.items() if k in fields}
    values["products"] = tuple(values.get("products", ()))
    updated_at = item.get("updated_at")
    return AccountRecord(
        ChannelAccount(**values),
        float(updated_at) if updated_at is not None else None,
        str(item.get("updated_by", "")),
        int(item.get("version", 0)),
    )


class ChannelConfigStore:
    def __init__(self, ddb: Any, secrets: Any, table: str, prefix: str, clock: Clock) -> None:
        self._ddb = ddb
        self._secrets = secrets
        self._table = table
        self._prefix = prefix
        self._clock = clock
        self._accounts: TTLCache[list[ChannelAccount]] = TTLCache(CACHE_SECONDS, clock)
        self._credentials = SecretCache(secrets, clock, CACHE_SECONDS)  # powertools parameters, max_age 60 s

    def secret_name(self, account_id: str) -> str:
        return f"{self._prefix}channel/{account_id}"

    def accounts(self) -> list[ChannelAccount]:
        return self._accounts.get("all", self._load_accounts)

    def account(self, account_id: str) -> ChannelAccount | None:
        return next((a for a in self.accounts() if a.account_id == account_id), None)

    def _load_accounts(self) -> list[ChannelAccount]:
        return [r.account for r in self._query(consistent=False)]

    def _query(self, consistent: bool) -> list[AccountRecord]:
        items = query_prefix(self._ddb, self._table, "CHANNEL", "ACCOUNT#", consistent=consistent)
        return [_record(item) for item in items]

    # -- administration: read uncached and consistent, so an operator sees their own writes ----
    def records(self) -> list[AccountRecord]:
        return self._query(consistent=True)

    def record(self, account_id: str) -> AccountRecord | None:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={"PK": {"S": "CHANNEL"}, "SK": {"S": f"ACCOUNT#{account_id}"}},
            ConsistentRead=True,
        ).get("Item")
        return _record(from_item(item)) if item else None

    def credentials(self, account_id: str) -> dict[str, Any]:
        raw = self._credentials.get(self.secret_name(account_id))
        if not raw:
            raise ConfigurationError(f"channel account {account_id} has no credentials")
        credentials: dict[str, Any] = json.loads(raw)
        return credentials

    def credentials_version(self, account_id: str) -> tuple[dict[str, Any], str]:
        """The stored credentials, uncached, with their Secrets Manager VersionId."""
        raw = self._secrets.get_secret_value(SecretId=self.secret_name(account_id))
        doc: dict[str, Any] = json.loads(raw["SecretString"])
        return doc, str(raw.get("VersionId", ""))

    def replace_credentials(self, account_id: str, credentials: dict[str, Any]) -> None:
        """A new value of an existing account's secret (PutSecretValue alone: no table write)."""
        self._secrets.put_secret_value(
            SecretId=self.secret_name(account_id), SecretString=json.dumps(credentials)
        )
        self._credentials.clear()

    def put_account(
        self,
        account: ChannelAccount,
        credentials: dict[str, Any] | None,
        *,
        updated_by: str = "",
        create: bool = False,
        expected_version: int | None = None,
    ) -> AccountRecord:
        """Writes the account (and, when given, replaces its credentials), one version up.

        `create` refuses to replace an existing account (Conflict `channel_account_exists`);
        its credentials are written first, so it is never readable without them.
        `expected_version` (the version the change was based on) refuses a write over any other
        (Conflict `version_conflict`): of two concurrent updates, the later fails instead of
        undoing the earlier. Its credentials are written after the account, so a refused update
        replaces nothing. Without either (seeding), the account is simply written."""
        if expected_version is None and credentials is not None:
            self._write_secret(account.account_id, credentials)
        values = asdict(account)
        values["products"] = list(account.products)
        version, condition = self._version_condition(account.account_id, create, expected_version)
        record = AccountRecord(account, self._clock(), updated_by, version)
        item = {"PK": "CHANNEL", "SK": f"ACCOUNT#{account.account_id}", **values}
        item |= {"updated_at": record.updated_at, "updated_by": updated_by or None, "version": version}
        try:
            self._ddb.put_item(TableName=self._table, Item=to_item(item), **condition)
        except self._ddb.exceptions.ConditionalCheckFailedException as exc:
            raise _refused(account.account_id, create, expected_version) from exc
        finally:
            self._accounts.clear()
            self._credentials.clear()
        if expected_version is not None and credentials is not None:
            self._write_secret(account.account_id, credentials)
            self._credentials.clear()
        return record

    def _write_secret(self, account_id: str, credentials: dict[str, Any]) -> None:
        body, name = json.dumps(credentials), self.secret_name(account_id)
        try:
            self._secrets.create_secret(Name=name, SecretString=body)
        except self._secrets.exceptions.ResourceExistsException:
            self._secrets.put_secret_value(SecretId=name, SecretString=body)

    def _version_condition(
        self, account_id: str, create: bool, expected: int | None
    ) -> tuple[int, dict[str, Any]]:
        """The version to write and the condition that guards it."""
        if create:
            return 1, {"ConditionExpression": "attribute_not_exists(PK)"}
        if expected is None:
            current = self.record(account_id)
            return (current.version if current else 0) + 1, {}
        if expected == 0:  # an item from before versions: it must still have none
            guard = "attribute_exists(PK) AND attribute_not_exists(#version)"
            return 1, {"ConditionExpression": guard, "ExpressionAttributeNames": {"#version": "version"}}
        return expected + 1, {
            "ConditionExpression": "#version = :expected",
            "ExpressionAttributeNames": {"#version": "version"},
            "ExpressionAttributeValues": {":expected": {"N": str(expected)}},
        }


def _refused(account_id: str, create: bool, expected: int | None) -> Conflict:
    if create:
        return Conflict("channel_account_exists", f"channel account {account_id} exists")
    return version_conflict(account_id, expected)


def version_conflict(account_id: str, expected: int | None) -> Conflict:
    """409 `version_conflict`: the account is no longer at the version a change was based on."""
    return Conflict(
        "version_conflict",
        f"channel account {account_id} changed since version {expected}: read it again and retry",
        details=[{"field": "version", "message": f"is no longer {expected}"}],
    )
