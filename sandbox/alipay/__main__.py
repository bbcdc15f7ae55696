"""``python -m sandbox.alipay --port 8702``: run the sandbox with a demo application.

The demo app's private key (PKCS#8) and public key, and Alipay's public key, are written to
``--key-dir`` (a fresh temporary folder by default) together with ``sandbox.json`` describing
them; the locations are printed.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import tempfile
import threading
from pathlib import Path

from sandbox.alipay.apps import GeneratedApp, generate_app
from sandbox.alipay.sandbox import AlipaySandbox


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.alipay", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8702)
    parser.add_argument("--key-dir", type=Path, default=None)
    parser.add_argument("--app-id", default="2021000000000001")
    parser.add_argument("--pid", default="2088000000000001")
    parser.add_argument("--notify-time-scale", type=float, default=1.0, help="<1 shortens notify resends")
    parser.add_argument("--notify-on-close", action="store_true", help="also notify TRADE_CLOSED")
    return parser.parse_args()


def write_keys(sb: AlipaySandbox, identity: GeneratedApp, key_dir: Path) -> dict[str, str]:
    key_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "app_private_key": ("app_private_key.pem", identity.private_key_pem),
        "app_public_key": ("app_public_key.pem", identity.app.app_public_key_pem),
        "alipay_public_key": ("alipay_public_key.pem", sb.alipay_public_key_pem),
    }
    paths = {}
    for name, (filename, content) in files.items():
        path = key_dir / filename
        path.write_bytes(content)
        path.chmod(0o600)
        paths[name] = str(path)
    app = identity.app
    description = {
        "base_url": sb.base_url,
        "gateway_url": sb.gateway_url,
        "app_id": app.app_id,
        "pid": app.pid,
        "seller_email": app.seller_email,
        "sign_type": "RSA2",
        "files": paths,
    }
    partial = key_dir / "sandbox.json.partial"
    partial.write_text(json.dumps(description, indent=2))
    partial.replace(key_dir / "sandbox.json")  # readers never see half a file
    return paths


def main() -> None:
    args = _arguments()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sb = AlipaySandbox(
        args.host, args.port, notify_time_scale=args.notify_time_scale, notify_on_close=args.notify_on_close
    )
    identity = generate_app(args.app_id, args.pid)
    sb.register_app(identity.app)
    sb.start()
    key_dir = args.key_dir or Path(tempfile.mkdtemp(prefix="alipay-sandbox-"))
    paths = write_keys(sb, identity, key_dir)
    print(f"Alipay sandbox on {sb.gateway_url}")
    print(f"  app_id {identity.app.app_id}, pid {identity.app.pid}, sign_type RSA2")
    for name, path in paths.items():
        print(f"  {name:18} {path}")
    print(f"  description        {key_dir / 'sandbox.json'}")
    print(f"  trades page        {sb.base_url}/sandbox/")
    print(f"  app order page     {sb.base_url}/sandbox/app")
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
