"""``python -m sandbox.huifu --port 8705``: the sandbox with a demo sys_id; its private key and
Huifu's public key are written to ``--key-dir`` (a fresh temporary folder by default)."""

from __future__ import annotations

import argparse
import signal
import tempfile
import threading
from pathlib import Path

from sandbox.huifu.keys import generate_sys_id
from sandbox.huifu.sandbox import HuifuSandbox


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.huifu", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8705)
    parser.add_argument("--key-dir", type=Path, default=None)
    parser.add_argument("--sys-id", default="6666000108854952")
    parser.add_argument("--notify-time-scale", type=float, default=1.0)
    args = parser.parse_args()
    key_dir = args.key_dir or Path(tempfile.mkdtemp(prefix="huifu-sandbox-"))
    key_dir.mkdir(parents=True, exist_ok=True)
    merchant = generate_sys_id(args.sys_id)
    sandbox = HuifuSandbox(args.host, args.port, notify_time_scale=args.notify_time_scale)
    sandbox.register(merchant)
    sandbox.start()
    private, public = key_dir / "merchant_private_key.pem", key_dir / "huifu_public_key.pem"
    private.write_bytes(merchant.private_key_pem)
    private.chmod(0o600)
    public.write_bytes(sandbox.public_key_pem)
    print(f"Huifu sandbox {sandbox.base_url}  sys_id {merchant.sys_id}  product_id {merchant.product_id}")
    print(f"merchant private key {private}\nHuifu public key {public}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    sandbox.stop()


if __name__ == "__main__":
    main()
