"""The reconciliation bench's world: a generated WeChat Pay ALL trade bill (the real format,
PROTOCOLS.md §1.6) with discrepancies of every class, the same day's local payments and
refunds written straight into a moto server's backend (a process of their own, so the
measured processes hold only what they read), and the two measured runs:

- `paymux`: the real `reconcile_day` against that moto server, the statement fetched through
  the real WeChatPayChannel.fetch_statement (its apply answer is given unsigned; the download,
  SHA1 check and parse are the channel's own), served from the generated file;
- `pandas`: read_csv of the same bill and of the same local payments (a CSV export), an outer
  merge on out_trade_no and the classes counted.

`python -m bench.reconcile_rig serve|paymux|pandas DIR [PORT]`; bench/reconcile.py drives them."""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

CHINA = timezone(timedelta(hours=8))  # the bill's wall clock (paymux.clock.CHINA)

DAY = date(2026, 11, 28)
ACCOUNT_ID, MCHID, APPID, FEE_RATE = "wx-bench", "1900000109", "wxbench000000001", "0.006"
OTHER_MCHID = "1900000999"
REGION = "us-east-1"
TABLE, BUCKET = "paymux-bench-recon", "paymux-bench-recon-reports"
PERIOD = 10_000  # one discrepancy of each class in this many payments
# offset in PERIOD → what is injected there
CLASSES = {
    1: "channel_only",  # a bill row no payment has (and the payment of that slot: local_only)
    2: "amount_mismatch",
    3: "fee_mismatch",
    4: "merchant_mismatch",
    5: "status_mismatch",  # PROCESSING here, paid at the channel: repaired
    6: "refund_matched",  # the payment also has a refund row, and its refund here
    7: "refund_channel_only",  # a refund row naming a refund we do not have
}
BILL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
    "手续费,费率,订单金额,申请退款金额,费率备注"
)
SUMMARY_HEADER = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)


def payment_id(n: int) -> str:
    return f"pay_01M8RTTQ18{n:016d}"


def out_trade_no(n: int) -> str:
    return f"01M8RTTQ18{n:016d}01"


def amount_of(n: int) -> int:
    return 100 + (n * 7919) % 100_000


def paid_at(n: int) -> float:
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=CHINA).timestamp()
    return start + 60 + (n % 86_000)


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _fee5(units: int) -> str:
    """A fee in 1/100,000 yuan as the bill writes it (5 decimals)."""
    sign = "-" if units < 0 else ""
    return f"{sign}{abs(units) // 100_000}.{abs(units) % 100_000:05d}"


@dataclass
class _Totals:
    count: int = 0
    settle: int = 0
    refund: int = 0
    fee: int = 0  # 1/100,000 yuan
    order: int = 0


def _payment_line(n: int, totals: _Totals) -> str:
    kind = CLASSES.get(n % PERIOD, "")
    amount = amount_of(n) + (1 if kind == "amount_mismatch" else 0)
    trade = f"X{n:027d}" if kind == "channel_only" else out_trade_no(n)
    fee = amount * 6 + (500_000 if kind == "fee_mismatch" else 0)  # 0.6 %, in 1/100,000 yuan
    mchid = OTHER_MCHID if kind == "merchant_mismatch" else MCHID
    at = datetime.fromtimestamp(paid_at(n), CHINA).strftime("%Y-%m-%d %H:%M:%S")
    totals.count, totals.settle, totals.order, totals.fee = (
        totals.count + 1,
        totals.settle + amount,
        totals.order + amount,
        totals.fee + fee,
    )
    return (
        f"`{at},`{APPID},`{mchid},`0,`,`42000{n:023d},`{trade},`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,"
        f"`SUCCESS,`OTHERS,`CNY,`{_yuan(amount)},`0.00,`0,`0,`0.00,`0.00,`,`,`bench,`,`{_fee5(fee)},"
        f"`0.60%,`{_yuan(amount)},`0.00,`\n"
    )


def refund_no(n: int) -> str:
    return f"01M8RTTQ19{n:016d}"


def _refund_line(n: int, totals: _Totals) -> str:
    amount = amount_of(n) // 2
    fee = -amount * 6
    at = datetime.fromtimestamp(paid_at(n) + 600, CHINA).strftime("%Y-%m-%d %H:%M:%S")
    totals.count, totals.refund, totals.fee = totals.count + 1, totals.refund + amount, totals.fee + fee
    return (
        f"`{at},`{APPID},`{MCHID},`0,`,`42000{n:023d},`{out_trade_no(n)},`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,"
        f"`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300{n:024d},`{refund_no(n)},`{_yuan(amount)},`0.00,"
        f"`ORIGINAL,`SUCCESS,`bench,`,`{_fee5(fee)},`0.60%,`0.00,`{_yuan(amount)},`\n"
    )


def generate(directory: Path, rows: int) -> dict[str, Any]:
    """bill.csv (`rows` payment rows plus refund rows), local.csv (the local payments, what
    the pandas baseline reads), and what each class should count."""
    totals, sha1 = _Totals(), hashlib.sha1(usedforsecurity=False)
    with (
        (directory / "bill.csv").open("wb") as bill,
        (directory / "local.csv").open("w", newline="") as local,
    ):
        writer = csv.writer(local)
        writer.writerow(("payment_id", "out_trade_no", "amount", "currency", "status"))
        chunk = [BILL_HEADER + "\n"]
        for n in range(rows):
            kind = CLASSES.get(n % PERIOD, "")
            chunk.append(_payment_line(n, totals))
            if kind in ("refund_matched", "refund_channel_only"):
                chunk.append(_refund_line(n, totals))
            status = "PROCESSING" if kind == "status_mismatch" else "SUCCESS"
            writer.writerow((payment_id(n), out_trade_no(n), amount_of(n), "CNY", status))
            if len(chunk) >= 10_000:
                data = "".join(chunk).encode()
                bill.write(data), sha1.update(data)
                chunk = []
        chunk.append(SUMMARY_HEADER + "\n")
        chunk.append(
            f"`{totals.count},`{_yuan(totals.settle)},`{_yuan(totals.refund)},`0.00,`{_fee5(totals.fee)},"
            f"`{_yuan(totals.order)},`{_yuan(totals.refund)}\n"
        )
        data = "".join(chunk).encode()
        bill.write(data), sha1.update(data)
    slots = rows // PERIOD + (1 if rows % PERIOD > 1 else 0)
    meta = {"rows": rows, "sha1": sha1.hexdigest(), "slots": slots}
    (directory / "meta.json").write_text(json.dumps(meta))
    return meta


# -- the moto server --------------------------------------------------------------------------
def _local_items(rows: int) -> Iterator[dict[str, Any]]:
    from paymux.domain.payment import Payment  # noqa: PLC0415
    from paymux.domain.refund import Refund  # noqa: PLC0415
    from paymux.domain.states import PaymentStatus, RefundStatus  # noqa: PLC0415
    from paymux.store import payment_keys  # noqa: PLC0415
    from paymux.store.refunds import RefundStore  # noqa: PLC0415

    for n in range(rows):
        kind = CLASSES.get(n % PERIOD, "")
        pid, trade, at = payment_id(n), out_trade_no(n), paid_at(n)
        paid = kind != "status_mismatch"
        payment = Payment(
            payment_id=pid, merchant_id="mch_bench", app_id="app_bench", merchant_order_no=f"SO-{n}",
            amount=amount_of(n), currency="CNY", method="wechat.native", subject="bench",
            notify_url="https://shop.example.com/paymux/notify", request_hash="", created_at=at - 30,
            updated_at=at, expires_at=at + 7200,
            status=PaymentStatus.SUCCESS if paid else PaymentStatus.PROCESSING,
            provider="wechat", account_id=ACCOUNT_ID, out_trade_no=trade, attempt_count=1,
            paid_at=at if paid else None, channel_trade_no=f"42000{n:023d}" if paid else "",
        )  # fmt: skip
        item = {"PK": f"PAY#{pid}", "SK": "PAY", **payment_keys.payment_values(payment)}
        if paid:
            item |= {
                "GSI3PK": payment_keys.paid_day_key(ACCOUNT_ID, at, pid),
                "GSI3SK": payment_keys.paid_sort_key(payment),
            }
        yield item
        if not paid:  # the creation event holding the first attempt (PaymentStore.get_attempt)
            attempt = {
                "out_trade_no": trade,
                "payment_id": pid,
                "account_id": ACCOUNT_ID,
                "provider": "wechat",
            }
            yield {"PK": f"PAY#{pid}", "SK": "EVT#000001", "type": "payment.created", "attempt": attempt}
        if kind == "refund_matched":
            refund = Refund(
                refund_id="re_" + refund_no(n), payment_id=pid, merchant_id="mch_bench", app_id="app_bench",
                merchant_refund_no=f"RF-{n}", amount=amount_of(n) // 2, currency="CNY", request_hash="",
                created_at=at + 500, status=RefundStatus.SUCCESS, succeeded_at=at + 600,
            )  # fmt: skip
            yield RefundStore._item(refund, at + 3600)  # the store's own layout


def serve(directory: Path, port: int) -> None:
    """A moto server holding the day's items; prints READY and serves until killed."""
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    from bench.reconcile_moto import forget, grouped_index_queries, warm  # noqa: PLC0415
    from local.moto_queries import partition_queries  # noqa: PLC0415
    from local.moto_serialize import serialize_dynamodb_requests  # noqa: PLC0415
    from local.moto_transactions import item_level_transactions  # noqa: PLC0415
    from paymux.store.dynamo import to_item  # noqa: PLC0415

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    serialize_dynamodb_requests()  # as the local stack's moto: one DynamoDB request at a time
    item_level_transactions()
    partition_queries()
    grouped_index_queries()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    _create_resources(f"http://127.0.0.1:{port}")
    table = dynamodb_backends["123456789012"][REGION].get_table(TABLE)
    rows = int(json.loads((directory / "meta.json").read_text())["rows"])
    for item in _local_items(rows):
        stored = _moto_item(to_item(item))
        table.items[stored.hash_key][stored.range_key] = stored
    forget()
    warm(table, "GSI3")
    print("READY", flush=True)
    while True:
        time.sleep(3600)


def _moto_item(attrs: dict[str, Any]) -> Any:
    """The Item Table.put_item stores, built without its per-attribute size check (moto's
    LimitedSizeDict re-sizes the whole item at every attribute: 1.6 ms an item of 25)."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict  # noqa: PLC0415

    item = Item.__new__(Item)
    item.hash_key, item.range_key = DynamoType(attrs["PK"]), DynamoType(attrs["SK"])
    item.attrs = LimitedSizeDict()
    dict.update(item.attrs, {name: DynamoType(value) for name, value in attrs.items()})
    return item


def _create_resources(endpoint: str) -> None:
    import boto3  # noqa: PLC0415

    from bench import staging  # noqa: PLC0415
    from local.template import load_template  # noqa: PLC0415

    props = load_template(staging.REPO / "template.yaml")["Resources"]["PaymuxTable"]["Properties"]
    kwargs = {"region_name": REGION, "endpoint_url": endpoint}
    boto3.client("dynamodb", **kwargs).create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
    )
    s3 = boto3.client("s3", **kwargs)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    sqs = boto3.client("sqs", **kwargs)
    for name in ("notify", "notify-dlq"):
        sqs.create_queue(QueueName=f"{TABLE}-{name}")


# -- the measured runs ------------------------------------------------------------------------
class FileHttp:
    """The bill's download, served from the generated file (the apply never comes here)."""

    chunk = 1 << 20

    def __init__(self, path: Path) -> None:
        self._path = path

    def request(self, method: str, url: str, *, headers: Mapping[str, str], **_: Any) -> Any:
        from paymux.channels.http import HttpResponse  # noqa: PLC0415

        return HttpResponse(200, self._path.read_bytes(), {"Content-Type": "text/plain"})

    def stream(self, method: str, url: str, *, headers: Mapping[str, str], **_: Any) -> Any:
        from paymux.channels.http import HttpStream  # noqa: PLC0415

        def chunks() -> Iterator[bytes]:
            with self._path.open("rb") as file:
                while block := file.read(self.chunk):
                    yield block

        return HttpStream(200, chunks(), {"Content-Type": "text/plain"})


def _bench_channel(directory: Path) -> type:
    from paymux.channels.http import HttpResponse  # noqa: PLC0415
    from paymux.channels.wechat.client import WeChatPayChannel  # noqa: PLC0415

    sha1 = str(json.loads((directory / "meta.json").read_text())["sha1"])

    class BenchWeChatChannel(WeChatPayChannel):
        """The real WeChat Pay client; only the bill apply's answer is made here, unsigned."""

        provider = "wechat"

        def __init__(self, account: Any, credentials: Any, http: Any, clock: Any, **kwargs: Any) -> None:
            super().__init__(account, credentials, FileHttp(directory / "bill.csv"), clock, **kwargs)

        def _call(self, method: str, path: str, body: Any = None, serial: str = "") -> HttpResponse:
            answer = {
                "hash_type": "SHA1",
                "hash_value": sha1,
                "download_url": "https://bench.invalid/bill?t=1",
            }
            return HttpResponse(200, json.dumps(answer).encode())

    return BenchWeChatChannel


def _deps(port: int) -> Any:
    from paymux.config import Settings  # noqa: PLC0415
    from paymux.deps import Deps  # noqa: PLC0415

    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION,
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
    )  # fmt: skip
    settings = Settings(
        stage="bench", table=TABLE, notify_queue_url=f"http://127.0.0.1:{port}/123456789012/{TABLE}-notify",
        notify_dlq_url=f"http://127.0.0.1:{port}/123456789012/{TABLE}-notify-dlq", bucket=BUCKET,
        secrets_prefix="paymux/bench/", public_base_url="https://bench.invalid", allow_http_urls=False,
    )  # fmt: skip
    clock_at = datetime(DAY.year, DAY.month, DAY.day, 10, 30, tzinfo=CHINA).timestamp() + 86_400

    class BenchDeps(Deps):
        def _client(self, service: str, **options: Any) -> Any:
            """As Deps', with a longer read timeout: the bench's moto answers one DynamoDB
            request at a time (local.moto_serialize), so 17 reads at once queue there."""
            import boto3  # noqa: PLC0415
            from botocore.config import Config  # noqa: PLC0415

            config = Config(retries={"mode": "standard", "max_attempts": 3}, read_timeout=300, **options)
            return boto3.client(service, config=config)

    return BenchDeps(settings=settings, clock=lambda: clock_at)


def _account(d: Any) -> None:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    from paymux.channels.base import ChannelAccount  # noqa: PLC0415

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    account = ChannelAccount(
        account_id=ACCOUNT_ID, provider="wechat", products=("wechat.native",), mchid=MCHID, appid=APPID,
        base_url="https://bench.invalid", owner="mch_bench", fee_rate=FEE_RATE,
    )  # fmt: skip
    credentials = {"merchant_private_key_pem": pem, "merchant_cert_serial": "1", "apiv3_key": "k" * 32}
    d.channel_config.put_account(account, credentials)


def run_paymux(directory: Path, port: int) -> dict[str, Any]:
    import importlib  # noqa: PLC0415

    from paymux.channels import registry  # noqa: PLC0415
    from paymux.services.reconciliation import reconcile_day  # noqa: PLC0415

    registry.PROVIDERS["wechat"] = "bench.reconcile_rig:BenchWeChatChannel"
    # this file as the registry imports it (run as __main__, it is another module object)
    importlib.import_module("bench.reconcile_rig").BenchWeChatChannel = _bench_channel(directory)
    d = _deps(port)
    _account(d)
    started, cpu = time.perf_counter(), time.process_time()
    summary = reconcile_day(d, DAY).to_dict()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    counts, failed = summary["counts"], summary["failed_accounts"]
    return {"seconds": seconds, "cpu_s": cpu, "counts": counts, "failed": failed}


def run_pandas(directory: Path) -> dict[str, Any]:
    import pandas as pd  # noqa: PLC0415

    started, cpu = time.perf_counter(), time.process_time()
    bill = pd.read_csv(directory / "bill.csv", dtype=str, keep_default_na=False)
    bill = bill[bill["商户订单号"] != ""]  # the summary header and row have 7 columns
    for column in ("商户订单号", "交易状态", "订单金额", "手续费", "商户号", "退款金额", "商户退款单号"):
        bill[column] = bill[column].str.lstrip("`")
    payments = bill[bill["交易状态"] == "SUCCESS"]
    payments = payments.assign(
        channel_amount=(pd.to_numeric(payments["订单金额"]) * 100).round().astype("int64"),
        channel_fee=(pd.to_numeric(payments["手续费"]) * 100).round().astype("int64"),
    )
    local = pd.read_csv(directory / "local.csv", dtype={"amount": "int64"})
    merged = payments.merge(local, left_on="商户订单号", right_on="out_trade_no", how="outer", indicator=True)
    both = merged[merged["_merge"] == "both"]
    expected = (both["amount"] * 0.006).round().astype("int64")
    counts = {
        "channel_only": int((merged["_merge"] == "left_only").sum()),
        "local_only": int((merged["_merge"] == "right_only").sum()),
        "amount_mismatch": int((both["channel_amount"] != both["amount"]).sum()),
        "fee_mismatch": int(((both["channel_fee"] - expected).abs() > 1).sum()),
        "merchant_mismatch": int((both["商户号"] != MCHID).sum()),
        "status_mismatch": int((both["status"] != "SUCCESS").sum()),
        "refunds": int((bill["交易状态"] == "REFUND").sum()),
    }
    return {"seconds": time.perf_counter() - started, "cpu_s": time.process_time() - cpu, "counts": counts}


def main(argv: list[str]) -> int:
    mode, directory = argv[0], Path(argv[1])
    if mode == "serve":
        serve(directory, int(argv[2]))
        return 0
    result = run_paymux(directory, int(argv[2])) if mode == "paymux" else run_pandas(directory)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
