"""Relatives' access (proxy access, "fuldmagt"): the citizen, or the helpdesk on her behalf, gives one of her
contact persons access to what she chooses, until a date at most a year ahead; renewing ends the old grant and
starts a new one (the history stays); withdrawing ends it at once, and the relative's open sessions with it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.models import GrantScope, PortalSession, ProxyGrant
from servicecenter.audit.service import record_event
from servicecenter.citizens.cpr import normalise_cpr
from servicecenter.citizens.models import Citizen, ContactKind, ContactPerson
from servicecenter.db import local_date
from servicecenter.errors import N_, DomainError, NotFound

MAX_DAYS = 365
SCOPE_LABELS = {GrantScope.VISITS: N_("visits only"), GrantScope.DEVICES: N_("visits and devices"),
                GrantScope.EVERYTHING: N_("everything")}
# FHIR: the relationship code of a power of attorney, as the national eHealth infrastructure uses it.
POWATT = {"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "POWATT",
          "display": "power of attorney"}
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"


def grants_of(session: Session, citizen_id: int) -> list[ProxyGrant]:
    """Every grant of the citizen, the live ones first, newest first: what she gave and what she took back."""
    return list(session.scalars(select(ProxyGrant).where(ProxyGrant.citizen_id == citizen_id)
                                .order_by(ProxyGrant.withdrawn_at.is_not(None), ProxyGrant.granted_at.desc(),
                                          ProxyGrant.id.desc())))


def get_grant(session: Session, citizen_id: int, grant_id: int) -> ProxyGrant:
    """One of this citizen's grants; another citizen's is not found."""
    grant = session.get(ProxyGrant, grant_id)
    if grant is None or grant.citizen_id != citizen_id:
        raise NotFound(N_("No such access."))
    return grant


def relatives_of(citizen: Citizen) -> list[ContactPerson]:
    """The contact persons who may be given access: relatives with a phone number (their code goes there)."""
    return [c for c in citizen.contacts if c.kind == ContactKind.RELATIVE and c.phone_key]


def grant_access(session: Session, citizen: Citizen, *, contact_id: int, relative_cpr: str, scope: GrantScope,
                 until: dt.date, actor, now: dt.datetime) -> ProxyGrant:
    """Give (or renew) a relative's access. `actor` is the helpdesk user acting on the citizen's behalf, or None when
    the citizen does it herself (the caller writes her audit event)."""
    today = local_date(now)
    contact = next((c for c in relatives_of(citizen) if c.id == contact_id), None)
    if contact is None:
        raise DomainError(N_("Choose one of the citizen's relatives with a phone number."), field="contact_id")
    cpr = normalise_cpr(relative_cpr)
    if cpr == citizen.cpr:
        raise DomainError(N_("That is the citizen's own CPR number; enter the relative's."), field="cpr")
    if not today <= until <= today + dt.timedelta(days=MAX_DAYS):
        raise DomainError(N_("Access can be given until a date within the coming year."), field="until")
    for old in session.scalars(select(ProxyGrant).where(ProxyGrant.citizen_id == citizen.id,
                                                        ProxyGrant.contact_id == contact.id,
                                                        ProxyGrant.withdrawn_at.is_(None))):
        _end(session, old, actor=actor, now=now, reason="renewed")
    grant = ProxyGrant(citizen_id=citizen.id, contact_id=contact.id, relative_name=contact.name, relative_cpr=cpr,
                       scope=scope, valid_from=today, valid_until=until, granted_at=now,
                       granted_by_id=getattr(actor, "id", None))
    session.add(grant)
    session.flush()
    if actor is not None:
        record_event(session, actor=actor, action="citizen.grant_access", entity_type="proxy_grant",
                     entity_id=grant.id, citizen_id=citizen.id, now=now,
                     detail={"relative": contact.name, "scope": scope.value, "until": until.isoformat()})
    return grant


def withdraw(session: Session, grant: ProxyGrant, *, actor, now: dt.datetime, reason: str = "withdrawn") -> None:
    if grant.withdrawn_at is not None:
        raise DomainError(N_("This access was already withdrawn."))
    _end(session, grant, actor=actor, now=now, reason=reason)
    if actor is not None:
        record_event(session, actor=actor, action="citizen.withdraw_access", entity_type="proxy_grant",
                     entity_id=grant.id, citizen_id=grant.citizen_id, now=now,
                     detail={"relative": grant.relative_name})


def _end(session: Session, grant: ProxyGrant, *, actor, now: dt.datetime, reason: str) -> None:
    grant.withdrawn_at, grant.withdrawn_by_id, grant.withdrawn_reason = now, getattr(actor, "id", None), reason
    session.execute(update(PortalSession).where(PortalSession.grant_id == grant.id,
                                                PortalSession.ended_at.is_(None)).values(ended_at=now))


def as_related_person(grant: ProxyGrant, *, today: dt.date) -> dict:
    """The grant as a FHIR R4 RelatedPerson: the relative (by CPR) with power of attorney for the patient (by
    CPR), active while the grant holds, its period the grant's."""
    end = grant.withdrawn_at.date().isoformat() if grant.withdrawn_at else grant.valid_until.isoformat()
    return {
        "resourceType": "RelatedPerson",
        "id": f"proxy-grant-{grant.id}",
        "active": grant.holds_on(today),
        "identifier": [{"system": CPR_SYSTEM, "value": grant.relative_cpr}],
        "patient": {"identifier": {"system": CPR_SYSTEM, "value": grant.citizen.cpr}},
        "relationship": [{"coding": [POWATT]}],
        "name": [{"text": grant.relative_name}],
        "period": {"start": grant.valid_from.isoformat(), "end": end},
    }
