"""The helpdesk's queue of visits and the visit page: reserve a kit or a replacement, book a day, assign by hand,
cancel, resume a paused course, and act on a failure (exclude for no coverage)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import case, select

from dispatch.forms import SKILL_LABELS, AllocateForm, AssignForm, BookForm
from dispatch.models import CitizenRequest, FailureReason, TimeOfDay, Urgency, Visit, VisitKind, VisitStatus
from dispatch.service import allocation, journey, messages, planning, visits
from dispatch.service.technicians import on_duty
from dispatch.views import bp
from dispatch.views.planner import confirmation_for
from inventory import service as inventory
from inventory.models import HolderKind
from servicecenter.auth.permissions import can_dispatch
from servicecenter.citizens import service as citizens
from servicecenter.citizens.guard import load_for_citizen
from servicecenter.courses import service as courses
from servicecenter.courses.models import EndReason, ExclusionReason
from servicecenter.db import local_date, unit_of_work
from servicecenter.errors import N_, DomainError
from servicecenter.extensions import db_session
from servicecenter.web import listed_after_render, now, page_arg, rate_limited, require, show_error

QUEUE_STATUSES = {"open": (VisitStatus.REQUESTED, VisitStatus.REQUEUED), "scheduled": (VisitStatus.SCHEDULED,),
                  "failed": (VisitStatus.FAILED, VisitStatus.REQUEUED)}


@bp.app_context_processor
def visit_labels():
    """Per page rendered: a label is translated once, not once per row (a day's plan has some 350 rows; gettext
    looks up the request's catalogue on every call: 16 ms of the plan page at national scale, issue 17)."""
    return {"visit_kind_label": _translated(visits.KIND_LABELS),
            "visit_status_label": _translated(visits.VISIT_STATUS.labels),
            "failure_label": _translated(visits.FAILURE_LABELS),
            "skill_label": lambda k: str(SKILL_LABELS.get(k, k)),
            "needs_reservation": allocation.needs_reservation,
            "visit_note": _note,
            "hhmm": lambda m: "" if m is None else f"{m // 60:02d}:{m % 60:02d}"}


def _translated(labels: dict):
    done: dict = {}

    def label(key) -> str:
        if key not in done:
            done[key] = gettext(labels[key])
        return done[key]
    return label


PREFIXED_NOTES = (N_("cancelled by the citizen"), N_("cancelled by the relative"))


def _note(note: str | None) -> str:
    """A visit event's note in the reader's language: a failure reason's label, the system's notes translated, a
    person's own words as written, after the system's words they follow ("cancelled by the citizen: …")."""
    if not note:
        return ""
    head, colon, words = note.partition(": ")
    if colon and head in PREFIXED_NOTES:
        return f"{gettext(head)}: {words}"
    return gettext(visits.FAILURE_LABELS[FailureReason(note)]) if note in set(FailureReason) else gettext(note)


@bp.get("/")
@require(can_dispatch)
def queue():
    """Open visits, urgent and earliest first; each citizen shown is a read of their data."""
    s = db_session()
    show = request.args.get("show", "open")
    statuses = QUEUE_STATUSES.get(show, QUEUE_STATUSES["open"])
    per_page = current_app.config["PAGE_SIZE"]
    urgent_first = case((Visit.urgency == Urgency.URGENT, 0), else_=1)
    call_first = case((Visit.citizen_request == CitizenRequest.NO_TIME_FITS, 0), else_=1)
    # The page's ids in order from the index alone (ix_visits_queue_order), then their rows: sorting the whole
    # queue's joined rows to show 26 took 35 ms at national scale (issue 17).
    ids = list(s.scalars(select(Visit.id).where(Visit.status.in_(statuses))
                         .order_by(urgent_first, call_first, Visit.earliest_on, Visit.id)
                         .offset((page_arg() - 1) * per_page).limit(per_page + 1)))
    found = {v.id: v for v in s.scalars(select(Visit).where(Visit.id.in_(ids)))}
    rows = [found[i] for i in ids if i in found]
    html = render_template("dispatch/queue.html", visits=rows[:per_page], has_more=len(rows) > per_page,
                           page=page_arg(), show=show)
    return listed_after_render(html, [v.citizen_id for v in rows[:per_page]], action="citizen.list_visits")


@bp.get("/pickups/overdue")
@require(can_dispatch)
def overdue_pickups():
    """Ended courses whose devices are still in the home after the allowed days, the longest overdue first."""
    s = db_session()
    days = current_app.config["PICKUP_OVERDUE_DAYS"]
    rows, has_more = journey.overdue_pickups(s, today=local_date(now()), days=days, page=page_arg(),
                                             per_page=current_app.config["PAGE_SIZE"])
    with unit_of_work(s):
        citizens.record_listed(s, [r.course.citizen_id for r in rows], actor=current_user, now=now(),
                               action="citizen.list_overdue_pickups")
    return render_template("dispatch/overdue_pickups.html", rows=rows, has_more=has_more, page=page_arg(), days=days,
                           today=local_date(now()))


def _load(visit_id: int, action: str) -> Visit:
    return load_for_citizen(lambda s: visits.get_visit(s, visit_id), action)


def _forms(visit: Visit) -> dict:
    s = db_session()
    allocate = AllocateForm(prefix="allocate")
    allocate.depot_id.choices = [(h.id, h.name) for h in inventory.list_holders(s, HolderKind.DEPOT)]
    book = BookForm(prefix="book")
    if request.method == "GET":
        book.day.data = max(visit.earliest_on, local_date(now()))
        book.time_of_day.data = visit.time_of_day.value
    assign = AssignForm(prefix="assign")
    assign.technician_id.choices = [(d.technician.id, d.technician.user.full_name)
                                    for d in on_duty(s, visit.scheduled_on)] if visit.scheduled_on else []
    return {"allocate_form": allocate, "book_form": book, "assign_form": assign}


def _render(visit: Visit, status: int = 200, **forms):
    s = db_session()
    context = {**_forms(visit), **forms}
    history = visits.history(s, visit.id)
    return render_template(
        "dispatch/visit.html", visit=visit, **context, reserved=allocation.reserved_devices(s, visit),
        kit=inventory.get_kit(s, visit.kit_id) if visit.kit_id else None,
        in_home=inventory.devices_in_home(s, visit.course_id), history=history,
        texts=messages.messages_of_visit(s, visit.id, (event for event, _who in history)),
        no_texts=messages.why_no_texts(s, visit), text_purpose=lambda p: gettext(messages.PURPOSE_LABELS[p]),
        relative=citizens.relative_to_contact(visit.citizen) if visit.course.is_sensitive else None,
        propose_exclusion=visit.failure_reason == FailureReason.NO_COVERAGE and visit.course.end_reason is None,
    ), status


@bp.get("/visits/<int:visit_id>")
@require(can_dispatch)
@rate_limited("record")
def visit(visit_id: int):
    return _render(_load(visit_id, "visit.view"))


def _act(visit_id: int, action: str, form_name: str, form, do, done: str):
    """Load (audited), validate, one unit of work, flash, redirect; or the page again with the error."""
    visit_ = _load(visit_id, action)
    if form is None or form.validate_on_submit():
        try:
            with unit_of_work(db_session()):
                do(visit_)
        except DomainError as error:
            show_error(error, form)
            return _render(visit_, error.status_code, **({form_name: form} if form else {}))
        flash(done, "success")
        return redirect(url_for("dispatch.visit", visit_id=visit_id))
    return _render(visit_, 400, **{form_name: form})


@bp.post("/visits/<int:visit_id>/allocate")
@require(can_dispatch)
def allocate(visit_id: int):
    """A setup's kit, or a swap's replacement, reserved at the chosen depot."""
    form = AllocateForm(prefix="allocate")
    form.depot_id.choices = [(h.id, h.name) for h in inventory.list_holders(db_session(), HolderKind.DEPOT)]

    def do(v):
        reserve = allocation.allocate_kit if v.kind == VisitKind.SETUP else allocation.allocate_replacement
        reserve(db_session(), v, depot_id=form.depot_id.data, actor=current_user, now=now())

    return _act(visit_id, "visit.allocate", "allocate_form", form, do, gettext("It is reserved for the visit."))


@bp.post("/visits/<int:visit_id>/book")
@require(can_dispatch)
def book(visit_id: int):
    form = BookForm(prefix="book")
    return _act(visit_id, "visit.book", "book_form", form, lambda v: visits.book(
        db_session(), v, day=form.day.data, window=visits.WINDOWS[TimeOfDay(form.time_of_day.data)],
        actor=current_user, now=now(), today=local_date(now())), gettext("The visit is booked."))


@bp.post("/visits/<int:visit_id>/assign")
@require(can_dispatch)
def assign(visit_id: int):
    form = AssignForm(prefix="assign")
    visit_ = visits.get_visit(db_session(), visit_id)
    form.technician_id.choices = [(d.technician.id, d.technician.user.full_name)
                                  for d in on_duty(db_session(), visit_.scheduled_on)] if visit_.scheduled_on else []

    def do(v):
        try:
            hours, minutes = (int(x) for x in form.start.data.split(":"))
            start = hours * 60 + minutes
        except ValueError:
            raise DomainError(N_("Write the time as HH:MM."), field="start") from None
        planning.assign(db_session(), v, technician_id=form.technician_id.data, start=start, actor=current_user,
                        now=now(), confirmation=confirmation_for(current_app.config["SECRET_KEY"]))

    return _act(visit_id, "visit.assign", "assign_form", form, do, gettext("The visit is assigned."))


@bp.post("/visits/<int:visit_id>/cancel")
@require(can_dispatch)
def cancel(visit_id: int):
    def do(v):
        visits.cancel(db_session(), v, actor=current_user, now=now(), note=request.form.get("note", ""))

    return _act(visit_id, "visit.cancel", "cancel_form", None, do, gettext("The visit is cancelled."))


@bp.post("/visits/<int:visit_id>/exclude")
@require(can_dispatch)
def exclude(visit_id: int):
    """The failure reason "no mobile coverage" proposes this: end the course as excluded for that reason."""
    def do(v):
        if v.failure_reason != FailureReason.NO_COVERAGE:
            raise DomainError(N_("Only a visit that failed for no mobile coverage proposes an exclusion."))
        courses.end_course(db_session(), v.course, reason=EndReason.EXCLUDED,  # its open visits are cancelled too
                           exclusion_reason=ExclusionReason.NO_COVERAGE, actor=current_user, now=now())

    return _act(visit_id, "visit.exclude", "exclude_form", None, do,
                gettext("The citizen is excluded for no mobile coverage, and the course has ended."))

