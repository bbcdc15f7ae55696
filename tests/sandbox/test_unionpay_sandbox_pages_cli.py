"""The person-facing pages (order index, scan-and-pay) and ``python -m sandbox.unionpay``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import requests
from cryptography.hazmat.primitives.serialization import pkcs12
from unionpay_sandbox_client import AcpClient

from sandbox.unionpay import GeneratedMerchant, UnionPaySandbox
from tests.support import wait_until


def test_the_index_lists_every_transaction_with_its_state(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    assert "No transactions yet" in requests.get(sb.base_url + "/sandbox/", timeout=10).text
    client.apply_qr("PAGEORDER01", 1234, "http://127.0.0.1:9/n")
    client.apply_qr("PAGEORDER02", 500, "http://127.0.0.1:9/n")
    sb.pay("PAGEORDER02")
    index = requests.get(sb.base_url + "/sandbox/", timeout=10).text
    assert "PAGEORDER01" in index and "12.34" in index and "awaiting the payer" in index
    assert "PAGEORDER02" in index and "00 成功[0000000]" in index
    assert sb.transaction("PAGEORDER01")["sandbox_pay_path"] in index


def test_unknown_codes_and_paths_are_404(make_unionpay: Callable[..., UnionPaySandbox]) -> None:
    sb = make_unionpay()
    assert requests.get(sb.base_url + "/sandbox/qr?code=nope", timeout=10).status_code == 404
    assert requests.post(sb.base_url + "/sandbox/pay", data={"code": "nope"}, timeout=10).status_code == 404
    assert requests.get(sb.base_url + "/gateway/api/backTransReq.do", timeout=10).status_code == 405
    assert requests.post(sb.base_url + "/elsewhere", timeout=10).status_code == 404


def test_the_standalone_sandbox_writes_usable_identities(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.unionpay", "--port", "0", "--key-dir", str(tmp_path)],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        description_file = tmp_path / "sandbox.json"
        assert wait_until(description_file.exists, timeout=20)
        assert wait_until(lambda: description_file.read_text().endswith("}"), timeout=5)
        description = json.loads(description_file.read_text())
        files = description["files"]
        merchant = description["merchant"]
        bundle = Path(files["merchant_pfx"]).read_bytes()
        _, cert, _ = pkcs12.load_key_and_certificates(bundle, merchant["password"].encode())
        assert cert is not None and str(cert.serial_number) == merchant["certId"]
        assert Path(files["root_cert"]).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        identity = GeneratedMerchant(
            merchant["merId"], bundle, merchant["password"], merchant["certId"], b"", b""
        )
        sb = _Remote(
            description["base_url"],
            Path(files["root_cert"]).read_bytes(),
            Path(files["middle_cert"]).read_bytes(),
        )
        client = AcpClient(sb, identity)  # type: ignore[arg-type]
        fields = client.envelope(
            merchant["merId"], txnType="00", txnSubType="00", bizType="000000", orderId="CLIQUERY01"
        )
        assert client.post("/gateway/api/queryTrans.do", fields)["respCode"] == "34"  # verified answer
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert process.returncode == 0


class _Remote:
    """What AcpClient needs of a sandbox running in another process."""

    def __init__(self, base_url: str, root_pem: bytes, middle_pem: bytes) -> None:
        self.base_url, self.root_pem, self.middle_pem = base_url, root_pem, middle_pem
