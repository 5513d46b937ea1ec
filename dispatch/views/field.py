"""The technician's phone view: today's stops in route order, one stop with what to deliver, collect and train,
and the actions at the door (start, scan delivered or collected, complete, fail). Each action is one unit of work
on the locked visit, so a form sent twice waits for the first and then finds the work done."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dispatch.forms import FailForm, ReplacementForm
from dispatch.models import FailureReason, Visit, VisitEvent, VisitKind, VisitStatus
from dispatch.service import allocation, door, planning, technicians, visits
from dispatch.views import bp
from inventory import service as inventory
from servicecenter.auth.permissions import can_work_visits
from servicecenter.citizens import service as citizens
from servicecenter.db import local_date, lock_row, unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.web import now, require

log = logging.getLogger(__name__)
SCAN_MODES = ("deliver", "collect")  # the phone's two buttons
# What is scanned on each kind of visit: a setup delivers (and collects again only what it delivered by mistake), a
# swap both, a pickup only collects; a service, training or follow-up visit scans nothing.
SCANS_BY_KIND = {VisitKind.SETUP: SCAN_MODES, VisitKind.SWAP: SCAN_MODES, VisitKind.PICKUP: ("collect",)}
COLLECTS_FROM_HOME = (VisitKind.PICKUP, VisitKind.SWAP)
WORKABLE = door.WORKABLE


@dataclass(frozen=True)
class Answer:
    ok: bool
    text: str
    warning: str | None = None


@bp.get("/my-day")
@require(can_work_visits)
def my_day():
    """Today's published stops in route order; each citizen listed is a read of their data."""
    s = db_session()
    day = local_date(now())
    with unit_of_work(s):
        technician = technicians.technician_of_user(s, current_user.id)
        stops = planning.technician_day(s, technician, day) if technician else []
        citizens.record_listed(s, [v.citizen_id for v in stops], actor=current_user, now=now(),
                               action="citizen.list_route")
    return render_template("dispatch/field_day.html", technician=technician, stops=stops, day=day)


@bp.get("/my-day/visits/<int:visit_id>")
@require(can_work_visits)
def field_visit(visit_id: int):
    return _render_stop(visit_id, FailForm())


def _stop(s: Session, visit_id: int, *, lock: bool = True) -> Visit:
    """The visit (locked for this unit of work: a second tap waits for the first) if it is on the current
    technician's published route; else 404."""
    visit = _visit_or_404(s, visit_id)
    if lock:
        lock_row(s, visit)
    return _on_my_route(s, visit)


def _visit_or_404(s: Session, visit_id: int) -> Visit:
    """A visit that does not exist answers as one on someone else's route: the same 404, no flash, no redirect."""
    visit = s.get(Visit, visit_id)
    if visit is None:
        abort(404)
    return visit


def _on_my_route(s: Session, visit: Visit) -> Visit:
    technician = technicians.technician_of_user(s, current_user.id)
    if technician is None or visit.technician_id != technician.id or visit.published_at is None:
        abort(404)
    return visit


def _render_stop(visit_id: int, fail_form: FailForm, status: int = 200,
                 replacement_form: ReplacementForm | None = None):
    s = db_session()
    with unit_of_work(s):
        visit = _stop(s, visit_id, lock=False)
        access = citizens.open_citizen(s, visit.citizen_id, actor=current_user, now=now(), action="visit.field_view")
        # Key-box codes on the day of the visit only, and each showing logged.
        notes = citizens.show_access_notes(s, access.citizen, actor=current_user, now=now(), where="stop",
                                           entity=("visit", visit.id)) \
            if access.allowed and visit.scheduled_on == local_date(now()) else None
    if not access.allowed:
        abort(404)
    kit = inventory.get_kit(s, visit.kit_id) if visit.kit_id else None
    return render_template(
        "dispatch/field_visit.html", citizen=access.citizen, access_notes=notes, fail_form=fail_form,
        **_stop_lists(s, visit, replacement_form), needs_reservation=allocation.needs_reservation(visit),
        relative=citizens.relative_to_contact(access.citizen) if visit.course.is_sensitive else None,
        checklist=list(visit.course.programme.checklist or []) if visit.kind == VisitKind.SETUP else [],
        scan_modes=SCANS_BY_KIND.get(visit.kind, ()),
        scan_mode="collect" if visit.kind in COLLECTS_FROM_HOME and not kit else "deliver"), status


def _stop_lists(s: Session, visit: Visit, replacement_form: ReplacementForm | None = None) -> dict:
    """What the stop's lists show: the reserved devices (in the home yet?), what to collect, what may be replaced."""
    in_home = inventory.devices_in_home(s, visit.course_id)
    home_tags = {d.tag for d in in_home}
    kit = inventory.get_kit(s, visit.kit_id) if visit.kit_id else None
    replacement_form = replacement_form or ReplacementForm(prefix="replace")
    replacement_form.replaces.choices = [(d.tag, f"{d.tag} {d.model}") for d in door.replaceable(s, visit)]
    return {"visit": visit, "kit_tag": kit.tag if kit else None, "replacement_form": replacement_form,
            "deliver": [(d.tag, str(d.model), d.tag in home_tags) for d in allocation.reserved_devices(s, visit)],
            "collect": _to_collect(s, visit, in_home), "workable": visit.status in WORKABLE}


def _to_collect(s: Session, visit: Visit, in_home: list) -> list[tuple[str, str]]:
    """A pickup collects everything in the home; a swap only the faulty device."""
    if visit.kind not in COLLECTS_FROM_HOME:
        return []
    if visit.kind == VisitKind.SWAP and visit.swap_device_id is not None:
        return [(d.tag, d.model) for d in in_home if d.id == visit.swap_device_id]
    return [(d.tag, d.model) for d in in_home]


def _act(visit_id: int, do: Callable[[Session, Visit], object],
         done_already: Callable[[Session, Visit], bool] | None = None) -> tuple[bool, object]:
    """One unit of work on the locked stop; a refusal is flashed and nothing is saved."""
    s = db_session()
    try:
        with unit_of_work(s):
            visit = _visit_or_404(s, visit_id)
            lock_row(s, visit)
            if done_already is not None and done_already(s, visit):
                return True, None
            return True, do(s, _on_my_route(s, visit))
    except DomainError as error:
        flash(error.translate(gettext), "danger")
        return False, None


@bp.post("/my-day/visits/<int:visit_id>/start")
@require(can_work_visits)
def field_start(visit_id: int):
    ok, _ = _act(visit_id, lambda s, v: visits.start(s, v, actor=current_user, now=now()))
    if ok:
        flash(gettext("The visit has started."), "success")
    return redirect(url_for("dispatch.field_visit", visit_id=visit_id))


@bp.post("/my-day/visits/<int:visit_id>/complete")
@require(can_work_visits)
def field_complete(visit_id: int):
    """Done; on a setup the checklist ticked at the door is the citizen's training record."""
    given = visits.DoorTraining(passed_items=frozenset(request.form.getlist("trained")),
                                note=request.form.get("training_note", "").strip()[:500])
    ok, _ = _act(visit_id, lambda s, v: visits.complete(s, v, actor=current_user, now=now(), training_given=given))
    if not ok:
        return redirect(url_for("dispatch.field_visit", visit_id=visit_id))
    flash(gettext("The visit is done."), "success")
    return redirect(url_for("dispatch.my_day"))


@bp.post("/my-day/visits/<int:visit_id>/fail")
@require(can_work_visits)
def field_fail(visit_id: int):
    form = FailForm()
    if not form.validate_on_submit():
        return _render_stop(visit_id, form, 400)
    reason = FailureReason(form.reason.data)
    ok, outcome = _act(visit_id, lambda s, v: visits.fail(s, v, reason=reason, note=form.note.data or "",
                                                          call_again_on=form.call_again_on.data,
                                                          actor=current_user, now=now()),
                       done_already=lambda s, v: _failed_by_me(s, v, reason))
    if not ok:
        return redirect(url_for("dispatch.field_visit", visit_id=visit_id))
    flash(gettext("The visit went back to the queue (%(reason)s).", reason=gettext(visits.FAILURE_LABELS[reason])),
          "info")
    if outcome is not None and outcome.paused_course:
        flash(gettext("The citizen's course is paused; the helpdesk calls again on %(day)s.",
                      day=format_date(form.call_again_on.data)), "info")
    return redirect(url_for("dispatch.my_day"))


def _failed_by_me(s: Session, visit: Visit, reason: FailureReason) -> bool:
    """The same failure sent twice: the first one put the visit back in the queue, which also took it off this
    technician's route, so the second must be recognised before the route check."""
    if visit.status != VisitStatus.REQUEUED or visit.failure_reason != reason:
        return False
    last_actor = s.scalar(select(VisitEvent.actor_id).where(VisitEvent.visit_id == visit.id)
                          .order_by(VisitEvent.id.desc()).limit(1))
    return last_actor == current_user.id


@bp.post("/my-day/visits/<int:visit_id>/scan")
@require(can_work_visits)
def field_scan(visit_id: int):
    """One code from the scanner (or typed): delivered into the home or collected into the van; green or red."""
    mode = request.form.get("mode", "deliver")
    if mode not in SCAN_MODES:
        abort(400)
    code = request.form.get("code", "").strip()[:40]
    answer = _at_the_door(visit_id, code, lambda s, v: door.scan_at_door(s, v, mode, code, actor=current_user,
                                                                         now=now()))
    return _answered(visit_id, answer)


@bp.post("/my-day/visits/<int:visit_id>/replacement")
@require(can_work_visits)
def field_replacement(visit_id: int):
    """Deliver another device of the same model instead of a reserved one, with the reason: the reservation and
    the kit move to it (audited)."""
    form = ReplacementForm(prefix="replace")
    form.replaces.choices = [(t, t) for t in request.form.getlist("replace-replaces")]
    if not form.validate_on_submit():
        return _render_stop(visit_id, FailForm(), 400, replacement_form=form)
    reason = " — ".join(p for p in (str(form.REASONS[form.reason.data]), form.note.data or "") if p)
    answer = _at_the_door(visit_id, form.code.data, lambda s, v: door.deliver_replacement(
        s, v, replaces=form.replaces.data, code=form.code.data, reason=reason, actor=current_user, now=now()))
    return _answered(visit_id, answer)


def _answered(visit_id: int, answer: Answer):
    """The answer row; with a scan that moved something, the stop's lists again (the page swaps them in)."""
    if request.headers.get("HX-Request"):
        lists = render_template("dispatch/_stop_lists.html", **_stop_lists(
            db_session(), _stop(db_session(), visit_id, lock=False))) if answer.ok else None
        return render_template("dispatch/field_scan_answers.html", answers=[answer],
                               lists_html=Markup(lists) if lists else None)  # noqa: S704 - rendered, escaped
    flash(answer.text, "success" if answer.ok else "danger")
    if answer.warning:
        flash(answer.warning, "warning")
    return redirect(url_for("dispatch.field_visit", visit_id=visit_id))


def _at_the_door(visit_id: int, code: str, do: Callable[[Session, Visit], inventory.ScanResult]) -> Answer:
    s = db_session()
    try:
        with unit_of_work(s):
            result = do(s, _stop(s, visit_id))
    except DomainError as error:
        return Answer(False, error.translate(gettext))
    except SQLAlchemyError:
        log.exception("field scan not saved (request %s)", g.get("request_id"))
        return Answer(False, gettext("%(code)s was not saved (the database was busy). Scan it again.",
                                     code=code[:20]))
    warning = gettext(result.warning, **result.warning_params) if result.warning else None
    return Answer(True, gettext(result.message, **result.params), warning)
