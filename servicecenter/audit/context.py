"""Where an audit row's request came from: the client's address and the request id, set once per request by the
web layer and read by `record_event`, so every row written during a request carries them (a job's rows carry
none). A context variable keeps the services free of Flask."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    address: str | None
    request_id: str | None


_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


def set_origin(address: str | None, request_id: str | None) -> None:
    _origin.set(Origin((address or "")[:45] or None, (request_id or "")[:32] or None))


def clear_origin() -> None:
    _origin.set(None)


def current_origin() -> Origin | None:
    return _origin.get()
