"""Writing and reading audit events. Writers only add to the session; the caller's unit of work commits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, bindparam, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from servicecenter.audit.context import current_origin
from servicecenter.audit.models import AuditEvent, Outcome
from servicecenter.auth.models import User
from servicecenter.organisations.models import Organisation


def record_event(
    session: Session,
    *,
    actor: object | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    now: dt.datetime,
    citizen_id: int | None = None,
    purpose: str | None = None,
    outcome: Outcome = Outcome.ALLOWED,
    detail: dict | None = None,
) -> AuditEvent:
    event = AuditEvent(
        at=now,
        **_origin_columns(),
        actor_id=getattr(actor, "id", None),
        actor_role=getattr(getattr(actor, "role", None), "value", None),
        actor_organisation_id=getattr(actor, "organisation_id", None),
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        citizen_id=citizen_id,
        purpose=purpose,
        outcome=outcome,
        detail=detail,
    )
    session.add(event)
    return event


def record_reads(session: Session, citizen_ids: list[int], *, actor: object, action: str, now: dt.datetime,
                 purpose: str | None) -> None:
    """One audit row per citizen (each shown by name in a list). On PostgreSQL one INSERT ... SELECT over the ids
    as an array: a day's plan names some 350 citizens, and an executemany of 350 parameter sets cost the page
    30 ms of Python (issue 17). Elsewhere one executemany of a statement compiled once."""
    ids = list(dict.fromkeys(citizen_ids))
    if not ids:
        return
    base = {"at": now, "actor_id": getattr(actor, "id", None),  # the actor is read once (a proxy for a request)
            "actor_role": getattr(getattr(actor, "role", None), "value", None),
            "actor_organisation_id": getattr(actor, "organisation_id", None), "action": action,
            "entity_type": "citizen", "purpose": purpose, "outcome": Outcome.ALLOWED, "detail": None,
            **_origin_columns()}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_reads_from_array(base, ids))
    else:
        session.execute(insert(AuditEvent), [{**base, "entity_id": cid, "citizen_id": cid} for cid in ids])


def _reads_from_array(base: dict, ids: list[int]):
    columns = AuditEvent.__table__.c
    citizen = func.unnest(bindparam("citizen_ids", ids, type_=ARRAY(Integer))).column_valued("citizen_id")
    values = [literal(value, columns[name].type).label(name) for name, value in base.items()]
    return insert(AuditEvent).from_select([*base, "entity_id", "citizen_id"],
                                          select(*values, citizen.label("entity_id"), citizen.label("citizen_id")))


def _origin_columns() -> dict:
    origin = current_origin()
    return {"address": origin.address if origin else None, "request_id": origin.request_id if origin else None}


def _access_rows():
    return (
        select(AuditEvent, User.full_name, Organisation.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(Organisation, Organisation.id == AuditEvent.actor_organisation_id)
    )


def list_citizen_access(session: Session, citizen_id: int, *, page: int, per_page: int) -> list[tuple]:
    """Events about one citizen with who and from which organisation, newest first: the "who has looked at
    this record" page."""
    stmt = (
        _access_rows()
        .where(AuditEvent.citizen_id == citizen_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(session.execute(stmt))


def recent_citizen_ids(session: Session, actor_id: int, *, since: dt.datetime, limit: int = 15) -> list[int]:
    """The citizens this person opened lately, most recent first (their own trail, from the audit log)."""
    stmt = (
        select(AuditEvent.citizen_id, func.max(AuditEvent.at).label("last"))
        .where(AuditEvent.actor_id == actor_id, AuditEvent.at >= since, AuditEvent.action == "citizen.view",
               AuditEvent.outcome == Outcome.ALLOWED)
        .group_by(AuditEvent.citizen_id).order_by(func.max(AuditEvent.at).desc()).limit(limit)
    )
    return [citizen_id for citizen_id, _last in session.execute(stmt)]


SECURITY_ACTIONS = ("security.forbidden", "security.rate_limited")


def list_security_events(session: Session, *, page: int, per_page: int) -> list[tuple]:
    """Refusals by role or by rate limit, newest first, with who and from where (the coordinators' review)."""
    stmt = (_access_rows().where(AuditEvent.action.in_(SECURITY_ACTIONS))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(per_page + 1).offset((page - 1) * per_page))
    return list(session.execute(stmt))


def count_citizen_access(session: Session, citizen_id: int) -> int:
    return session.scalar(select(func.count()).where(AuditEvent.citizen_id == citizen_id)) or 0


def iter_citizen_access(session: Session, citizen_id: int):
    """All events about one citizen, oldest first, streamed in batches (for the CSV export)."""
    stmt = (
        _access_rows()
        .where(AuditEvent.citizen_id == citizen_id)
        .order_by(AuditEvent.at, AuditEvent.id)
        .execution_options(yield_per=500)
    )
    yield from session.execute(stmt)
