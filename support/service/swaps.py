"""Escalating a ticket to a visit: a swap (faulty device out, replacement in; the faulty device goes on to repair)
or a service visit (a technician fixes it in the home). The ticket waits on the field service with its SLA paused,
and resolves with a note when the visit is done; a cancelled visit reopens it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dispatch import service as dispatch
from dispatch.models import Urgency, Visit, VisitKind, VisitStatus
from inventory import service as inventory
from inventory.models import Device, DeviceStatus
from servicecenter.courses import service as courses
from servicecenter.errors import N_, Conflict, DomainError
from servicecenter.workdays import danish_days_off
from support.models import EventKind, Priority, Ticket, TicketStatus
from support.service.tickets import _log, _writable, change_status, tickets_waiting_for

SWAP_WORKING_DAYS = {Priority.P1: 1, Priority.P2: 2, Priority.P3: 5, Priority.P4: 10}


def _working_days_after(day: dt.date, count: int) -> dt.date:
    off = danish_days_off(day.year, day.year + 1)
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            count -= 1
    return day


def escalate_to_swap(session: Session, ticket: Ticket, *, note: str = "", actor, now: dt.datetime,
                     today: dt.date) -> Visit:
    """A swap visit for the ticket's device in the citizen's home, within working days set by the priority; a ready
    device of its model is reserved as the replacement at the nearest depot that has one."""
    _writable(ticket)
    if ticket.visit_id is not None:
        existing = dispatch.get_visit(session, ticket.visit_id)
        if existing.status in dispatch.OPEN:
            raise Conflict(N_("A swap visit is already on its way for this ticket."))
    if ticket.device_id is None:
        raise DomainError(N_("Choose the faulty device on the ticket first."), field="device_id")
    home = inventory.home_of_device(session, ticket.device_id)
    if home is not None and ticket.citizen_id is not None and home.citizen_id != ticket.citizen_id:
        raise Conflict(N_("%(tag)s is at another citizen's home than this ticket's."),
                       tag=inventory.get_device_by_id(session, ticket.device_id).tag)
    visit = dispatch.request_swap(session, device_id=ticket.device_id, request=_request(ticket, note, today),
                                  actor=actor, now=now, today=today, nearest_spare=True)
    ticket.visit_id = visit.id
    if ticket.citizen_id is None:
        ticket.citizen_id = visit.citizen_id
    _log(session, ticket, EventKind.SWAP_REQUESTED, actor=actor, now=now, body=note.strip() or None,
         data={"visit": visit.id, "device": inventory.get_device_by_id(session, ticket.device_id).tag})
    change_status(session, ticket, TicketStatus.WAITING_THIRD_PARTY, actor=actor, now=now)
    return visit


def request_service_visit(session: Session, ticket: Ticket, *, note: str = "", actor, now: dt.datetime,
                          today: dt.date) -> Visit:
    """A service visit to the ticket's citizen (her running course), within working days set by the priority."""
    _writable(ticket)
    if ticket.visit_id is not None and dispatch.get_visit(session, ticket.visit_id).status in dispatch.OPEN:
        raise Conflict(N_("A visit is already on its way for this ticket."))
    if ticket.citizen_id is None:
        raise DomainError(N_("The ticket has no citizen: choose the caller first."))
    course = next((c for c in courses.list_citizen_courses(session, ticket.citizen_id) if c.end_reason is None), None)
    if course is None:
        raise DomainError(N_("The citizen has no running course the visit could belong to."))
    visit = dispatch.create_visit(session, course, VisitKind.SERVICE, _request(ticket, note, today), actor=actor,
                                  now=now, today=today)
    ticket.visit_id = visit.id
    _log(session, ticket, EventKind.VISIT_REQUESTED, actor=actor, now=now, body=note.strip() or None,
         data={"visit": visit.id, "kind": VisitKind.SERVICE.value})
    change_status(session, ticket, TicketStatus.WAITING_THIRD_PARTY, actor=actor, now=now)
    return visit


def _request(ticket: Ticket, note: str, today: dt.date):
    return dispatch.VisitRequest(
        earliest_on=today, latest_on=_working_days_after(today, SWAP_WORKING_DAYS[ticket.priority]),
        urgency=Urgency.URGENT if ticket.priority in (Priority.P1, Priority.P2) else Urgency.NORMAL,
        notes=" — ".join(part for part in (f"#{ticket.id}: {ticket.subject}", note.strip()) if part)[:2000])


def follow_visit(session: Session, visit: Visit, from_status, *, actor, now: dt.datetime) -> None:
    """Listener on every visit status change: a done swap sends the collected device to repair and mends its kit
    (whatever became of the tickets), then resolves its tickets, as a done service visit does; a cancelled one
    reopens them; a failed one is noted on them."""
    if visit.kind not in (VisitKind.SWAP, VisitKind.SERVICE):
        return
    done = None
    if visit.status == VisitStatus.DONE:
        done = _swap_devices(session, visit, actor=actor, now=now) if visit.kind == VisitKind.SWAP else {
            "visit": visit.id}
    for ticket in tickets_waiting_for(session, visit.id):
        if ticket.merged_into_id is not None:
            continue
        if done is not None:
            kind = EventKind.SWAP_DONE if visit.kind == VisitKind.SWAP else EventKind.VISIT_DONE
            _log(session, ticket, kind, actor=actor, now=now, data=done)
            if ticket.is_active:
                change_status(session, ticket, TicketStatus.RESOLVED, actor=actor, now=now)
        elif visit.status == VisitStatus.CANCELLED and ticket.is_active:
            _log(session, ticket, EventKind.NOTE, actor=actor, now=now, data={"visit": visit.id, "cancelled": True})
            change_status(session, ticket, TicketStatus.OPEN, actor=actor, now=now)
        elif visit.status == VisitStatus.FAILED:
            _log(session, ticket, EventKind.NOTE, actor=actor, now=now,
                 data={"visit": visit.id, "failed": str(visit.failure_reason or "")})


def _swap_devices(session: Session, visit: Visit, *, actor, now: dt.datetime) -> dict:
    """The faulty device, collected, is reported faulty (the warehouse sends it to repair); the replacement
    delivered takes its place in its kit. Returns what happened, for the tickets' history."""
    faulty = inventory.get_device_by_id(session, visit.swap_device_id) if visit.swap_device_id else None
    to_repair = None
    if faulty is not None and faulty.status == DeviceStatus.RETURNED:
        inventory.scan(session, "fault", faulty.tag,
                       inventory.Context(actor=actor, now=now, note=f"swap visit {visit.id}", visit_id=visit.id))
        to_repair = faulty.tag
    in_home = {d.id: d.tag for d in inventory.devices_in_home(session, visit.course_id)}
    delivered = [in_home[visit.replacement_device_id]] if visit.replacement_device_id in in_home else []
    _follow_kit(session, faulty, delivered, actor=actor, now=now)
    return {"visit": visit.id, "collected": faulty.tag if faulty else None, "to_repair": to_repair,
            "delivered": delivered}


def _follow_kit(session: Session, faulty: Device | None, delivered: list[str], *, actor, now: dt.datetime) -> None:
    """A kit member swapped: the first delivered device of the same kind takes its place in the kit."""
    if faulty is None or faulty.kit_id is None or faulty.status == DeviceStatus.AT_CITIZEN:
        return
    for tag in delivered:
        new = inventory.get_device(session, tag)
        if new.kit_id is None and new.model.category == faulty.model.category:
            inventory.replace_member(session, inventory.get_kit(session, faulty.kit_id), faulty, new, actor=actor,
                                     now=now)
            return
