"""The reconciliation bench's data: the generated bill is a WeChat Pay ALL bill the real parser
accepts (its summary adds up), with one discrepancy of each class in every PERIOD payments."""

from __future__ import annotations

from pathlib import Path

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
