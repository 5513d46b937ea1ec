"""Outbox test helpers: messages enqueued as a cause would, a clock the test moves, senders that fail as told."""

from __future__ import annotations

import datetime as dt

from servicecenter.db import unit_of_work, utcnow
from servicecenter.outbox.models import MessageChannel
from servicecenter.outbox.senders import FileSender, TransientError
from servicecenter.outbox.service import Outgoing, Policy, enqueue

POLICY = Policy(max_attempts=5, retry_base=dt.timedelta(seconds=30), retry_max=dt.timedelta(minutes=10), batch=10,
                lease=dt.timedelta(minutes=5), per_run=1000)


class Crash(BaseException):
    """The worker process dying: not an error a sender reports, so no outcome is recorded."""


class Clock:
    def __init__(self, at: dt.datetime | None = None) -> None:
        self.at = at or utcnow()

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += dt.timedelta(**delta)


class Flaky:
    """A sender in front of the file sender: `mode` says what the next calls do ("ok", "fail": a passing error,
    "crash before": the process dies before sending, "crash after": it dies after the file sender sent)."""

    def __init__(self, inner: FileSender) -> None:
        self.inner = inner
        self.mode = "ok"
        self.crash_on_call: int | None = None  # with a crash mode: the n-th call from now crashes, the others pass
        self.calls: list[int] = []

    def send(self, message: Outgoing) -> str | None:
        self.calls.append(message.id)
        crashing = self.crash_on_call is not None and self.crash_on_call == len(self.calls)
        if self.mode == "fail":
            raise TransientError("HTTP 503")
        if self.mode == "crash before" and crashing:
            raise Crash()
        reference = self.inner.send(message)
        if self.mode == "crash after" and crashing:
            raise Crash()
        return reference


def enqueue_many(session, count: int, *, now: dt.datetime, prefix: str = "test") -> list[int]:
    with unit_of_work(session):
        return [enqueue(session, key=f"{prefix}:{i}", purpose="test", channel=MessageChannel.SMS,
                        recipient=f"2{i:07d}", body=f"Besked {i}", now=now).id for i in range(count)]
