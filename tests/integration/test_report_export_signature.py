"""The export endpoint's presigned URL, checked as S3 would check it: moto's server does not
verify signatures, so the SigV4 query signature is verified here by an implementation of the
AWS specification of its own (hashlib/hmac: canonical request, string to sign, derived signing
key; not botocore's signer), itself checked first against AWS's published example. The URL
names the day's report and a 300 s expiry, verifies with the stack's credentials, and fails
verification once its key, expiry, date or response headers are changed, or once it has
expired; and it fetches the report through the local stack's moto server."""

from __future__ import annotations

import copy
import hashlib
import hmac
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import pytest
import requests

from paymux.services.report_export import URL_SECONDS
from paymux.store.reports import ReportStore, report_key
from tests.integration.conftest import World
from tests.support import invoke, load_event, response_json

UNRESERVED = "-_.~"  # with letters and digits: never percent-encoded (SigV4 URI encoding)


def _encode(text: str, *, keep_slash: bool = False) -> str:
    return quote(text, safe=UNRESERVED + ("/" if keep_slash else ""))


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = _hmac(("AWS4" + secret).encode(), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def presigned_signature(url: str, secret: str) -> str:
    """The SigV4 signature a presigned GET `url` must carry, from its own parameters: the
    canonical request (method, URI-encoded path, the sorted URI-encoded query without the
    signature, the signed headers' canonical lines, UNSIGNED-PAYLOAD), the string to sign and
    the key derived from the secret for the credential's scope."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "X-Amz-Signature"]
    params = dict(query)
    canonical_query = "&".join(f"{k}={v}" for k, v in sorted((_encode(k), _encode(v)) for k, v in query))
    signed = params["X-Amz-SignedHeaders"].split(";")
    headers = {"host": parts.netloc}
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    path = _encode(unquote(parts.path), keep_slash=True)
    lines = ("GET", path, canonical_query, canonical_headers, ";".join(signed), "UNSIGNED-PAYLOAD")
    canonical = "\n".join(lines)
    _, day, region, service, terminal = params["X-Amz-Credential"].split("/")
    assert terminal == "aws4_request"
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        [
            params["X-Amz-Algorithm"],
            params["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    return hmac.new(_signing_key(secret, day, region, service), to_sign.encode(), hashlib.sha256).hexdigest()


def verifies(url: str, access_key: str, secret: str, at: datetime) -> bool:
    """Whether S3 would accept `url` at `at`: SigV4 over HMAC-SHA256, signed by `access_key`,
    its signature right for its parameters, and not expired."""
    params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        return False
    if params.get("X-Amz-Credential", "").split("/")[0] != access_key:
        return False
    signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if not signed_at <= at <= signed_at + timedelta(seconds=int(params["X-Amz-Expires"])):
        return False
    return hmac.compare_digest(presigned_signature(url, secret), params.get("X-Amz-Signature", ""))


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = [(k, changes.get(k, v)) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


# AWS's worked example of a presigned GET (Amazon S3 API reference, "Authenticating Requests:
# Using Query Parameters (AWS Signature Version 4)", example): its documented signature.
AWS_EXAMPLE = (
    "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
)
AWS_EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_the_verifier_reproduces_aws_s_published_example() -> None:
    at = datetime(2013, 5, 24, 12, tzinfo=UTC)
    assert verifies(AWS_EXAMPLE, "AKIAIOSFODNN7EXAMPLE", AWS_EXAMPLE_SECRET, at)
    assert not verifies(with_path(AWS_EXAMPLE, "/test2.txt"), "AKIAIOSFODNN7EXAMPLE", AWS_EXAMPLE_SECRET, at)
    assert not verifies(AWS_EXAMPLE, "AKIAIOSFODNN7EXAMPLE", AWS_EXAMPLE_SECRET.lower(), at)


def export(day: date, fmt: str) -> dict[str, Any]:
    event = copy.deepcopy(load_event("admin_get_reconciliation_report.json"))
    path = f"/v1/admin/reconciliation/{day.isoformat()}/reports/{fmt}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"date": day.isoformat(), "format": fmt}
    status, answer = response_json(invoke("admin_get_reconciliation_report", event))
    assert status == 200, answer
    return dict(answer)


@pytest.fixture
def report(world: World) -> tuple[date, bytes]:
    """A day with a CSV report in the stack's bucket (as reconciliation writes it there)."""
    day = date(2026, 11, 26)
    body = "\ufeffclass,out_trade_no\r\nlocal_only,T1\r\n".encode()
    ReportStore(world.d.s3, world.d.settings.bucket).put_text(
        report_key(day, "discrepancies.csv"), body.decode(), "text/csv; charset=utf-8"
    )
    return day, body


def test_the_export_url_is_a_valid_sigv4_presign_of_the_report_and_refused_once_changed(
    world: World, report: tuple[date, bytes]
) -> None:
    day, body = report
    answer = export(day, "csv")
    url = answer["url"]
    access_key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    params = dict(parse_qsl(urlsplit(url).query))
    signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    # names the right object and expiry, signed for S3 in the stack's region
    bucket, key = world.d.settings.bucket, f"reports/{day}/discrepancies.csv"
    assert unquote(urlsplit(url).path) in (f"/{bucket}/{key}", f"/{key}")
    assert urlsplit(url).path.endswith("/" + _encode(key, keep_slash=True))
    assert params["X-Amz-Expires"] == str(URL_SECONDS) == "300"
    assert params["X-Amz-Credential"].split("/")[2:] == [world.d.s3.meta.region_name, "s3", "aws4_request"]
    assert params["response-content-disposition"] == f'attachment; filename="paymux-{day}-discrepancies.csv"'

    assert verifies(url, access_key, secret, signed_at)
    assert verifies(url, access_key, secret, signed_at + timedelta(seconds=299))
    assert not verifies(url, access_key, secret, signed_at + timedelta(seconds=301))  # expired
    assert not verifies(url, access_key, secret + "x", signed_at)  # another secret
    other = f"reports/{day}/discrepancies.xlsx"
    tampered = [
        with_path(
            url, urlsplit(url).path.replace(_encode(key, keep_slash=True), _encode(other, keep_slash=True))
        ),
        with_path(url, urlsplit(url).path.replace(str(day), "2026-11-25")),
        with_query(url, **{"X-Amz-Expires": "3600"}),
        with_query(url, **{"X-Amz-Date": (signed_at + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")}),
        with_query(url, **{"response-content-disposition": 'attachment; filename="x.exe"'}),
    ]
    for changed in tampered:
        assert changed != url
        assert not verifies(changed, access_key, secret, signed_at + timedelta(seconds=10)), changed

    # and it fetches the report through the local stack's moto server
    got = requests.get(url, timeout=10)
    assert got.status_code == 200 and got.content == body
    assert got.headers["Content-Disposition"] == f'attachment; filename="paymux-{day}-discrepancies.csv"'
