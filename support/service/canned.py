"""Canned responses with variables: {citizen_name}, {device}, {visit_time}. Only those are replaced; any other
brace is left as written, so a response can never reach into other data."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicecenter.audit.service import record_event
from servicecenter.db import get_or_raise
from servicecenter.errors import N_, Conflict, DomainError
from support.models import CannedResponse

VARIABLES = ("citizen_name", "device", "visit_time")
_VARIABLE = re.compile(r"\{(" + "|".join(VARIABLES) + r")\}")


def list_canned(session: Session) -> list[CannedResponse]:
    return list(session.scalars(select(CannedResponse).order_by(CannedResponse.title)))


def get_canned(session: Session, canned_id: int) -> CannedResponse:
    return get_or_raise(session, CannedResponse, canned_id, N_("No such canned response."))


def save_canned(session: Session, canned: CannedResponse | None, *, title: str, body: str, actor,
                now: dt.datetime) -> CannedResponse:
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise DomainError(N_("A canned response needs a title and a text."), field="title" if not title else "body")
    clash = session.scalar(select(CannedResponse.id).where(CannedResponse.title == title))
    if clash is not None and (canned is None or clash != canned.id):
        raise Conflict(N_("Another canned response is called %(title)s."), field="title", title=title)
    canned = canned or CannedResponse()
    canned.title, canned.body, canned.updated_at = title[:120], body[:5000], now
    session.add(canned)
    session.flush()
    record_event(session, actor=actor, action="support.canned_save", entity_type="canned_response",
                 entity_id=canned.id, now=now)
    return canned


def render(body: str, values: dict[str, str]) -> str:
    """The text with its variables filled in ("—" where the ticket has no such thing)."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1)) or "—", body)
