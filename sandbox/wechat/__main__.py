"""``python -m sandbox.wechat --port 8701``: run the sandbox with a demo merchant.

The demo merchant's private key, certificate and APIv3 key, and WeChat's platform
certificate and public key, are written to ``--key-dir`` (a fresh temporary folder by
default) together with ``sandbox.json`` describing them; the locations are printed.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import tempfile
import threading
from pathlib import Path

from sandbox.wechat.merchant import GeneratedMerchant, generate_merchant
from sandbox.wechat.sandbox import KEY_MODES, WeChatSandbox


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.wechat", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--key-mode", choices=sorted(KEY_MODES), default="public_key")
    parser.add_argument("--key-dir", type=Path, default=None)
    parser.add_argument("--mchid", default="1900000109")
    parser.add_argument("--appid", default="wx8888888888888888")
    parser.add_argument("--callback-time-scale", type=float, default=1.0, help="<1 shortens callback retries")
    return parser.parse_args()


def write_keys(sb: WeChatSandbox, identity: GeneratedMerchant, key_dir: Path) -> dict[str, str]:
    key_dir.mkdir(parents=True, exist_ok=True)
    merchant = identity.merchant
    platform = sb.platform_certificates[0]
    files = {
        "merchant_private_key": ("apiclient_key.pem", identity.private_key_pem),
        "merchant_certificate": ("apiclient_cert.pem", identity.certificate_pem),
        "apiv3_key": ("apiv3_key.txt", merchant.apiv3_key),
        "platform_certificate": (f"wechatpay_{platform['serial_no']}.pem", platform["certificate_pem"]),
        "wechatpay_public_key": ("pub_key.pem", sb.public_key_pem),
    }
    paths = {}
    for name, (filename, content) in files.items():
        path = key_dir / filename
        path.write_bytes(content)
        path.chmod(0o600)
        paths[name] = str(path)
    description = {
        "base_url": sb.base_url,
        "key_mode": sb.key_mode,
        "mchid": merchant.mchid,
        "appids": list(merchant.appids),
        "merchant_cert_serial": merchant.merchant_cert_serial,
        "platform_cert_serial": platform["serial_no"],
        "public_key_id": sb.public_key_id,
        "files": paths,
    }
    (key_dir / "sandbox.json").write_text(json.dumps(description, indent=2))
    return paths


def main() -> None:
    args = _arguments()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sb = WeChatSandbox(args.host, args.port, args.key_mode, callback_time_scale=args.callback_time_scale)
    identity = generate_merchant(args.mchid, (args.appid,))
    sb.register_merchant(identity.merchant)
    sb.start()
    key_dir = args.key_dir or Path(tempfile.mkdtemp(prefix="wechat-sandbox-"))
    paths = write_keys(sb, identity, key_dir)
    print(f"WeChat Pay sandbox on {sb.base_url}  (key mode {sb.key_mode})")
    print(f"  mchid {args.mchid}, appid {args.appid}, public key id {sb.public_key_id}")
    print(f"  merchant API cert serial {identity.merchant.merchant_cert_serial}")
    for name, path in paths.items():
        print(f"  {name:22} {path}")
    print(f"  description            {key_dir / 'sandbox.json'}")
    print(f"  orders page            {sb.base_url}/sandbox/")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        while not stopping.wait(0.2):  # short waits keep signal handling prompt
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()


if __name__ == "__main__":
    main()
