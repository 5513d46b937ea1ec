"""Tickets: creation (with round-robin), the status machine, replies and notes, assignment, priority, merge and
links. Every change writes an event to the ticket's log and recomputes the stored SLA deadlines from that log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from inventory import service as inventory
from inventory.models import Device
from servicecenter import events
from servicecenter.audit.service import record_event
from servicecenter.auth.models import Role, User, UserStatus
from servicecenter.citizens.models import Citizen
from servicecenter.db import get_or_raise, lock_row
from servicecenter.errors import N_, Conflict, DomainError, Msgid, NotFound
from servicecenter.events import EventType
from servicecenter.statuses import TransitionTable, transition
from support import sla
from support.models import (
    NO_DEADLINE,
    Category,
    Channel,
    EventKind,
    GroupMember,
    Priority,
    RequesterKind,
    SupportGroup,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketStatus,
)
from support.service import replies
from support.service.settings import Settings, load_settings

S = TicketStatus
TICKET_STATUS = TransitionTable(
    "ticket",
    {
        S.NEW: {S.OPEN, S.WAITING_CUSTOMER, S.WAITING_THIRD_PARTY, S.RESOLVED, S.CLOSED},
        S.OPEN: {S.WAITING_CUSTOMER, S.WAITING_THIRD_PARTY, S.RESOLVED, S.CLOSED},
        S.WAITING_CUSTOMER: {S.OPEN, S.WAITING_THIRD_PARTY, S.RESOLVED, S.CLOSED},
        S.WAITING_THIRD_PARTY: {S.OPEN, S.WAITING_CUSTOMER, S.RESOLVED, S.CLOSED},
        S.RESOLVED: {S.OPEN, S.CLOSED},  # reopened: the resolution clock goes on where it stopped
        S.CLOSED: set(),
    },
    {S.NEW: N_("new"), S.OPEN: N_("open"), S.WAITING_CUSTOMER: N_("waiting on customer"),
     S.WAITING_THIRD_PARTY: N_("waiting on third party"), S.RESOLVED: N_("resolved"), S.CLOSED: N_("closed")},
)
ACTIVE = (S.NEW, S.OPEN, S.WAITING_CUSTOMER, S.WAITING_THIRD_PARTY)
CATEGORY_LABELS = {
    Category.DEVICE_FAULT: N_("device fault"), Category.CONNECTIVITY: N_("connectivity"),
    Category.HOW_TO: N_("how-to"), Category.LOGISTICS: N_("logistics"),
    Category.USER_ADMIN: N_("user administration"), Category.MISSING_MEASUREMENTS: N_("missing measurements"),
}
CHANNEL_LABELS = {Channel.PHONE: N_("phone"), Channel.EMAIL: N_("e-mail"), Channel.PORTAL: N_("portal"),
                  Channel.WALK_IN: N_("walk-in")}
REQUESTER_LABELS = {RequesterKind.CITIZEN: N_("citizen"), RequesterKind.RELATIVE: N_("relative"),
                    RequesterKind.NURSE: N_("nurse"), RequesterKind.STAFF: N_("staff")}
PRIORITY_LABELS = {Priority.P1: N_("P1 critical"), Priority.P2: N_("P2 high"), Priority.P3: N_("P3 normal"),
                   Priority.P4: N_("P4 low")}
DEFAULT_GROUP = "Helpdesk"
MAX_BODY = 10_000
BACKDATE_LIMIT = dt.timedelta(days=7)
AGENT_ROLES = (Role.HELPDESK, Role.COORDINATOR)


@dataclass
class TicketData:
    subject: str
    category: Category
    requester_kind: RequesterKind = RequesterKind.CITIZEN
    channel: Channel = Channel.PHONE
    priority: Priority = Priority.P3
    body: str = ""
    requester_name: str | None = None
    requester_phone: str | None = None
    citizen_id: int | None = None
    device_id: int | None = None
    group_id: int | None = None
    assignee_id: int | None = None
    called_at: dt.datetime | None = None  # a call logged afterwards: the SLA runs from the call


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    return get_or_raise(session, Ticket, ticket_id, N_("No such ticket."))


def default_group(session: Session) -> SupportGroup:
    group = session.scalar(select(SupportGroup).where(SupportGroup.is_active.is_(True)).order_by(SupportGroup.id))
    if group is None:
        group = SupportGroup(name=DEFAULT_GROUP, round_robin=False)
        session.add(group)
        session.flush()
    return group


def list_groups(session: Session) -> list[SupportGroup]:
    return list(session.scalars(select(SupportGroup).where(SupportGroup.is_active.is_(True))
                                .order_by(SupportGroup.name)))


def agents(session: Session) -> list[tuple[int, str]]:
    """(id, name) of everyone a ticket can be assigned to: the lists need no more (whole users with their
    organisation were 9 ms of a ticket page with 800 users, issue 17)."""
    return [(i, name) for i, name in session.execute(
        select(User.id, User.full_name).where(User.role.in_(AGENT_ROLES), User.status == UserStatus.ACTIVE)
        .order_by(User.full_name))]


# --- creating ------------------------------------------------------------------------------------------------


def _check(data: TicketData, now: dt.datetime) -> None:
    if not data.subject.strip():
        raise DomainError(N_("Write what the call is about."), field="subject")
    if len(data.subject) > 200:
        raise DomainError(N_("A subject can be at most %(max)s characters."), field="subject", max=200)
    if len(data.body) > MAX_BODY:
        raise DomainError(N_("A text can be at most %(max)s characters."), field="body", max=MAX_BODY)
    if data.called_at is not None and not now - BACKDATE_LIMIT <= data.called_at <= now:
        raise DomainError(N_("The time of the call must be within the last 7 days, not in the future."),
                          field="called_at")


def create_ticket(session: Session, data: TicketData, *, actor, now: dt.datetime) -> Ticket:
    _check(data, now)
    if data.citizen_id is not None and session.get(Citizen, data.citizen_id) is None:
        raise DomainError(N_("No such citizen."), field="citizen_id")
    if data.device_id is not None:
        _device(session, data.device_id)
    group = session.get(SupportGroup, data.group_id) if data.group_id else default_group(session)
    if group is None or not group.is_active:
        raise DomainError(N_("Choose a group."), field="group_id")
    # The turn is taken first: the group row is locked FOR UPDATE before the new ticket's foreign key takes its
    # KEY SHARE lock on it, else two calls logged at once each hold one and wait for the other (a deadlock).
    next_agent = round_robin_next(session, group) if group.round_robin and not data.assignee_id else None
    opened = data.called_at or now
    ticket = Ticket(subject=data.subject.strip(), requester_kind=data.requester_kind,
                    requester_name=(data.requester_name or "").strip()[:120] or None,
                    requester_phone=(data.requester_phone or "").strip()[:20] or None, channel=data.channel,
                    category=data.category, priority=data.priority, status=S.NEW, group_id=group.id,
                    citizen_id=data.citizen_id, device_id=data.device_id, opened_at=opened, created_at=now,
                    updated_at=now, is_active=True, sla_due_at=NO_DEADLINE, sla_warn_at=NO_DEADLINE)
    session.add(ticket)
    session.flush()
    _log(session, ticket, EventKind.CREATED, actor=actor, now=now, at=opened, body=data.body.strip() or None,
         data={"channel": data.channel.value, "category": data.category.value, "priority": data.priority.value})
    record_event(session, actor=actor, action="ticket.create", entity_type="ticket", entity_id=ticket.id,
                 citizen_id=ticket.citizen_id, now=now, detail={"category": data.category.value})
    if data.assignee_id or next_agent:
        assign(session, ticket, data.assignee_id or next_agent, actor=actor, now=now)
    refresh_sla(session, ticket, now=now)
    events.publish(session, EventType.TICKET_CREATED, {
        "ticket_id": ticket.id, "status": ticket.status.value, "category": ticket.category.value,
        "priority": ticket.priority.value}, now=now)
    return ticket


def _log(session: Session, ticket: Ticket, kind: EventKind, *, actor, now: dt.datetime,
         at: dt.datetime | None = None, status: str | None = None, body: str | None = None,
         data: dict | None = None) -> TicketEvent:
    event = TicketEvent(ticket_id=ticket.id, citizen_id=ticket.citizen_id, kind=kind, at=at or now, recorded_at=now,
                        actor_id=getattr(actor, "id", None), status=status, body=body, data=data)
    session.add(event)
    ticket.updated_at = now
    return event


# --- round-robin ---------------------------------------------------------------------------------------------


def round_robin_next(session: Session, group: SupportGroup) -> int | None:
    """The next on-duty member after the one who got the last ticket (by user id, wrapping around). The group
    row is locked, so two tickets created at once go to two people."""
    lock_row(session, group)
    on_duty = list(session.scalars(
        select(GroupMember.user_id).join(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id == group.id, GroupMember.on_duty.is_(True), User.status == UserStatus.ACTIVE,
               User.role.in_(AGENT_ROLES))  # someone whose role changed since no longer takes a turn
        .order_by(GroupMember.user_id)))
    if not on_duty:
        return None
    last = group.last_assigned_id or 0
    chosen = next((u for u in on_duty if u > last), on_duty[0])
    group.last_assigned_id = chosen
    return chosen


def set_on_duty(session: Session, *, group_id: int, user: User, on_duty: bool, now: dt.datetime) -> None:
    member = session.scalar(select(GroupMember).where(GroupMember.group_id == group_id,
                                                      GroupMember.user_id == user.id))
    if member is None:
        raise DomainError(N_("You are not a member of this group."))
    member.on_duty = on_duty
    record_event(session, actor=user, action="support.on_duty", entity_type="support_group", entity_id=group_id,
                 now=now, detail={"on_duty": on_duty})


def memberships(session: Session, user_id: int) -> list[tuple[SupportGroup, bool]]:
    return [tuple(r) for r in session.execute(
        select(SupportGroup, GroupMember.on_duty).join(GroupMember, GroupMember.group_id == SupportGroup.id)
        .where(GroupMember.user_id == user_id, SupportGroup.is_active.is_(True)).order_by(SupportGroup.name))]


def save_group(session: Session, group: SupportGroup | None, *, name: str, round_robin: bool,
               member_ids: list[int], actor, now: dt.datetime) -> SupportGroup:
    name = name.strip()
    if not name:
        raise DomainError(N_("A group needs a name."), field="name")
    clash = session.scalar(select(SupportGroup.id).where(SupportGroup.name == name))
    if clash is not None and (group is None or clash != group.id):
        raise Conflict(N_("Another group is called %(name)s."), field="name", name=name)
    valid = set(session.scalars(select(User.id).where(User.id.in_(member_ids), User.role.in_(AGENT_ROLES))))
    if set(member_ids) - valid:
        raise DomainError(N_("Members must be helpdesk staff or coordinators."), field="members")
    group = group or SupportGroup()
    group.name, group.round_robin = name, round_robin
    session.add(group)
    session.flush()
    current = {m.user_id: m for m in session.scalars(select(GroupMember).where(GroupMember.group_id == group.id))}
    for user_id, member in current.items():
        if user_id not in valid:
            session.delete(member)
    session.add_all([GroupMember(group_id=group.id, user_id=u) for u in sorted(valid - set(current))])
    session.flush()
    record_event(session, actor=actor, action="support.group_save", entity_type="support_group",
                 entity_id=group.id, now=now, detail={"members": sorted(valid), "round_robin": round_robin})
    return group


def group_members(session: Session, group_id: int) -> list[GroupMember]:
    return list(session.scalars(select(GroupMember).where(GroupMember.group_id == group_id)
                                .order_by(GroupMember.user_id)))


# --- changing ------------------------------------------------------------------------------------------------


def lock_ticket(session: Session, ticket_id: int) -> Ticket:
    """The ticket row, locked for this transaction: two agents acting at once take turns."""
    ticket = get_ticket(session, ticket_id)
    lock_row(session, ticket)
    return ticket


def _writable(ticket: Ticket) -> None:
    if ticket.merged_into_id is not None:
        raise Conflict(N_("This ticket was merged into #%(id)s; work on that one."), id=ticket.merged_into_id)
    if ticket.status == S.CLOSED:
        raise Conflict(N_("The ticket is closed."))


def change_status(session: Session, ticket: Ticket, target: TicketStatus, *, actor, now: dt.datetime,
                  note: str | None = None, at: dt.datetime | None = None) -> None:
    _writable(ticket)
    if ticket.status == target:
        return  # sent twice
    current = ticket.status
    transition(session, ticket, target, table=TICKET_STATUS, actor=actor, now=now, citizen_id=ticket.citizen_id,
               reason=note)
    _log(session, ticket, EventKind.STATUS, actor=actor, now=now, at=at, status=target.value, body=note,
         data={"from": current.value})
    refresh_sla(session, ticket, now=now)
    if target == S.RESOLVED:
        events.publish(session, EventType.TICKET_RESOLVED, {"ticket_id": ticket.id, "status": target.value},
                       now=now)


def add_message(session: Session, ticket: Ticket, body: str, *, public: bool, actor, now: dt.datetime) -> None:
    """A reply to the requester, sent by SMS when her number is known (the first reply meets the first-response
    target; a new ticket becomes open), or an internal note."""
    _writable(ticket)
    body = body.strip()
    if not body:
        raise DomainError(N_("Write something first."), field="body")
    if len(body) > MAX_BODY:
        raise DomainError(N_("A text can be at most %(max)s characters."), field="body", max=MAX_BODY)
    if public:
        citizen = session.get(Citizen, ticket.citizen_id) if ticket.citizen_id is not None else None
        data, recipient, text = replies.plan_reply(session, ticket, citizen, body)
        event = _log(session, ticket, EventKind.REPLY, actor=actor, now=now, body=body, data=data)
        if recipient is not None:
            replies.send_reply(session, event, recipient, text, now=now)
    else:
        _log(session, ticket, EventKind.NOTE, actor=actor, now=now, body=body)
    record_event(session, actor=actor, action="ticket.reply" if public else "ticket.note", entity_type="ticket",
                 entity_id=ticket.id, citizen_id=ticket.citizen_id, now=now)
    if public and ticket.status == S.NEW:
        change_status(session, ticket, S.OPEN, actor=actor, now=now)
    else:
        refresh_sla(session, ticket, now=now)


def assign(session: Session, ticket: Ticket, user_id: int | None, *, actor, now: dt.datetime,
           expected: int | None | str = "any") -> None:
    """Give the ticket to an agent (None: unassigned). `expected` is who the person saw as the assignee: if
    someone else changed it meanwhile, the change is refused rather than silently overwritten."""
    _writable(ticket)
    if expected != "any" and ticket.assignee_id != expected and ticket.assignee_id != user_id:
        raise Conflict(N_("%(name)s took this ticket a moment ago."),
                       name=ticket.assignee.full_name if ticket.assignee else "—")
    if ticket.assignee_id == user_id:
        return
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or user.role not in AGENT_ROLES or user.status != UserStatus.ACTIVE:
            raise DomainError(N_("Choose an active helpdesk agent."), field="assignee_id")
    before = ticket.assignee_id
    ticket.assignee_id = user_id
    session.flush()
    session.refresh(ticket, ["assignee"])
    _log(session, ticket, EventKind.ASSIGNED, actor=actor, now=now, data={"from": before, "to": user_id})
    record_event(session, actor=actor, action="ticket.assign", entity_type="ticket", entity_id=ticket.id, now=now,
                 detail={"from": before, "to": user_id})


def change_priority(session: Session, ticket: Ticket, priority: Priority, *, actor, now: dt.datetime) -> None:
    _writable(ticket)
    if ticket.priority == priority:
        return
    _log(session, ticket, EventKind.PRIORITY, actor=actor, now=now,
         data={"from": ticket.priority.value, "to": priority.value})
    record_event(session, actor=actor, action="ticket.priority", entity_type="ticket", entity_id=ticket.id, now=now,
                 detail={"from": ticket.priority.value, "to": priority.value})
    ticket.priority = priority
    refresh_sla(session, ticket, now=now)


def _device(session: Session, device_id: int) -> Device:
    try:
        return inventory.get_device_by_id(session, device_id)
    except NotFound:
        raise DomainError(N_("No such device."), field="device_id") from None


def set_device(session: Session, ticket: Ticket, device_id: int | None, *, actor, now: dt.datetime) -> None:
    """The device the ticket is about (the caller checks it is one of the citizen's)."""
    _writable(ticket)
    if ticket.device_id == device_id:
        return
    device = _device(session, device_id) if device_id is not None else None
    _log(session, ticket, EventKind.DEVICE, actor=actor, now=now, data={"device": device.tag if device else None})
    record_event(session, actor=actor, action="ticket.device", entity_type="ticket", entity_id=ticket.id, now=now,
                 citizen_id=ticket.citizen_id, detail={"device": device_id})
    ticket.device_id = device_id


def change_group(session: Session, ticket: Ticket, group_id: int, *, actor, now: dt.datetime) -> None:
    _writable(ticket)
    group = session.get(SupportGroup, group_id)
    if group is None or not group.is_active:
        raise DomainError(N_("Choose a group."), field="group_id")
    if ticket.group_id == group.id:
        return
    _log(session, ticket, EventKind.ASSIGNED, actor=actor, now=now,
         data={"group_from": ticket.group_id, "group_to": group.id})
    record_event(session, actor=actor, action="ticket.group", entity_type="ticket", entity_id=ticket.id, now=now,
                 detail={"from": ticket.group_id, "to": group.id})
    ticket.group_id = group.id
    session.flush()
    session.refresh(ticket, ["group"])


def merge(session: Session, duplicate: Ticket, survivor: Ticket, *, actor, now: dt.datetime) -> None:
    """The duplicate is closed and points to the survivor; both logs stay as they are, and the survivor's history
    shows the duplicate's events too."""
    if duplicate.id == survivor.id:
        raise DomainError(N_("A ticket cannot be merged into itself."), field="survivor")
    _writable(duplicate)
    _writable(survivor)
    # Lock both rows in id order, so two merges of the same pair the other way round cannot deadlock.
    for ticket in sorted((duplicate, survivor), key=lambda t: t.id):
        lock_row(session, ticket)
    _writable(duplicate)
    _writable(survivor)
    if duplicate.citizen_id and survivor.citizen_id and duplicate.citizen_id != survivor.citizen_id:
        raise Conflict(N_("The tickets are about different citizens; link them instead."))
    if duplicate.visit_id is not None and duplicate.status == S.WAITING_THIRD_PARTY:
        raise Conflict(N_("#%(id)s waits for its swap visit: merge the other ticket into it instead."),
                       id=duplicate.id)
    _log(session, duplicate, EventKind.MERGED_INTO, actor=actor, now=now, data={"ticket": survivor.id})
    _log(session, survivor, EventKind.MERGED_FROM, actor=actor, now=now, data={"ticket": duplicate.id})
    # Tickets merged into the duplicate before now follow it to the survivor.
    for earlier in session.scalars(select(Ticket).where(Ticket.merged_into_id == duplicate.id)):
        earlier.merged_into_id = survivor.id
    if duplicate.status != S.CLOSED:
        current = duplicate.status
        transition(session, duplicate, S.CLOSED, table=TICKET_STATUS, actor=actor, now=now,
                   citizen_id=duplicate.citizen_id, reason=f"merged into #{survivor.id}")
        _log(session, duplicate, EventKind.STATUS, actor=actor, now=now, status=S.CLOSED.value,
             data={"from": current.value})
    duplicate.merged_into_id = survivor.id
    if survivor.citizen_id is None and duplicate.citizen_id is not None:
        survivor.citizen_id = duplicate.citizen_id
    if survivor.device_id is None and duplicate.device_id is not None:
        survivor.device_id = duplicate.device_id
    refresh_sla(session, duplicate, now=now)
    refresh_sla(session, survivor, now=now)
    record_event(session, actor=actor, action="ticket.merge", entity_type="ticket", entity_id=survivor.id, now=now,
                 citizen_id=survivor.citizen_id, detail={"duplicate": duplicate.id})


def link(session: Session, ticket: Ticket, other: Ticket, *, actor, now: dt.datetime) -> None:
    if ticket.id == other.id:
        raise DomainError(N_("A ticket cannot be linked to itself."), field="other")
    for row in sorted((ticket, other), key=lambda t: t.id):  # id order: A-B and B-A at once cannot deadlock
        lock_row(session, row)
    low, high = sorted((ticket.id, other.id))
    if session.scalar(select(TicketLink.id).where(TicketLink.ticket_id == low, TicketLink.other_id == high)):
        return
    session.add(TicketLink(ticket_id=low, other_id=high, created_at=now))
    _log(session, ticket, EventKind.LINKED, actor=actor, now=now, data={"ticket": other.id})
    _log(session, other, EventKind.LINKED, actor=actor, now=now, data={"ticket": ticket.id})
    record_event(session, actor=actor, action="ticket.link", entity_type="ticket", entity_id=ticket.id, now=now,
                 citizen_id=ticket.citizen_id, detail={"other": other.id})


def linked_tickets(session: Session, ticket_id: int) -> list[Ticket]:
    ids = select(TicketLink.other_id).where(TicketLink.ticket_id == ticket_id).union(
        select(TicketLink.ticket_id).where(TicketLink.other_id == ticket_id))
    return list(session.scalars(select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)))


def merged_tickets(session: Session, ticket_id: int) -> list[int]:
    return list(session.scalars(select(Ticket.id).where(Ticket.merged_into_id == ticket_id).order_by(Ticket.id)))


def history(session: Session, ticket: Ticket, merged: list[int] | None = None) -> list[TicketEvent]:
    """The ticket's events and those of the tickets merged into it (`merged`, if the caller has them), oldest
    first."""
    ids = [ticket.id, *(merged if merged is not None else merged_tickets(session, ticket.id))]
    return list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id.in_(ids))
                                .order_by(TicketEvent.at, TicketEvent.id)))


# --- the SLA, stored -------------------------------------------------------------------------------------


def sla_events(session: Session, ticket_id: int) -> list[sla.Event]:
    """The ticket's log as the SLA clocks read it."""
    kinds = {EventKind.CREATED: sla.CREATED, EventKind.REPLY: sla.FIRST_RESPONSE, EventKind.STATUS: sla.STATUS}
    rows = session.execute(select(TicketEvent.at, TicketEvent.kind, TicketEvent.status)
                           .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind.in_(kinds))
                           .order_by(TicketEvent.id)).all()
    return [sla.Event(at, kinds[kind], status) for at, kind, status in rows]


def sla_state(session: Session, ticket: Ticket, *, now: dt.datetime,
              settings: Settings | None = None) -> sla.SlaState:
    settings = settings or load_settings(session)
    return sla.compute(settings.policies[ticket.priority], settings.calendar, sla_events(session, ticket.id), now)


def refresh_sla(session: Session, ticket: Ticket, *, now: dt.datetime, settings: Settings | None = None) -> None:
    """Store the deadlines the event log gives at `now`, so the queues find breached and breaching tickets by
    index. The nearest running target decides the sort key; a stopped or met clock sorts last."""
    session.flush()
    state = sla_state(session, ticket, now=now, settings=settings)
    first, resolution = state.first_response, state.resolution
    ticket.first_response_due_at, ticket.first_response_at = first.due_at, first.met_at
    ticket.resolution_due_at, ticket.resolved_at = resolution.due_at, resolution.met_at
    ticket.is_active = ticket.status in ACTIVE and ticket.merged_into_id is None
    running = [t for t in (first, resolution) if t.met_at is None and t.due_at is not None]
    nearest = min(running, key=lambda t: t.due_at) if running and ticket.is_active else None
    due = nearest.due_at if nearest else NO_DEADLINE
    if due != ticket.sla_due_at:
        ticket.escalated_at = None  # a new deadline: the scheduler may escalate it again
    ticket.sla_due_at = due
    ticket.sla_warn_at = (nearest.warn_at or due) if nearest else NO_DEADLINE


def sla_label(target: sla.SlaTarget) -> tuple[str, dict]:
    """A short state of one clock for the ticket page: (msgid, params)."""
    if target.met_at is not None:
        return (N_("met") if not target.is_breached else N_("met late")), {}
    if target.due_at is None:
        return N_("paused"), {}
    if target.is_breached:
        return N_("breached"), {}
    return (N_("breaching soon") if target.is_breaching_soon else N_("running")), {}


def status_label(status: TicketStatus) -> Msgid:
    return TICKET_STATUS.label(status)


def open_tickets_of_citizen(session: Session, citizen_id: int, *, limit: int = 20) -> list[Ticket]:
    return list(session.scalars(select(Ticket).where(Ticket.citizen_id == citizen_id, Ticket.is_active.is_(True))
                                .order_by(Ticket.id.desc()).limit(limit)))


def find_ticket_ids(session: Session, text: str) -> list[int]:
    """A ticket number typed in the search box ("#123" or "123")."""
    digits = text.strip().lstrip("#")
    return [int(digits)] if digits.isdigit() and len(digits) < 12 else []


def tickets_waiting_for(session: Session, visit_id: int) -> list[Ticket]:
    """The tickets a swap visit is for, locked for this transaction (an agent may be saving one right now)."""
    return list(session.scalars(
        select(Ticket).where(Ticket.visit_id == visit_id, or_(Ticket.is_active.is_(True), Ticket.status == S.RESOLVED))
        .order_by(Ticket.id).with_for_update(of=Ticket).execution_options(populate_existing=True)))
