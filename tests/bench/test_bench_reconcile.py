"""The reconciliation bench's data: the generated bill is a WeChat Pay ALL bill the real parser
accepts (its summary adds up), with one discrepancy of each class in every PERIOD payments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import reconcile_rig
from paymux.channels.wechat.statement import parse_trade_bill


def test_the_generated_bill_parses_and_holds_every_class(tmp_path: Path) -> None:
    rows = 2 * reconcile_rig.PERIOD
    meta = reconcile_rig.generate(tmp_path, rows)
    parsed = parse_trade_bill((tmp_path / "bill.csv").read_bytes())
    payments = [r for r in parsed.rows if r.kind == "payment"]
    refunds = [r for r in parsed.rows if r.kind == "refund"]
    assert len(payments) == rows and len(refunds) == 2 * meta["slots"]
    assert parsed.summary.records == rows + len(refunds)
    assert sum(1 for r in payments if r.out_trade_no.startswith("X")) == meta["slots"]  # channel-only
    assert sum(1 for r in payments if r.mchid == reconcile_rig.OTHER_MCHID) == meta["slots"]
    local = (tmp_path / "local.csv").read_text().splitlines()
    assert len(local) == rows + 1 and sum(1 for line in local if line.endswith("PROCESSING")) == meta["slots"]


def test_the_bench_deps_build_every_client_the_run_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's Deps builds the S3 client with the options Deps.s3 passes (SigV4 for
    presigned URLs): at 071d513 its _client override took no options, so the run died there."""
    monkeypatch.setattr(os, "environ", dict(os.environ))  # _deps points the environment at moto
    d = reconcile_rig._deps(1)
    assert d.s3.meta.config.signature_version == "s3v4"
    assert d.s3.meta.config.read_timeout == 300 and d.dynamodb.meta.config.read_timeout == 300
