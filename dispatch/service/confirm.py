"""The citizen's confirmation link: signed, expiring at the end of the visit day, no login. The citizen confirms
the visit, moves it to one of the offered times that has room (it is booked there, and the helpdesk sees the citizen
did it), or says none suits (the visit goes back to the helpdesk's queue, flagged). Rate limited per address; an
expired, replaced or forged link changes nothing."""

from __future__ import annotations

import datetime as dt

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.models import LinkUse, Visit, VisitStatus
from dispatch.service.planning import citizen_cannot, citizen_moved
from dispatch.service.visits import log
from servicecenter.db import LOCAL_ZONE
from servicecenter.errors import N_, Conflict, DomainError

SALT = "visit-confirmation"
LIMIT, PER = 20, dt.timedelta(minutes=10)


class LinkRefused(DomainError):
    status_code = 400


class SlotTaken(LinkRefused):
    """The chosen time has no room any more: the citizen chooses again (the link still holds)."""

    status_code = 409


class LinkGone(LinkRefused):
    """A real link that no longer applies (replaced by a newer one, or past its day)."""

    status_code = 410


def make_token(secret: str, visit: Visit) -> str:
    """Bound to the visit and to this publication: republishing makes older links invalid."""
    stamp = visit.published_at.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S%f")
    return URLSafeSerializer(secret, salt=SALT).dumps([visit.id, stamp, visit.scheduled_on.isoformat()])


def note_use(session: Session, address: str, *, now: dt.datetime) -> None:
    """Count this use; refuse beyond LIMIT uses per PER from one address (guessing links is pointless anyway)."""
    recent = session.scalar(select(func.count()).select_from(LinkUse).where(LinkUse.address == address,
                                                                           LinkUse.at > now - PER))
    if recent >= LIMIT:
        raise LinkRefused(N_("Too many attempts. Try again in a few minutes."))
    session.add(LinkUse(address=address[:64], at=now))


def open_link(session: Session, secret: str, token: str, *, now: dt.datetime) -> Visit:
    """The visit the link is for, or LinkRefused with a message the citizen understands."""
    try:
        visit_id, stamp, day = URLSafeSerializer(secret, salt=SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise LinkRefused(N_("This link is not valid. Call the service center if you need to change the visit."
                             )) from None
    visit = session.get(Visit, visit_id) if isinstance(visit_id, int) else None
    if visit is None or visit.published_at is None or \
            visit.published_at.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S%f") != stamp:
        raise LinkGone(N_("This link has been replaced by a newer message about your visit."))
    if visit.status != VisitStatus.SCHEDULED or now.astimezone(LOCAL_ZONE).date() > dt.date.fromisoformat(day):
        raise LinkGone(N_("This link has expired. Call the service center if you need to change the visit."))
    return visit


def confirm(session: Session, visit: Visit, *, now: dt.datetime) -> None:
    if visit.confirmed_at is None:
        visit.confirmed_at = now
        log(session, visit, actor=None, now=now, from_status=visit.status, note=N_("confirmed by the citizen"))


def choose_slot(session: Session, visit: Visit, slot: int, *, now: dt.datetime) -> None:
    """Another offered time: booked on it when it still has room; otherwise refused with a message the citizen
    understands (they can choose again, or say none suits)."""
    slots = visit.offered_slots or []
    if not 0 < slot < len(slots):  # slot 0 is the planned one: that is confirming
        raise LinkRefused(N_("Choose one of the offered times."))
    try:
        citizen_moved(session, visit, slots[slot], now=now, today=now.astimezone(LOCAL_ZONE).date())
    except Conflict as error:
        raise SlotTaken(error.message) from None


def none_suits(session: Session, visit: Visit, *, now: dt.datetime) -> None:
    citizen_cannot(session, visit, now=now)
