"""The sweep queue: one message per due item a worker should check, sent in batches."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from paymux.errors import ConfigurationError
from paymux.store.due import DueKey, Kind

SEND_BATCH_MAX = 10  # SQS's limit of entries per SendMessageBatch
SQS_MAX_DELAY = 900


@dataclass(frozen=True, slots=True)
class SweepMessage:
    """Check the item (pk, sk) of `kind` if its due-index entry still reads `claim`, and only
    while `until` (epoch seconds) leaves a whole check's time. `step`: the ladder step this
    message fires (payments of a channel with a query ladder), else None. `not_before`: the
    step's time; SQS delays a message at most 900 s, so one that arrives earlier is queued
    again for the time left instead of being checked (services/sweep_worker)."""

    kind: Kind
    pk: str
    sk: str
    claim: str
    until: float
    step: int | None = None
    not_before: float = 0.0

    def body(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def parse(cls, body: str) -> SweepMessage:
        data = json.loads(body)
        step = data.get("step")
        return cls(
            kind=data["kind"],
            pk=str(data["pk"]),
            sk=str(data["sk"]),
            claim=str(data["claim"]),
            until=float(data["until"]),
            step=None if step is None else int(step),
            not_before=float(data.get("not_before", 0.0)),
        )

    @property
    def key(self) -> DueKey:
        return DueKey(self.kind, self.pk, self.sk, "", self.claim)


class SweepQueue:
    def __init__(self, client: Any, url: str) -> None:
        self._sqs = client
        self._url = url

    def _queue_url(self) -> str:
        if not self._url:
            raise ConfigurationError("environment variable PAYMUX_SWEEP_QUEUE_URL is required")
        return self._url

    def send_batch(self, messages: Sequence[SweepMessage]) -> list[SweepMessage]:
        """Sends `messages` ten per call; returns the ones SQS did not take."""
        failed: list[SweepMessage] = []
        for start in range(0, len(messages), SEND_BATCH_MAX):
            chunk = messages[start : start + SEND_BATCH_MAX]
            answer = self._sqs.send_message_batch(
                QueueUrl=self._queue_url(),
                Entries=[{"Id": str(i), "MessageBody": m.body()} for i, m in enumerate(chunk)],
            )
            failed += [chunk[int(f["Id"])] for f in answer.get("Failed", [])]
        return failed

    def send_later(self, message: SweepMessage, delay: float) -> None:
        """One message, visible after `delay` seconds (rounded up, at most SQS's 900)."""
        self._sqs.send_message(
            QueueUrl=self._queue_url(),
            MessageBody=message.body(),
            DelaySeconds=max(0, min(SQS_MAX_DELAY, math.ceil(delay))),
        )
