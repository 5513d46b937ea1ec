"""Demo data for the portal: the first demo citizen's son has access to her visits and devices, so a new user can
try both sides (the codes are written to instance/outbox/ by the development sender)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import GrantScope, ProxyGrant
from portal.service import grants
from servicecenter.citizens.models import Citizen, ContactKind
from servicecenter.db import local_date

SON_CPR = "1208751237"  # a demo number only


def load_portal_demo(session: Session, *, now: dt.datetime) -> dict[str, int]:
    first = session.scalar(select(Citizen).order_by(Citizen.id).limit(1))
    if first is None or session.scalar(select(ProxyGrant.id).limit(1)) is not None:
        return {"relatives with access": 0}
    son = next((c for c in first.contacts if c.kind == ContactKind.RELATIVE and c.phone_key), None)
    if son is None:
        return {"relatives with access": 0}
    grants.grant_access(session, first, contact_id=son.id, relative_cpr=SON_CPR, scope=GrantScope.DEVICES,
                        until=local_date(now) + dt.timedelta(days=180), actor=None, now=now)
    return {"relatives with access": 1}


def portal_demo_note(session: Session) -> str:
    first = session.scalar(select(Citizen).order_by(Citizen.id).limit(1))
    grant = session.scalar(select(ProxyGrant).order_by(ProxyGrant.id).limit(1))
    if first is None:
        return ""
    number = first.mobile or first.phone
    relative = (f", or the relative {grant.relative_name}'s {grant.contact.phone}"
                if grant is not None and grant.contact else "")
    return (f"Citizens' portal: /portal/ - sign in with {first.full_name}'s number {number}{relative}; "
            "the code is written to instance/outbox/ (the development sender).")
