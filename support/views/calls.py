"""Log a call: type (or scan) a phone number, CPR number or asset tag; the caller's citizen, devices, open visits
and open tickets appear; one click on a category saves the ticket. The number typed is only ever POSTed, never
put in a URL."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from inventory.forms import CATEGORY_LABELS
from servicecenter.auth.permissions import can_work_tickets
from servicecenter.db import LOCAL_ZONE, unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.web import creates, now, once, rate_limited, require, show_error
from support.forms import LogCallForm, LookupForm
from support.models import Category, Channel, Priority, RequesterKind
from support.service import calls, tickets
from support.service.calls import Caller
from support.views import bp

CATEGORY_KEYS = {Category.DEVICE_FAULT: "1", Category.CONNECTIVITY: "2", Category.MISSING_MEASUREMENTS: "3",
                 Category.HOW_TO: "4", Category.LOGISTICS: "5", Category.USER_ADMIN: "6"}


@bp.get("/call")
@require(can_work_tickets)
def call():
    return render_template("support/call.html", lookup=LookupForm(), caller=None, form=None)


def _identify(text: str, citizen_id: int | None) -> Caller:
    s = db_session()
    with unit_of_work(s):
        return calls.identify(s, text, actor=current_user, now=now(), citizen_id=citizen_id)


def _log_form(caller: Caller, text: str, form: LogCallForm | None = None) -> LogCallForm:
    form = form or LogCallForm(formdata=None)
    form.q.data = text
    form.citizen_id.data = str(caller.citizen.id) if caller.citizen else ""
    form.device_id.choices = [(0, gettext("Not about one device"))] + [
        (d.id, f"{d.tag} · {CATEGORY_LABELS.get(d.category, d.category)} {d.model}") for d in caller.devices]
    if form.device_id.data in (None, 0) and not form.errors:
        typed = caller.device.id if caller.device is not None else None
        only = caller.devices[0].id if len(caller.devices) == 1 else None
        form.device_id.data = typed or only or 0
    return form


@bp.post("/call")
@require(can_work_tickets)
@rate_limited("search")
def identify():
    lookup = LookupForm()
    chosen = LogCallForm().citizen_id.data
    if not lookup.validate_on_submit():
        return render_template("support/call.html", lookup=lookup, caller=None, form=None), 400
    text = lookup.q.data
    try:
        caller = _identify(text, int(chosen) if chosen and chosen.isdigit() else None)
    except DomainError as error:
        show_error(error, lookup)
        return render_template("support/call.html", lookup=lookup, caller=None, form=None), 400
    return _page(lookup, caller, _log_form(caller, text))


@bp.post("/call/log")
@require(can_work_tickets)
@creates(lambda ref: url_for("support.ticket", ticket_id=ref))
def log_call():
    form = LogCallForm()
    text = form.q.data or ""
    citizen_id = int(form.citizen_id.data) if (form.citizen_id.data or "").isdigit() else None
    lookup = LookupForm(formdata=None, q=text)
    try:
        caller = _identify(text, citizen_id)
    except DomainError as error:
        show_error(error, lookup)
        return render_template("support/call.html", lookup=lookup, caller=None, form=None), 400
    _log_form(caller, text, form)
    if not form.validate_on_submit():
        return _again(lookup, caller, form)
    known = {d.id for d in caller.devices} | ({caller.device.id} if caller.device else set())
    if form.device_id.data and form.device_id.data not in known:
        form.device_id.errors = [gettext("Choose one of the caller's devices.")]
        return _again(lookup, caller, form)
    if not form.device_id.data and form.category.data == Category.DEVICE_FAULT.value:
        form.device_id.data = calls.device_named_in(caller.devices, form.body.data or "")
    ticket_data = _ticket_data(form, caller, text)
    s = db_session()
    try:
        with unit_of_work(s):
            ticket = once(s, lambda: tickets.create_ticket(s, ticket_data, actor=current_user, now=now()))
    except DomainError as error:
        show_error(error, form)
        return _again(lookup, caller, form)
    flash(gettext("Ticket #%(id)s is saved.", id=ticket.id), "success")
    if ticket_data.category == Category.DEVICE_FAULT and ticket_data.device_id is None and caller.devices:
        flash(gettext("Choose the faulty device on the ticket to be able to swap it."), "info")
    return redirect(url_for("support.ticket", ticket_id=ticket.id))


def _again(lookup: LookupForm, caller: Caller, form: LogCallForm):
    return _page(lookup, caller, form), 400


def _page(lookup: LookupForm, caller: Caller, form: LogCallForm) -> str:
    """The call page with the caller found: each device's radio carries the words that name its kind, so typing
    "the scale" in the description picks the only scale (app.js)."""
    words = {kind: "|".join(stems) for kind, stems in calls.KIND_WORDS.items()}
    kinds = {d.id: d.category for d in caller.devices}
    choices = [(value, label, words.get(kinds.get(value), "")) for value, label in form.device_id.choices]
    return render_template("support/call.html", lookup=lookup, caller=caller, form=form, keys=CATEGORY_KEYS,
                           device_choices=choices)


def _ticket_data(form: LogCallForm, caller: Caller, text: str) -> tickets.TicketData:
    category = Category(form.category.data)
    body = (form.body.data or "").strip()
    first_line = body.splitlines()[0][:120] if body else ""
    kind = RequesterKind(form.requester_kind.data)
    citizen = caller.citizen
    name = citizen.full_name if citizen is not None and kind == RequesterKind.CITIZEN else form.requester_name.data
    called_at = form.called_at.data.replace(tzinfo=LOCAL_ZONE) if form.called_at.data else None
    return tickets.TicketData(
        subject=first_line or gettext(tickets.CATEGORY_LABELS[category]).capitalize(), category=category,
        requester_kind=kind, channel=Channel(form.channel.data), priority=Priority(form.priority.data), body=body,
        requester_name=name, requester_phone=text if caller.kind == "phone" else None,
        citizen_id=citizen.id if citizen is not None else None, device_id=form.device_id.data or None,
        called_at=called_at)
