"""``POST /gateway/api/frontTransReq.do``: the B2C gateway (bizType 000201, txnSubType 01),
channelType 07 (PC) or 08 (WAP), and the B2B one (企业网银, bizType 000202, channelType 07 only,
with ``bizScene``), reached by the merchant page's auto-POST form.

A good request answers the UnionPay cashier page (HTML); a refused one an HTML page with the
respCode, as the browser would see it. Paying on the cashier sends the back notify and takes
the browser to ``frontUrl`` with an auto-POST form carrying the signed front notify (which
is no proof of payment; the back notify or a query is).

The form is posted when the payer's browser gets there, not when the merchant signed it, so
its ``txnTime`` may be old: what bounds it is the order's ``payTimeout`` (and ``orderTimeout``
when sent), as UnionPay's gateway spec says (``validation.check_front_window``), not the back
transactions' window around the current time.
"""

from __future__ import annotations

from sandbox.unionpay import validation as check
from sandbox.unionpay.errors import AcpError
from sandbox.unionpay.messages import MessageSigner, notify_fields
from sandbox.unionpay.request import Request, new_transaction
from sandbox.unionpay.store import Transaction, TransactionStore

FRONT_NOTIFY_MSG = "success"  # what a real front notify's respMsg reads (samples/unionpay)


class FrontApi:
    def __init__(self, store: TransactionStore, signer: MessageSigner, tolerance: float) -> None:
        self._store = store
        self._signer = signer
        self._tolerance = tolerance

    def accept(self, request: Request) -> Transaction:
        """Check and store a gateway consume (it awaits the payer on the cashier page)."""
        fields = request.fields
        if (fields["txnType"], fields.get("txnSubType")) != ("01", "01"):
            raise AcpError("32", "无此交易权限[txnType]")
        txn_moment = check.check_front_txn_time(fields, request.now, self._tolerance)
        check.check_kind(fields, ("000201", "000202"), ("07", "08"))
        if fields["bizType"] == "000202":  # 企业网银: PC only, with its business scene
            if fields["channelType"] != "07":
                raise check.format_error("channelType", "无效")
            check.require(fields, "bizScene")
        check.check_order_id(fields)
        amount = check.check_amount(fields)
        front_url = check.check_url(fields, "frontUrl")
        check.check_url(fields, "backUrl")
        pay_timeout = check.check_pay_timeout(fields, txn_moment)
        check.check_front_window(fields, txn_moment, pay_timeout, request.now, self._tolerance)
        txn = new_transaction(request, amount, front_url=front_url, pay_timeout=pay_timeout)
        return self._store.add(txn)

    def front_notify(self, txn: Transaction) -> dict[str, str]:
        return self._signer.sign(notify_fields(txn, FRONT_NOTIFY_MSG))
