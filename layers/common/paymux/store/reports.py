"""Statements and reconciliation reports in the reports bucket (S3).

Keys: `statements/<provider>/<account_id>/<day>.<ext>` (the channel's raw file, byte for byte)
and `reports/<day>/<name>`. Every object is written with SSE (AES256, the bucket's default
made explicit) and a content type; the bucket is versioned and under Object Lock (governance,
5 years), so an overwrite adds a version and keeps the old one locked."""

from __future__ import annotations

import csv
import hashlib
import json
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

SSE = "AES256"
# Reports and statements are written to a temporary file and uploaded from it: one PUT up to
# 8 MiB, a multipart upload of 8 MiB parts above (S3's smallest part is 5 MiB), so no report or
# statement is ever whole in memory.
MULTIPART_BYTES = 8 * 1024 * 1024


def statement_key(provider: str, account_id: str, day: date, extension: str = "csv") -> str:
    return f"statements/{provider}/{account_id}/{day.isoformat()}.{extension}"


def report_key(day: date, name: str) -> str:
    return f"reports/{day.isoformat()}/{name}"


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """UTF-8 with a BOM (so Excel reads Chinese text as UTF-8), CRLF line ends, a header row."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


class ReportStore:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def _put(self, key: str, body: bytes, content_type: str, metadata: dict[str, str]) -> None:
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            ServerSideEncryption=SSE,
            Metadata=metadata,
        )

    def _missing(self, exc: Exception) -> bool:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        return code in {"404", "NoSuchKey", "NotFound"}

    def put_statement(self, key: str, raw: bytes, content_type: str) -> str:
        """Archives a statement file; an identical file already there (a re-run) is left as
        is, so re-runs add no object versions. Returns the file's SHA1."""
        sha1 = hashlib.sha1(raw, usedforsecurity=False).hexdigest()  # a content fingerprint, as WeChat's
        if not self._archived(key, sha1):
            self._put(key, raw, content_type, {"sha1": sha1})
        return sha1

    def put_statement_file(self, key: str, path: str, sha1: str, content_type: str) -> str:
        """Archives a statement downloaded to `path` (its SHA1 taken while it was downloaded),
        streamed from disk: a file above MULTIPART_BYTES goes up as a multipart upload of
        MULTIPART_BYTES parts, so the archive holds one part in memory at a time, whatever the
        file's size. An identical file already there is left as is, as put_statement does."""
        if self._archived(key, sha1):
            return sha1
        from boto3.s3.transfer import TransferConfig  # noqa: PLC0415 - only the archive needs it

        config = TransferConfig(
            multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES, max_concurrency=4
        )
        extra = {"ContentType": content_type, "ServerSideEncryption": SSE, "Metadata": {"sha1": sha1}}
        self._s3.upload_file(path, self._bucket, key, ExtraArgs=extra, Config=config)
        return sha1

    def _archived(self, key: str, sha1: str) -> bool:
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except self._s3.exceptions.ClientError as exc:
            if not self._missing(exc):
                raise
            return False
        return bool(head.get("Metadata", {}).get("sha1") == sha1)

    def put_json(self, key: str, doc: dict[str, Any]) -> None:
        body = json.dumps(doc, ensure_ascii=False, indent=2).encode()
        self._put(key, body, "application/json; charset=utf-8", {})

    def put_html(self, key: str, page: str) -> None:
        self._put(key, page.encode(), "text/html; charset=utf-8", {})

    def put_text(self, key: str, text: str, content_type: str) -> None:
        self._put(key, text.encode(), content_type, {})

    def put_csv(self, key: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        """UTF-8 with a BOM (so Excel reads Chinese text as UTF-8), CRLF line ends, a header row;
        streamed through a temporary file."""
        with tempfile.TemporaryDirectory(prefix="paymux-csv-") as folder:
            path = Path(folder) / "report.csv"
            write_csv(path, header, rows)
            self.put_file(key, path, "text/csv; charset=utf-8")

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Uploads a file written on disk: one PUT, or a multipart upload for a large one
        (aborted by s3transfer if a part fails, so no half-written object appears)."""
        from boto3.s3.transfer import TransferConfig  # noqa: PLC0415 - only the report writers need it

        config = TransferConfig(
            multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES, max_concurrency=4
        )
        extra = {"ContentType": content_type, "ServerSideEncryption": SSE, "Metadata": {}}
        self._s3.upload_file(str(path), self._bucket, key, ExtraArgs=extra, Config=config)

    def download(self, key: str, path: Path) -> None:
        """Streams the object to `path` (ranged GETs for a large one; never whole in memory)."""
        self._s3.download_file(self._bucket, key, str(path))

    def exists(self, key: str) -> bool:
        """A listing of the key itself: the export function may list `reports/*` only, and a
        HEAD without a bucket-wide ListBucket answers 403, not 404, for a missing key."""
        page = self._s3.list_objects_v2(Bucket=self._bucket, Prefix=key, MaxKeys=1)
        return any(o.get("Key") == key for o in page.get("Contents", []))

    def download_url(self, key: str, filename: str, expires_in: int) -> str:
        """A presigned GET of `key` that lives `expires_in` seconds and saves as `filename`."""
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=expires_in,
        )
        return url

    def get(self, key: str) -> bytes | None:
        try:
            body: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except self._s3.exceptions.ClientError as exc:
            if self._missing(exc):
                return None
            raise
        return body

    def get_json(self, key: str) -> dict[str, Any] | None:
        body = self.get(key)
        if body is None:
            return None
        doc: dict[str, Any] = json.loads(body)
        return doc
