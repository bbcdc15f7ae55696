"""``python -m sandbox.alipay``: a standalone sandbox whose key files a merchant can use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alipay_sandbox_helpers import Client

from tests.support import wait_until


def test_the_standalone_sandbox_writes_usable_keys(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.alipay", "--port", "0", "--key-dir", str(tmp_path)],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        description_file = tmp_path / "sandbox.json"
        assert wait_until(description_file.exists, timeout=10)
        description = json.loads(description_file.read_text())
        assert (description["app_id"], description["pid"]) == ("2021000000000001", "2088000000000001")
        files = description["files"]
        private_key = Path(files["app_private_key"]).read_bytes()
        alipay_key = Path(files["alipay_public_key"]).read_bytes()
        assert private_key.startswith(b"-----BEGIN PRIVATE KEY-----")
        assert Path(files["app_public_key"]).read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
        assert alipay_key != Path(files["app_public_key"]).read_bytes()
        client = Client(description["gateway_url"], private_key)
        answer = client.call("alipay.trade.query", {"out_trade_no": "CLI_QUERY_01"})
        assert answer["sub_code"] == "ACQ.TRADE_NOT_EXIST"
        assert answer.verifies(alipay_key)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Alipay sandbox on http://127.0.0.1:" in output
    assert "app_private_key" in output and "alipay_public_key" in output
