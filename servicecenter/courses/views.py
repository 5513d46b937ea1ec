"""Course pages: the course with its lead, training and journey; pausing, resuming and ending (the decisions a person
makes, each with its reason: the state itself follows the journey); the relay handover."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from servicecenter.auth.permissions import (
    can_end_course,
    can_hand_over,
    can_manage_programmes,
    can_pause_course,
    can_record_training,
    can_view_courses,
    can_view_indicators,
)
from servicecenter.citizens import service as citizens
from servicecenter.citizens.guard import load_for_citizen
from servicecenter.courses import service
from servicecenter.courses.forms import DeclineForm, EndCourseForm, OfferLeadForm, PauseForm, ProgrammeForm
from servicecenter.courses.models import Course, EndReason, ExclusionReason, PauseReason
from servicecenter.db import unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.organisations.service import list_organisations
from servicecenter.training.service import list_course_trainings
from servicecenter.web import creates, now, once, rate_limited, require, safe_next, show_error

bp = Blueprint("courses", __name__, url_prefix="/courses", template_folder="templates")
INCLUSION_TARGET = 0.95


def load_course(course_id: int, action: str) -> Course:
    """The course, if this user may see its citizen; opening it is a read of the citizen (one audit row)."""
    return load_for_citizen(lambda s: service.get_course(s, course_id), action)


def devices_in_home(course: Course) -> list:
    """What the ledger says the course's home holds (inventory provides it: rows with .tag and .model)."""
    providers = current_app.extensions.get("course_devices", [])
    return [row for provider in providers for row in provider(db_session(), course.id)]


def course_panels(course: Course) -> list:
    """What the features show on the course page (dispatch: the course's visits and a request for one)."""
    return [panel(course) for panel in current_app.extensions.get("course_panels", [])]


def _offer_form() -> OfferLeadForm:
    form = OfferLeadForm()
    form.to_organisation_id.choices = [(0, gettext("— choose —"))] + [
        (o.id, o.name) for o in list_organisations(db_session(), kinds=service.LEAD_KINDS)]
    return form


@bp.get("/<int:course_id>")
@require(can_view_courses)
@rate_limited("record")
def view(course_id: int):
    course = load_course(course_id, "course.view")
    return _render(course)


def _render(course: Course, *, offer_form: OfferLeadForm | None = None, decline_form: DeclineForm | None = None,
            pause_form: PauseForm | None = None, status: int = 200):
    s = db_session()
    return render_template(
        "courses/view.html", course=course, handover=service.open_handover(s, course),
        offer_form=offer_form or _offer_form(), decline_form=decline_form or DeclineForm(),
        pause_form=pause_form or PauseForm(), trainings=list_course_trainings(s, course.id),
        devices=devices_in_home(course), panels=course_panels(course),
        may_pause=can_pause_course(current_user) and service.may_decide(course, current_user),
        may_end=can_end_course(current_user) and service.may_decide(course, current_user),
        may_hand_over=can_hand_over(current_user), may_train=can_record_training(current_user),
    ), status


@bp.post("/<int:course_id>/pause")
@require(can_pause_course)
def pause(course_id: int):
    """A person pauses the course with a reason (and, for a hospital stay, the day to call again)."""
    course = load_course(course_id, "course.pause")
    form = PauseForm()
    if form.validate_on_submit():
        try:
            with unit_of_work(db_session()):
                service.pause_course(db_session(), course, reason=PauseReason(form.reason.data),
                                     note=form.note.data or "", call_again_on=form.call_again_on.data,
                                     actor=current_user, now=now())
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The course is paused."), "success")
            return redirect(url_for("courses.view", course_id=course_id))
    return _render(course, pause_form=form, status=400)


@bp.post("/<int:course_id>/resume")
@require(can_pause_course)
def resume(course_id: int):
    course = load_course(course_id, "course.resume")
    try:
        with unit_of_work(db_session()):
            service.resume_course(db_session(), course, actor=current_user, now=now())
    except DomainError as error:
        show_error(error)
    else:
        flash(gettext("The course is resumed: it is “%(status)s”.",
                      status=gettext(service.COURSE_STATUS.labels[course.status])), "success")
    return redirect(safe_next(request.form.get("next"), url_for("courses.view", course_id=course_id)))


@bp.route("/<int:course_id>/end", methods=["GET", "POST"])
@require(can_end_course)
def end(course_id: int):
    """Ending lists what is still in the home; those devices are due for pickup (dispatch makes the pickup visit in
    the same transaction) and move only when scanned."""
    course = load_course(course_id, "course.end")
    service.check_may_decide(course, current_user)  # refused before the form is filled in, not after
    form, status = EndCourseForm(), 200
    if form.validate_on_submit():
        try:
            with unit_of_work(db_session()):
                service.end_course(db_session(), course, reason=EndReason(form.reason.data), actor=current_user,
                                   exclusion_reason=ExclusionReason(form.exclusion_reason.data)
                                   if form.exclusion_reason.data else None, now=now())
        except DomainError as error:
            show_error(error, form)
            status = error.status_code
        else:
            flash(gettext("The course has ended."), "success")
            return redirect(url_for("courses.view", course_id=course_id))
    status = 400 if form.errors and status == 200 else status
    return render_template("courses/end.html", course=course, form=form, devices=devices_in_home(course)), status


@bp.post("/<int:course_id>/handover")
@require(can_hand_over)
@creates(lambda _ref, course_id: url_for("courses.view", course_id=course_id))
def offer(course_id: int):
    course = load_course(course_id, "course.handover")
    form = _offer_form()
    if form.validate_on_submit():
        try:
            with unit_of_work(db_session()):
                once(db_session(), lambda: service.offer_lead(
                    db_session(), course, to_organisation_id=form.to_organisation_id.data, actor=current_user,
                    now=now()))
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The lead is offered. It moves when the other organisation accepts."), "success")
            return redirect(url_for("courses.view", course_id=course_id))
    return _render(course, offer_form=form, status=400)


@bp.post("/handovers/<int:handover_id>/answer")
@require(can_hand_over)
def answer(handover_id: int):
    s = db_session()
    handover = service.get_handover(s, handover_id)
    course = load_course(handover.course_id, "course.handover_answer")
    form = DeclineForm()
    if request.form.get("answer") not in ("accept", "decline"):
        abort(400)
    accept = request.form["answer"] == "accept"
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                service.answer_handover(s, handover, accept=accept, reason=None if accept else form.reason.data,
                                        actor=current_user, now=now())
        except DomainError as error:
            show_error(error, form)
        else:
            if accept:
                flash(gettext("You now lead the course."), "success")
                return redirect(url_for("courses.view", course_id=course.id))
            flash(gettext("The handover is declined."), "success")  # the course may no longer be ours to see
            return redirect(url_for("courses.handovers"))
    return _render(course, decline_form=form, status=400)


@bp.post("/handovers/<int:handover_id>/withdraw")
@require(can_hand_over)
def withdraw(handover_id: int):
    s = db_session()
    handover = service.get_handover(s, handover_id)
    load_course(handover.course_id, "course.handover_withdraw")
    try:
        with unit_of_work(s):
            service.withdraw_handover(s, handover, actor=current_user, now=now())
    except DomainError as error:
        show_error(error)
    else:
        flash(gettext("The offer is withdrawn."), "success")
    return redirect(url_for("courses.view", course_id=handover.course_id))


@bp.get("/handovers")
@require(can_hand_over)
def handovers():
    """Handovers offered to my organisation and waiting for our answer, and the ones we offered."""
    s = db_session()
    with unit_of_work(s):
        incoming, outgoing = service.handovers_of(s, current_user.organisation_id)
        citizens.record_listed(s, [h.course.citizen_id for h in incoming + outgoing], actor=current_user,
                               now=now(), action="citizen.list_handovers")
    return render_template("courses/handovers.html", incoming=incoming, outgoing=outgoing, decline_form=DeclineForm())


@bp.app_context_processor
def course_labels():
    return {"course_actions": _course_actions,
            "end_reason_label": lambda r: gettext(service.END_REASON_LABELS[r]),
            "exclusion_reason_label": lambda r: gettext(service.EXCLUSION_REASON_LABELS[r]),
            "pause_reason_label": lambda r: gettext(service.PAUSE_REASON_LABELS[r])}


def _course_actions(course: Course, purpose: str) -> list[tuple[str, str]]:
    """(label, url) links the features offer for a course and a purpose (dispatch: book the follow-up visit)."""
    return [link for provider in current_app.extensions.get("course_actions", []) for link in provider(course, purpose)]


# --- programmes and the inclusion rate ---------------------------------------------------------------------


@bp.get("/programmes")
@require(can_manage_programmes)
def programmes():
    return render_template("courses/programmes.html", programmes=service.list_programmes(db_session()))


@bp.route("/programmes/new", methods=["GET", "POST"], defaults={"programme_id": None})
@bp.route("/programmes/<int:programme_id>", methods=["GET", "POST"])
@require(can_manage_programmes)
@creates(lambda _ref, **_: url_for("courses.programmes"))
def edit_programme(programme_id: int | None):
    s = db_session()
    programme = service.get_programme(s, programme_id) if programme_id else None
    form = ProgrammeForm(obj=programme)
    if request.method == "GET" and programme is not None:
        form.checklist.data = "\n".join(programme.checklist or [])
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                once(s, lambda: service.save_programme(
                    s, programme, code=form.code.data, name=form.name.data, follow_up_days=form.follow_up_days.data,
                    competence_months=form.competence_months.data, checklist=(form.checklist.data or "").splitlines(),
                    actor=current_user, now=now()))
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The programme is saved."), "success")
            return redirect(url_for("courses.programmes"))
    panels = [panel(programme) for panel in current_app.extensions.get("programme_panels", [])] if programme else []
    return render_template("courses/programme_form.html", form=form, programme=programme, panels=panels), (
        400 if form.errors else 200)


@bp.get("/inclusion")
@require(can_view_indicators)
def inclusion():
    """The inclusion rate (target at least 95 %) per programme and municipality, from the courses themselves."""
    rows = [(programme, municipality, total, excluded, (total - excluded) / total)
            for programme, municipality, total, excluded in service.inclusion_rates(db_session())]
    return render_template("courses/inclusion.html", rows=rows, target=INCLUSION_TARGET)
