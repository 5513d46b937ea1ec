"""The ticket page and its actions: reply or note (canned responses), status, take and assign, priority, group,
device, merge, link, and escalate to a swap visit. Each action is one unit of work on the locked ticket."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import service as dispatch
from inventory import service as inventory
from servicecenter.auth.models import User
from servicecenter.auth.permissions import can_work_tickets
from servicecenter.citizens import service as citizens
from servicecenter.db import local_date, unit_of_work
from servicecenter.errors import N_, DomainError
from servicecenter.extensions import db_session
from servicecenter.forms import AppForm
from servicecenter.web import creates, now, once, require
from support.forms import (
    AssignForm,
    DeviceForm,
    GroupChoiceForm,
    OtherTicketForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    SwapForm,
)
from support.models import Priority, Ticket, TicketStatus
from support.service import canned, kb, replies, swaps, tickets
from support.views import bp


def _load(ticket_id: int) -> tuple[Ticket, object]:
    """The ticket, and its citizen if it has one: opening the ticket is then a read of that citizen (audited)."""
    s = db_session()
    with unit_of_work(s):
        ticket = tickets.get_ticket(s, ticket_id)
        citizen = None
        if ticket.citizen_id is not None:
            access = citizens.open_citizen(s, ticket.citizen_id, actor=current_user, now=now(), action="ticket.view")
            if not access.allowed:
                abort(404)
            citizen = access.citizen
    return ticket, citizen


@bp.get("/tickets/<int:ticket_id>")
@require(can_work_tickets)
def ticket(ticket_id: int):
    ticket, citizen = _load(ticket_id)
    return _render(ticket, citizen)


def _render(ticket: Ticket, citizen, status: int = 200, **forms):
    s = db_session()
    at = now()
    device = inventory.get_device_by_id(s, ticket.device_id) if ticket.device_id else None
    visit = dispatch.get_visit(s, ticket.visit_id) if ticket.visit_id else None
    suggestions = kb.suggestions(s, device_model_id=device.model_id if device else None, category=ticket.category)
    merged, groups = tickets.merged_tickets(s, ticket.id), tickets.list_groups(s)
    events = tickets.history(s, ticket, merged)
    mentioned = {e.data.get("to") for e in events if e.data and e.data.get("to")}
    context = {
        "ticket": ticket, "citizen": citizen, "device": device, "visit": visit, "events": events,
        "names": dict(s.execute(select(User.id, User.full_name).where(User.id.in_(mentioned))).all()),
        "group_names": {g.id: g.name for g in groups},
        "sla": tickets.sla_state(s, ticket, now=at),
        "sla_label": tickets.sla_label, "linked": tickets.linked_tickets(s, ticket.id),
        "merged": merged, "suggestions": suggestions, "deliveries": replies.deliveries(s, events),
        "reply_to": replies.recipient_for(s, ticket, citizen),
        "voted": kb.voted_ids(s, current_user.id, [a.id for a in suggestions]),
        "canned": _canned(s, ticket, citizen, device, visit), "allowed": _allowed_statuses(ticket),
        "writable": ticket.merged_into_id is None and ticket.status != TicketStatus.CLOSED,
        **_forms(s, ticket, citizen, groups), **forms,
    }
    return render_template("support/ticket.html", **context), status


def _allowed_statuses(ticket: Ticket) -> list[TicketStatus]:
    return [st for st in TicketStatus if tickets.TICKET_STATUS.can(ticket.status, st)]


def _canned(s: Session, ticket: Ticket, citizen, device, visit) -> list[tuple[int, str, str]]:
    """(id, title, text with the ticket's values filled in), for the reply box."""
    when = ""
    if visit is not None and visit.scheduled_on is not None:
        when = f"{visit.scheduled_on.strftime('%d.%m.%Y')}"
        if visit.window_start is not None:
            when += f" {visit.window_start // 60:02d}:{visit.window_start % 60:02d}–" \
                    f"{visit.window_end // 60:02d}:{visit.window_end % 60:02d}"
    values = {"citizen_name": citizen.full_name if citizen else (ticket.requester_name or ""),
              "device": f"{device.tag} ({device.model})" if device else "", "visit_time": when}
    return [(c.id, c.title, canned.render(c.body, values)) for c in canned.list_canned(s)]


def _forms(s: Session, ticket: Ticket, citizen, groups) -> dict:
    assign = AssignForm(prefix="assign", formdata=None)
    assign.assignee_id.choices = [(0, gettext("— unassigned —"))] + tickets.agents(s)
    assign.assignee_id.data = ticket.assignee_id or 0
    assign.expected.data = str(ticket.assignee_id or 0)
    group = GroupChoiceForm(prefix="group", formdata=None)
    group.group_id.choices = [(g.id, g.name) for g in groups]
    group.group_id.data = ticket.group_id
    priority = PriorityForm(prefix="priority", formdata=None, priority=ticket.priority.value)
    device = DeviceForm(prefix="device", formdata=None)
    home = inventory.devices_in_home(s, citizen_id=citizen.id) if citizen is not None else []
    device.device_id.choices = [(0, "—")] + [(d.id, f"{d.tag} {d.model}") for d in home]
    at_home = ticket.device_id in {d.id for d in home}  # only then can it be swapped
    gone = inventory.get_device_by_id(s, ticket.device_id) if ticket.device_id and not at_home else None
    if gone is not None:  # swapped or collected since: still the ticket's device, so the list shows it
        device.device_id.choices.append((gone.id, f"{gone.tag} {gone.model}"))
    device.device_id.data = ticket.device_id or 0
    return {"device_at_home": at_home, "reply_form": ReplyForm(prefix="reply"),
            "status_form": StatusForm(prefix="status", formdata=None),
            "assign_form": assign, "group_form": group, "priority_form": priority, "device_form": device,
            "merge_form": OtherTicketForm(prefix="merge", formdata=None),
            "link_form": OtherTicketForm(prefix="link", formdata=None), "swap_form": SwapForm(prefix="swap"),
            "visit_form": SwapForm(prefix="visit")}


def _act(ticket_id: int, form: AppForm | None, do: Callable[[Session, Ticket], object], done: str | None, *,
         lock: bool = True):
    """Validate, then one unit of work on the locked ticket; refusals are shown and nothing is saved. (A merge or
    link locks its two tickets itself, in id order.)"""
    if form is not None and not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "danger")
        return redirect(url_for("support.ticket", ticket_id=ticket_id))
    s = db_session()
    if s.get(Ticket, ticket_id) is None:
        abort(404)
    try:
        with unit_of_work(s):
            result = do(s, tickets.lock_ticket(s, ticket_id) if lock else tickets.get_ticket(s, ticket_id))
    except DomainError as error:  # a ticket number typed for a merge or link that does not exist, too
        flash(error.translate(gettext), "danger")
    else:
        if done:
            flash(done if not callable(done) else done(result), "success")
    return redirect(url_for("support.ticket", ticket_id=ticket_id))


def _back_to_ticket(_ref, ticket_id: int) -> str:
    return url_for("support.ticket", ticket_id=ticket_id)


@bp.post("/tickets/<int:ticket_id>/reply")
@require(can_work_tickets)
@creates(_back_to_ticket)
def reply(ticket_id: int):
    form = ReplyForm(prefix="reply")
    public = form.kind.data == "reply"
    return _act(ticket_id, form, lambda s, t: once(s, lambda: tickets.add_message(
        s, t, form.body.data, public=public, actor=current_user, now=now())),
                gettext("The reply is saved.") if public else gettext("The note is saved."))


@bp.post("/tickets/<int:ticket_id>/status")
@require(can_work_tickets)
def change_status(ticket_id: int):
    form = StatusForm(prefix="status")
    target = TicketStatus(form.status.data) if form.status.data in set(TicketStatus) else None
    if target is None:
        abort(400)
    return _act(ticket_id, form, lambda s, t: tickets.change_status(s, t, target, actor=current_user, now=now(),
                                                                       note=(form.note.data or "").strip() or None),
                gettext("The status is now “%(status)s”.", status=gettext(tickets.TICKET_STATUS.labels[target])))


@bp.post("/tickets/<int:ticket_id>/take")
@require(can_work_tickets)
def take(ticket_id: int):
    """Take an unassigned ticket: refused if someone took it a moment ago."""
    return _act(ticket_id, AppForm(), lambda s, t: tickets.assign(s, t, current_user.id, actor=current_user,
                                                                     now=now(), expected=None),
                gettext("The ticket is yours."))


@bp.post("/tickets/<int:ticket_id>/assign")
@require(can_work_tickets)
def assign(ticket_id: int):
    form = AssignForm(prefix="assign")
    expected = int(form.expected.data) if (form.expected.data or "").isdigit() else 0
    return _act(ticket_id, form, lambda s, t: tickets.assign(s, t, form.assignee_id.data or None,
                                                              actor=current_user, now=now(),
                                                              expected=expected or None),
                gettext("The assignee is changed."))


@bp.post("/tickets/<int:ticket_id>/priority")
@require(can_work_tickets)
def change_priority(ticket_id: int):
    form = PriorityForm(prefix="priority")
    return _act(ticket_id, form, lambda s, t: tickets.change_priority(s, t, Priority(form.priority.data),
                                                                         actor=current_user, now=now()),
                gettext("The priority is changed."))


@bp.post("/tickets/<int:ticket_id>/group")
@require(can_work_tickets)
def change_group(ticket_id: int):
    form = GroupChoiceForm(prefix="group")
    return _act(ticket_id, form, lambda s, t: tickets.change_group(s, t, form.group_id.data, actor=current_user,
                                                                      now=now()),
                gettext("The group is changed."))


@bp.post("/tickets/<int:ticket_id>/device")
@require(can_work_tickets)
def change_device(ticket_id: int):
    form = DeviceForm(prefix="device")

    def do(s: Session, ticket: Ticket) -> None:
        home = {d.id for d in inventory.devices_in_home(s, citizen_id=ticket.citizen_id)} \
            if ticket.citizen_id else set()
        chosen = form.device_id.data or None
        if chosen is not None and chosen not in home and chosen != ticket.device_id:
            raise DomainError(N_("Choose one of the citizen's devices."))
        tickets.set_device(s, ticket, chosen, actor=current_user, now=now())

    return _act(ticket_id, form, do, gettext("The device is changed."))


@bp.post("/tickets/<int:ticket_id>/merge")
@require(can_work_tickets)
def merge(ticket_id: int):
    """This ticket is the duplicate; it goes into the ticket number given."""
    form = OtherTicketForm(prefix="merge")
    _act(ticket_id, form, lambda s, t: tickets.merge(s, t, tickets.get_ticket(s, form.other.data),
                                                     actor=current_user, now=now()),
         gettext("Merged into #%(id)s.", id=form.other.data), lock=False)
    survivor = db_session().get(Ticket, ticket_id)
    target = survivor.merged_into_id if survivor is not None and survivor.merged_into_id else ticket_id
    return redirect(url_for("support.ticket", ticket_id=target))


@bp.post("/tickets/<int:ticket_id>/link")
@require(can_work_tickets)
def link(ticket_id: int):
    form = OtherTicketForm(prefix="link")
    return _act(ticket_id, form, lambda s, t: tickets.link(s, t, tickets.get_ticket(s, form.other.data),
                                                           actor=current_user, now=now()),
                gettext("Linked to #%(id)s.", id=form.other.data), lock=False)


@bp.post("/tickets/<int:ticket_id>/swap")
@require(can_work_tickets)
@creates(_back_to_ticket)
def swap(ticket_id: int):
    form = SwapForm(prefix="swap")
    return _act(ticket_id, form, lambda s, t: once(s, lambda: swaps.escalate_to_swap(
        s, t, note=form.note.data or "", actor=current_user, now=now(), today=local_date(now()))),
                gettext("A swap visit is requested; the ticket waits for it (the SLA is paused)."))


@bp.post("/tickets/<int:ticket_id>/visit")
@require(can_work_tickets)
@creates(_back_to_ticket)
def service_visit(ticket_id: int):
    """A technician fixes it in the home: a service visit from the ticket, which waits for it."""
    form = SwapForm(prefix="visit")
    return _act(ticket_id, form, lambda s, t: once(s, lambda: swaps.request_service_visit(
        s, t, note=form.note.data or "", actor=current_user, now=now(), today=local_date(now()))),
                gettext("A service visit is requested; the ticket waits for it (the SLA is paused)."))
