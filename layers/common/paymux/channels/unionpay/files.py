"""UnionPay file transfer (txnType 76, fileType 00): the request for a day's reconciliation
file and what its answer means. Pure: the caller (the client) signs the request with
`signing.SigningKey`, posts it to the file transfer URL, verifies the answer's signature and
hands the verified fields to `read_file_answer`.

Answer codes (RESEARCH.md §1.2, §1.3; the official demo `Form_7_2_FileTransfer`):
- `00`: the file; `fileContent` is base64(deflate(zip)), unpacked by `statement.unpack_file_content`.
  An empty `fileContent` ("正常不会出现" per the demo) is read as "no file for that day": None.
- `98`: the file does not exist yet → `StatementNotReady` (ask again later; not an error of the
  day until the retries run out).
- `02`, `03`, `04`, `05`, `06` (closed, timeout, unknown, accepted, busy), or no respCode at
  all → `ChannelUnavailable` (retry later).
- anything else (`10`/`11`/`13` malformed request or signature, `31`/`32` merchant state or
  permission, `99` general error, …) → `ChannelError` with the code: the request was refused,
  asking again unchanged will not help."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from paymux.channels.statement import StatementNotReady
from paymux.channels.unionpay.statement import unpack_file_content
from paymux.clock import CHINA
from paymux.errors import ChannelError, ChannelUnavailable

FILE_TRANSFER_TXN_TYPE = "76"
NOT_READY = "98"
_TRANSIENT = frozenset({"02", "03", "04", "05", "06"})


@dataclass(frozen=True, slots=True)
class Access:
    """How the merchant is reached: its own merId (accessType 0, `Access()`), or as an
    acquirer's sub-merchant (accessType 1, with the acquirer's institution code)."""

    acq_ins_code: str = ""

    @property
    def access_type(self) -> str:
        return "1" if self.acq_ins_code else "0"


DIRECT = Access()


def file_request(mer_id: str, settle_day: date, now: float, access: Access = DIRECT) -> dict[str, str]:
    """The unsigned txnType 76 fields asking for `settle_day`'s file (settleDate MMDD; txnTime
    is `now` as Beijing wall clock, which UnionPay requires to be the current time)."""
    fields = {
        "version": "5.1.0",
        "encoding": "UTF-8",
        "signMethod": "01",
        "txnType": FILE_TRANSFER_TXN_TYPE,
        "txnSubType": "01",
        "bizType": "000000",
        "accessType": access.access_type,
        "channelType": "07",
        "merId": mer_id,
        "settleDate": settle_day.strftime("%m%d"),
        "txnTime": datetime.fromtimestamp(now, CHINA).strftime("%Y%m%d%H%M%S"),
        "fileType": "00",
    }
    if access.acq_ins_code:
        fields["acqInsCode"] = access.acq_ins_code
    return fields


def read_file_answer(fields: Mapping[str, str]) -> bytes | None:
    """The zip of a verified txnType 76 answer held in memory (its signature is checked by the
    caller before this is called), None for a day without a file; raises as the module says.
    The client reads a real answer from disk instead (file_answer), with `check_file_answer`."""
    content = fields.get("fileContent", "")
    if not check_file_answer(fields, has_content=bool(content.strip())):
        return None
    return unpack_file_content(content)


def check_file_answer(fields: Mapping[str, str], *, has_content: bool) -> bool:
    """Whether a verified answer carries the day's file (`has_content`: a non-empty
    fileContent, which the caller reads); raises as the module says."""
    code = fields.get("respCode", "")
    message = fields.get("respMsg", "")
    if fields.get("txnType", FILE_TRANSFER_TXN_TYPE) != FILE_TRANSFER_TXN_TYPE:
        raise ChannelUnavailable(f"not a file transfer answer (txnType {fields.get('txnType')!r})")
    if code == "00":
        return has_content
    if code == NOT_READY:
        raise StatementNotReady(f"UnionPay has no file for that day yet: {message}", channel_code=code)
    if not code or code in _TRANSIENT:
        raise ChannelUnavailable(f"UnionPay file transfer answered {code or 'no respCode'}: {message}")
    raise ChannelError(f"UnionPay refused the file transfer: {code} {message}", channel_code=code)
