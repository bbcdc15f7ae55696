"""Every 12 hours: download each enabled WeChat Pay account's platform certificates and store
the new ones (expired ones are dropped), so callbacks signed after a rotation verify.

The event may carry {"account_id": "..."} to refresh one account. A run in which some account
could not be refreshed raises after refreshing the others, so Lambda retries it (twice), then
sends it to the schedule dead-letter queue; RefreshCertificatesErrorsAlarm fires on the error."""

from typing import Any

from paymux.deps import deps
from paymux.observability import lambda_handler, no_correlation, setup_logging
from paymux.services.certificates import CertificateRefreshIncomplete, refresh_platform_certificates

log = setup_logging()


@lambda_handler(correlation=no_correlation)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    account_id = (event or {}).get("account_id") or None
    reports = [r.to_dict() for r in refresh_platform_certificates(deps(), account_id)]
    failed = [r["account_id"] for r in reports if r["status"] == "failed"]
    if failed:
        raise CertificateRefreshIncomplete(f"platform certificates not refreshed: {', '.join(failed)}")
    return {"accounts": reports}
