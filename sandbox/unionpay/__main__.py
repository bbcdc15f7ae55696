"""``python -m sandbox.unionpay --port 8703``: run the sandbox with a demo merchant and acquirer.

UnionPay's root and middle certificates (PEM), the demo merchant's PKCS#12 and the demo
acquirer's PKCS#12 are written to ``--key-dir`` (a fresh temporary folder by default) with
``sandbox.json`` describing them (passwords, certIds, merIds); the locations are printed.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import tempfile
import threading
from pathlib import Path

from sandbox.unionpay.certificates import GeneratedMerchant, generate_merchant
from sandbox.unionpay.sandbox import UnionPaySandbox


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.unionpay", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8703)
    parser.add_argument("--key-dir", type=Path, default=None)
    parser.add_argument("--mer-id", default="777290058167151")
    parser.add_argument("--acq-ins-code", default="48021000")
    parser.add_argument("--sub-mer-id", default="898110000000001")
    parser.add_argument("--notify-time-scale", type=float, default=1.0, help="<1 shortens notify resends")
    parser.add_argument("--statement-layout", choices=("official", "daxpay"), default="official")
    return parser.parse_args()


def _write(path: Path, content: bytes) -> str:
    path.write_bytes(content)
    path.chmod(0o600)
    return str(path)


def write_keys(
    sb: UnionPaySandbox,
    merchant: GeneratedMerchant,
    acquirer: GeneratedMerchant,
    sub_mer_id: str,
    key_dir: Path,
) -> dict[str, object]:
    key_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "root_cert": _write(key_dir / "acp_sandbox_root.cer", sb.root_pem),
        "middle_cert": _write(key_dir / "acp_sandbox_middle.cer", sb.middle_pem),
        "merchant_pfx": _write(key_dir / f"acp_sign_{merchant.mer_id}.pfx", merchant.pkcs12),
        "acquirer_pfx": _write(key_dir / f"acp_sign_{acquirer.mer_id}.pfx", acquirer.pkcs12),
    }
    description: dict[str, object] = {
        "base_url": sb.base_url,
        "file_transfer_url": sb.base_url + "/",
        "merchant": {"merId": merchant.mer_id, "certId": merchant.cert_id, "password": merchant.password},
        "acquirer": {
            "acqInsCode": acquirer.mer_id,
            "certId": acquirer.cert_id,
            "password": acquirer.password,
            "subMerIds": [sub_mer_id],
        },
        "files": files,
    }
    (key_dir / "sandbox.json").write_text(json.dumps(description, indent=2, ensure_ascii=False))
    return description


def main() -> None:
    args = _arguments()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sb = UnionPaySandbox(
        args.host, args.port, notify_time_scale=args.notify_time_scale, statement_layout=args.statement_layout
    )
    merchant, acquirer = generate_merchant(args.mer_id), generate_merchant(args.acq_ins_code)
    sb.register_merchant(merchant)
    sb.register_acquirer(args.acq_ins_code, [args.sub_mer_id], acquirer)
    sb.start()
    key_dir = args.key_dir or Path(tempfile.mkdtemp(prefix="unionpay-sandbox-"))
    description = write_keys(sb, merchant, acquirer, args.sub_mer_id, key_dir)
    print(f"UnionPay ACP 5.1.0 sandbox on {sb.base_url}  (file transfer: POST {sb.base_url}/)")
    print(f"  merchant merId {merchant.mer_id}, certId {merchant.cert_id}")
    print(f"  acquirer acqInsCode {acquirer.mer_id}, certId {acquirer.cert_id}, sub merId {args.sub_mer_id}")
    for name, path in dict(description["files"]).items():  # type: ignore[call-overload]
        print(f"  {name:22} {path}")
    print(f"  description            {key_dir / 'sandbox.json'} (PKCS#12 passwords inside)")
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
