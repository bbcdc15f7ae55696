"""`python -m ops --local reconcile run|show|fetch` as an operator runs it: a separate process,
against the local stack's state (moto) and the WeChat Pay sandbox's bill; stdout is the JSON
answer, a refusal exits 2 and says why on stderr."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import openpyxl

from local.state import write_state
from paymux.services.reconciliation import CSV_COLUMNS
from tests.integration.conftest import World
from tests.integration.test_ops_cli import ops
from tests.integration.test_reconcile import alone, today
from tests.integration.test_refunds import paid_payment


def test_run_show_and_fetch_a_day(world: World, tmp_path: Path):
    alone(world)
    state = tmp_path / "stack.json"
    write_state(state, world.stack.state())
    day = today(world).isoformat()
    paid = paid_payment(world, 1200)
    _, lost = world.create(amount=800)
    world.catcher.forward = False
    world.sandbox.pay(world.mchid, world.out_trade_no(lost["id"]))

    ran = ops(state, "reconcile", "run", "--date", day)
    assert ran.returncode == 0, ran.stderr
    summary = json.loads(ran.stdout)
    assert summary["date"] == day and summary["discrepancies"] == 1 and summary["repaired"] == 1
    assert world.d.payments.get(lost["id"]).status == "SUCCESS"  # repaired by the CLI's run

    shown = ops(state, "reconcile", "show", "--date", day)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["totals"]["channel_payments"] == 2000

    out = tmp_path / "d.csv"
    fetched = ops(state, "reconcile", "fetch", "--date", day, "--format", "csv", "--out", str(out))
    assert fetched.returncode == 0, fetched.stderr
    answer = json.loads(fetched.stdout)
    assert answer["file"] == str(out) and answer["bytes"] == out.stat().st_size
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[CSV_COLUMNS.index("payment_id")] for r in rows[1:]] == [lost["id"]]

    book_file = tmp_path / "d.xlsx"
    fetched = ops(state, "reconcile", "fetch", "--date", day, "--format", "xlsx", "--out", str(book_file))
    assert fetched.returncode == 0, fetched.stderr
    book = openpyxl.load_workbook(book_file)
    assert book.sheetnames[0] == "summary" and book["wechat"].max_row == 2
    assert paid["id"] not in out.read_text(encoding="utf-8-sig")  # matched: not a discrepancy


def test_refusals_exit_2_and_say_why(world: World, tmp_path: Path):
    state = tmp_path / "stack.json"
    write_state(state, world.stack.state())
    missing = ops(state, "reconcile", "show", "--date", "2001-01-02")
    assert (missing.returncode, missing.stdout) == (2, "")
    assert "no summary for 2001-01-02" in missing.stderr and "Traceback" not in missing.stderr
    bad = ops(state, "reconcile", "fetch", "--date", "2026-02-30", "--format", "csv")
    assert bad.returncode == 2 and "date must be a calendar day" in bad.stderr
    absent = ops(state, "reconcile", "fetch", "--date", "2001-01-02", "--format", "txt")
    assert absent.returncode == 2 and "no txt report for 2001-01-02" in absent.stderr
    wrong = ops(state, "reconcile", "fetch", "--date", "2001-01-02", "--format", "pdf")
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr


def test_a_run_with_an_account_that_failed_prints_the_summary_and_exits_2(world: World, tmp_path: Path):
    alone(world)
    (account,) = [a for a in world.d.channel_config.accounts() if a.account_id == world.account_id]
    broken = replace(account, account_id="wx-broken", base_url="http://127.0.0.1:9")  # no credentials either
    world.d.channel_config.put_account(broken, None)
    state = tmp_path / "stack.json"
    write_state(state, world.stack.state())
    day = today(world).isoformat()

    ran = ops(state, "reconcile", "run", "--date", day)

    assert ran.returncode == 2
    summary = json.loads(ran.stdout)
    assert summary["failed_accounts"] == ["wx-broken"]
    assert "accounts not reconciled: wx-broken" in ran.stderr and "Traceback" not in ran.stderr
    shown = ops(state, "reconcile", "show", "--date", day)  # its reports were written all the same
    assert json.loads(shown.stdout)["failed_accounts"] == ["wx-broken"]
