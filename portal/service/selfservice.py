"""What the citizen (or her relative) does and sees in the portal: her coming visits, confirmed, moved to a time
with real room or cancelled under the booking rules of the visit's kind (rules that bind the citizen, not the
staff); her devices and what each is for; her trainings; her contact persons; a problem reported as a ticket; and
who looked at her record. Reads and changes go through the other features' services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dispatch import service as dispatch
from dispatch.models import Visit, VisitKind, VisitStatus
from inventory import service as inventory
from inventory.models import DeviceCategory
from portal.models import PortalSession
from portal.service.signin import portal_event
from servicecenter.audit.models import AuditEvent
from servicecenter.db import LOCAL_ZONE, local_date, lock_row
from servicecenter.errors import N_, DomainError, NotFound
from servicecenter.organisations.models import Organisation
from servicecenter.training.models import TrainingRecord
from support.models import Category, Channel, RequesterKind
from support.service.tickets import TicketData, create_ticket


@dataclass(frozen=True)
class BookingRule:
    """What the citizen may do with a visit of a kind: move it to a time at least `lead_hours` ahead and at most
    `horizon_days` ahead; move or cancel it only until `cutoff_hours` before it starts; cancel it at all or not."""

    lead_hours: int
    horizon_days: int
    cutoff_hours: int
    may_cancel: bool


# Setups, pickups and swaps carry reserved equipment and end or start a course: the citizen moves them, but cancels
# them by talking to us. The rest she may cancel herself.
DEFAULT_RULES = {
    VisitKind.SETUP: BookingRule(lead_hours=48, horizon_days=21, cutoff_hours=24, may_cancel=False),
    VisitKind.PICKUP: BookingRule(lead_hours=24, horizon_days=21, cutoff_hours=24, may_cancel=False),
    VisitKind.SWAP: BookingRule(lead_hours=24, horizon_days=14, cutoff_hours=12, may_cancel=False),
    VisitKind.SERVICE: BookingRule(lead_hours=24, horizon_days=28, cutoff_hours=24, may_cancel=True),
    VisitKind.TRAINING: BookingRule(lead_hours=24, horizon_days=28, cutoff_hours=24, may_cancel=True),
    VisitKind.FOLLOW_UP: BookingRule(lead_hours=24, horizon_days=28, cutoff_hours=24, may_cancel=True),
}
SLOTS_OFFERED = 6
COMING = (VisitStatus.REQUESTED, VisitStatus.REQUEUED, VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)

WHAT_HAPPENS = {
    VisitKind.SETUP: N_("We bring your equipment, set it up in your home and show you how to use it."),
    VisitKind.PICKUP: N_("We collect the equipment. Please have all of it ready, with chargers and cables."),
    VisitKind.SWAP: N_("We replace a device that does not work."),
    VisitKind.SERVICE: N_("We check your equipment and fix what does not work."),
    VisitKind.TRAINING: N_("We show you (again) how to use your equipment."),
    VisitKind.FOLLOW_UP: N_("We follow up: how is it going with the equipment?"),
}
PURPOSES = {
    DeviceCategory.TABLET: N_("Sends your measurements to your nurse, and asks you how you feel."),
    DeviceCategory.PULSE_OXIMETER: N_("Measures the oxygen in your blood and your pulse, on a finger."),
    DeviceCategory.BLOOD_PRESSURE: N_("Measures your blood pressure and pulse."),
    DeviceCategory.SCALE: N_("Weighs you: a sudden gain can mean fluid in the body."),
    DeviceCategory.SPIROMETER: N_("Measures how much and how fast you can breathe out."),
    DeviceCategory.THERMOMETER: N_("Measures your temperature."),
    DeviceCategory.OTHER: N_("Part of your equipment; ask us if you are unsure what it does."),
}
PROBLEMS = {
    "device": (Category.DEVICE_FAULT, N_("A device does not work")),
    "connection": (Category.CONNECTIVITY, N_("The measurements are not sent (no connection)")),
    "how_to": (Category.HOW_TO, N_("I am not sure how to use it")),
    "other": (Category.LOGISTICS, N_("Something else")),
}


def rules_from(config: dict | None) -> dict[VisitKind, BookingRule]:
    """The default rules, with any kind overridden by the configuration's PORTAL_BOOKING_RULES."""
    rules = dict(DEFAULT_RULES)
    for kind, values in (config or {}).items():
        rules[VisitKind(kind)] = BookingRule(**{**DEFAULT_RULES[VisitKind(kind)].__dict__, **values})
    return rules


# --- visits -----------------------------------------------------------------------------------------------------


def coming_visits(session: Session, citizen_id: int, *, limit: int = 20) -> list[Visit]:
    return list(session.scalars(select(Visit).where(Visit.citizen_id == citizen_id, Visit.status.in_(COMING))
                                .order_by(Visit.scheduled_on.is_(None), Visit.scheduled_on, Visit.window_start,
                                          Visit.id).limit(limit)))


def visit_of(session: Session, citizen_id: int, visit_id: int) -> Visit:
    """One of her coming visits; another citizen's visit, or one that is over, is not found."""
    visit = session.get(Visit, visit_id)
    if visit is None or visit.citizen_id != citizen_id or visit.status not in COMING:
        raise NotFound(N_("No such visit."))
    return visit


def starts_at(visit: Visit) -> dt.datetime | None:
    if visit.scheduled_on is None or visit.window_start is None:
        return None
    local = dt.datetime.combine(visit.scheduled_on, dt.time(visit.window_start // 60, visit.window_start % 60),
                                tzinfo=LOCAL_ZONE)
    return local.astimezone(dt.UTC)


@dataclass(frozen=True)
class Choices:
    confirm: bool
    move: bool
    cancel: bool
    too_late: bool  # moving or cancelling has passed its cut-off: call us


def choices(visit: Visit, rule: BookingRule, *, now: dt.datetime) -> Choices:
    start = starts_at(visit)
    booked = visit.status == VisitStatus.SCHEDULED and start is not None
    in_time = booked and start - dt.timedelta(hours=rule.cutoff_hours) > now
    return Choices(confirm=booked and visit.published_at is not None and visit.confirmed_at is None and start > now,
                   move=in_time, cancel=in_time and rule.may_cancel, too_late=booked and not in_time)


def slots_for(session: Session, visit: Visit, rule: BookingRule, *, now: dt.datetime) -> list[list]:
    """The times she may move to: working-day halves with room for the visit (issue 7's capacity), from the lead
    time to the horizon, not the one it has now."""
    earliest = now + dt.timedelta(hours=rule.lead_hours)
    slots = dispatch.open_slots(session, visit, after=local_date(now), count=SLOTS_OFFERED + 1,
                                horizon=rule.horizon_days)
    current = [visit.scheduled_on.isoformat() if visit.scheduled_on else None, visit.window_start, visit.window_end]
    return [s for s in slots if s != current and _slot_start(s) >= earliest][:SLOTS_OFFERED]


def _slot_start(slot: list) -> dt.datetime:
    day = dt.date.fromisoformat(slot[0])
    return dt.datetime.combine(day, dt.time(slot[1] // 60, slot[1] % 60), tzinfo=LOCAL_ZONE).astimezone(dt.UTC)


def slot_value(slot: list) -> str:
    return f"{slot[0]}|{slot[1]}|{slot[2]}"


def confirm(session: Session, row: PortalSession, visit: Visit, rule: BookingRule, *, now: dt.datetime) -> None:
    lock_row(session, visit)
    if not choices(visit, rule, now=now).confirm:
        raise DomainError(N_("This visit cannot be confirmed now."))
    dispatch.citizen_confirms(session, visit, now=now)
    portal_event(session, row, "portal.visit_confirm", now=now, detail={"visit": visit.id})


def move(session: Session, row: PortalSession, visit: Visit, rule: BookingRule, choice: str, *,
         now: dt.datetime) -> list:
    """Move the visit to one of the times offered now; refused past the cut-off or when the time is gone."""
    lock_row(session, visit)
    if not choices(visit, rule, now=now).move:
        raise DomainError(N_("It is too late to move this visit here. Call the service center."))
    slot = next((s for s in slots_for(session, visit, rule, now=now) if slot_value(s) == choice), None)
    if slot is None:
        raise DomainError(N_("That time is no longer free. Choose another."), field="slot")
    dispatch.citizen_moved(session, visit, slot, now=now, today=local_date(now))
    portal_event(session, row, "portal.visit_move", now=now, detail={"visit": visit.id, "to": slot_value(slot)})
    return slot


def cancel(session: Session, row: PortalSession, visit: Visit, rule: BookingRule, reason: str, *,
           now: dt.datetime) -> None:
    lock_row(session, visit)
    if not choices(visit, rule, now=now).cancel:
        raise DomainError(N_("This visit cannot be cancelled here. Call the service center."))
    reason = reason.strip()
    if len(reason) < 3:
        raise DomainError(N_("Tell us briefly why, so we can help."), field="reason")
    if len(reason) > 300:
        raise DomainError(N_("At most %(max)s characters."), field="reason", max=300)
    who = N_("cancelled by the relative") if row.grant is not None else N_("cancelled by the citizen")
    dispatch.cancel_visit(session, visit, actor=None, now=now, note=f"{who}: {reason}")
    portal_event(session, row, "portal.visit_cancel", now=now, detail={"visit": visit.id})


# --- devices, trainings, contacts -------------------------------------------------------------------------------


def devices(session: Session, citizen_id: int) -> list[inventory.HomeDevice]:
    return inventory.devices_in_home(session, citizen_id=citizen_id)


def trainings(session: Session, citizen_id: int, *, limit: int = 20) -> list[TrainingRecord]:
    return list(session.scalars(select(TrainingRecord).where(TrainingRecord.citizen_id == citizen_id)
                                .order_by(TrainingRecord.held_at.desc()).limit(limit)))


def organisations_of(session: Session, row: PortalSession) -> list[Organisation]:
    """Her municipality and the organisation that leads her course (a GP clinic, a hospital), each once."""
    citizen = row.citizen
    found = [citizen.responsible_organisation, citizen.municipality]
    return [o for n, o in enumerate(found) if o is not None and o not in found[:n]]


# --- a problem reported -----------------------------------------------------------------------------------------


def report_problem(session: Session, row: PortalSession, *, kind: str, text: str, device_id: int | None,
                   may_pick_device: bool, now: dt.datetime):
    """A ticket in the helpdesk's queue, channel "portal", linked to the citizen and to the device she picked from
    her own list (any other device is refused)."""
    if kind not in PROBLEMS:
        raise DomainError(N_("Choose what the problem is."), field="kind")
    text = text.strip()
    if len(text) < 3:
        raise DomainError(N_("Describe the problem in a few words."), field="text")
    if len(text) > 2000:
        raise DomainError(N_("At most %(max)s characters."), field="text", max=2000)
    if device_id is not None and (not may_pick_device or device_id not in {d.id for d in devices(
            session, row.citizen_id)}):
        raise DomainError(N_("Choose one of your own devices."), field="device_id")
    category, _label = PROBLEMS[kind]
    relative = row.grant.relative_name if row.grant is not None else None
    ticket = create_ticket(session, TicketData(
        subject=text.splitlines()[0][:120], category=category, channel=Channel.PORTAL, body=text,
        requester_kind=RequesterKind.RELATIVE if relative else RequesterKind.CITIZEN,
        requester_name=relative or row.citizen.full_name, citizen_id=row.citizen_id, device_id=device_id),
        actor=None, now=now)
    portal_event(session, row, "portal.problem", now=now, detail={"ticket": ticket.id})
    return ticket


# --- who looked -------------------------------------------------------------------------------------------------


def who_looked(session: Session, citizen_id: int, *, page: int, per_page: int) -> list[tuple]:
    """Every event about her record by staff (a read, a list she was shown in, a change) and every read by a
    relative, newest first: (event, organisation name). Her own actions are not listed."""
    stmt = (select(AuditEvent, Organisation.name)
            .outerjoin(Organisation, Organisation.id == AuditEvent.actor_organisation_id)
            .where(AuditEvent.citizen_id == citizen_id,
                   or_(AuditEvent.actor_id.is_not(None), AuditEvent.actor_role == "relative"))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(per_page + 1)
            .offset((page - 1) * per_page))
    return list(session.execute(stmt))
