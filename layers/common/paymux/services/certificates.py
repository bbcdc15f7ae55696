"""WeChat Pay platform certificate rotation: download the certificates each enabled WeChat Pay
account's merchant can get (`GET /v3/certificates`), merge them into the account's stored
`platform_certificates` (new ones added, unexpired ones kept, expired ones dropped) and write
the credentials back only when that changed something.

WeChat publishes a new platform certificate before the old one expires and, during the
overlap, signs with either: run every 12 hours (functions/refresh_certificates) so a callback
signed by a new certificate is trusted soon after it appears. Accounts on the WeChat Pay public
key alone (404 RESOURCE_NOT_EXISTS) are left as they are.

Credentials are read uncached and written with `secretsmanager:PutSecretValue` alone (the
function may not write the table); other containers pick the change up within their
configuration cache (CACHE_SECONDS). Serial numbers are logged, never keys or certificates. One
account's failure is reported and the others are still refreshed."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from paymux.channels.base import ChannelAccount
from paymux.clock import parse_iso
from paymux.deps import Deps
from paymux.errors import BadRequest, NotFound, PaymuxError
from paymux.observability import emit_metric

log = logging.getLogger("paymux")


class CertificateRefreshIncomplete(PaymuxError):
    """Some account's certificates could not be refreshed; the others' were."""

    code = "certificate_refresh_incomplete"


@dataclass(slots=True)
class AccountRefresh:
    """What a refresh did to one account. status: updated (credentials written), unchanged,
    public_key_only (WeChat has no platform certificate for it: nothing changed) or failed."""

    account_id: str
    status: str = "unchanged"
    added: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)  # serials trusted after the refresh
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Merged:
    certificates: list[dict[str, Any]]
    added: list[str]
    expired: list[str]


def _expiry(entry: Mapping[str, Any]) -> float | None:
    """When a stored certificate expires: its expire_time, else its certificate's notAfter,
    else unknown (an entry stored with only a public key is kept)."""
    if entry.get("expire_time"):
        return parse_iso(str(entry["expire_time"]))
    if entry.get("certificate_pem"):
        from cryptography import x509  # noqa: PLC0415 - only for entries stored without times

        pem = str(entry["certificate_pem"]).encode()
        return x509.load_pem_x509_certificate(pem).not_valid_after_utc.timestamp()
    return None


def merge(stored: Sequence[Mapping[str, Any]], downloaded: Sequence[dict[str, str]], now: float) -> Merged:
    """Stored certificates still valid, each replaced by its downloaded (verified, complete)
    version when there is one, plus the downloaded ones not stored yet; expired ones dropped.
    Ordered by expiry, then serial, so that an unchanged set compares equal."""
    fresh = {c["serial_no"]: c for c in downloaded}
    kept: dict[str, dict[str, Any]] = {}
    expired = []
    for entry in stored:
        serial = str(entry.get("serial_no", ""))
        expires = _expiry(entry)
        if expires is not None and expires <= now:
            expired.append(serial)
        elif serial:
            kept[serial] = dict(entry)
    added = sorted(serial for serial in fresh if serial not in kept)
    kept |= fresh
    ordered = sorted(kept.values(), key=lambda c: (str(c.get("expire_time", "")), str(c["serial_no"])))
    return Merged(ordered, added, sorted(expired))


def _accounts(d: Deps, account_id: str | None) -> list[ChannelAccount]:
    records = [r.account for r in d.channel_config.records()]
    if account_id is None:
        return sorted(
            (a for a in records if a.provider == "wechat" and a.enabled), key=lambda a: a.account_id
        )
    account = next((a for a in records if a.account_id == account_id), None)
    if account is None:
        raise NotFound(f"no channel account {account_id}")
    if account.provider != "wechat":
        raise BadRequest(f"channel account {account_id} is not a WeChat Pay account")
    return [account]


def refresh_account(d: Deps, account: ChannelAccount) -> AccountRefresh:
    from paymux.channels.wechat.client import WeChatPayChannel  # noqa: PLC0415 - WeChat only

    report = AccountRefresh(account.account_id)
    credentials, version = d.channel_config.credentials_version(account.account_id)
    stored = list(credentials.get("platform_certificates") or [])
    report.certificates = [str(c.get("serial_no", "")) for c in stored]
    downloaded = WeChatPayChannel(account, credentials, d.http, d.clock).download_certificates()
    if not downloaded:
        report.status = "public_key_only"
        return report
    merged = merge(stored, downloaded, d.clock())
    report.added, report.expired = merged.added, merged.expired
    report.certificates = [c["serial_no"] for c in merged.certificates]
    if merged.certificates == stored:
        return report
    if d.channel_config.credentials_version(account.account_id)[1] != version:
        raise PaymuxError("the credentials changed during the refresh; the next run retries")
    d.channel_config.replace_credentials(
        account.account_id, {**credentials, "platform_certificates": merged.certificates}
    )
    report.status = "updated"
    return report


def refresh_platform_certificates(d: Deps, account_id: str | None = None) -> list[AccountRefresh]:
    """Refreshes `account_id` (NotFound, or BadRequest for another provider), or else every
    enabled WeChat Pay account; a report per account, failures included."""
    reports = []
    for account in _accounts(d, account_id):
        try:
            report = refresh_account(d, account)
        except Exception as exc:  # one account's failure must not stop the others
            # Channel and paymux errors carry safe messages; anything else: only its type.
            message = exc.message if isinstance(exc, PaymuxError) else type(exc).__name__
            report = AccountRefresh(account.account_id, status="failed", error=message)
            log.warning("platform certificates of %s not refreshed: %s", account.account_id, message)
        else:
            log.info(
                "platform certificates of %s: %s, added %s, expired %s, trusted %s",
                account.account_id,
                report.status,
                report.added,
                report.expired,
                report.certificates,
            )
        reports.append(report)
    emit_metric("PlatformCertificatesAdded", sum(len(r.added) for r in reports))
    emit_metric("PlatformCertificatesExpired", sum(len(r.expired) for r in reports))
    emit_metric("PlatformCertificateRefreshFailures", sum(r.status == "failed" for r in reports))
    return reports
