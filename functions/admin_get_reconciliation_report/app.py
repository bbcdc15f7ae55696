"""GET /v1/admin/reconciliation/{date}/reports/{format} — operators only (IAM-authorized route):
a presigned S3 URL (300 s) of the day's report (summary, csv, xlsx, txt or html); 404 when the
day has no such report, 422 for a date that is not YYYY-MM-DD or an unknown format."""

from typing import Any

from paymux.api.admin import handle_admin
from paymux.api.http import Request
from paymux.deps import deps
from paymux.observability import lambda_handler, setup_logging
from paymux.services.report_export import report_day, report_download, report_format
from paymux.store.reports import ReportStore

setup_logging()


def _get(request: Request, caller: str) -> tuple[int, dict[str, Any]]:
    day = report_day(request.path_params.get("date", ""))
    fmt = report_format(request.path_params.get("format", ""))
    d = deps()
    return 200, report_download(ReportStore(d.s3, d.settings.bucket), day, fmt, d.clock())


@lambda_handler()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_admin(_get, event)
