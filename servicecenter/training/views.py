"""Training pages: record a training of the citizen or a relative, follow-ups due, the competence matrix."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from servicecenter.auth.models import Role, User, UserStatus
from servicecenter.auth.permissions import (
    can_record_staff_training,
    can_record_training,
    can_view_competence,
    can_view_follow_ups,
)
from servicecenter.citizens import service as citizens
from servicecenter.courses.service import list_programmes
from servicecenter.courses.views import load_course
from servicecenter.db import LOCAL_ZONE, local_date, unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.inputguards import bounded_int
from servicecenter.training import service
from servicecenter.training.forms import StaffTrainingForm, TrainingForm, checklist_answers, held_at_utc
from servicecenter.training.models import TraineeKind, TrainingMethod, TrainingResult
from servicecenter.web import creates, now, once, page_arg, require, show_error

bp = Blueprint("training", __name__, url_prefix="/training", template_folder="templates")


@bp.app_context_processor
def training_labels():
    return {"method_label": lambda m: gettext(service.METHOD_LABELS[m]),
            "result_label": lambda r: gettext(service.RESULT_LABELS[r]), "today": local_date(now())}


def _trainers(*roles: Role) -> list[tuple[int, str]]:
    """The current user first, then active colleagues of the same organisation in those roles."""
    colleagues = db_session().scalars(select(User).where(
        User.organisation_id == current_user.organisation_id, User.role.in_(roles or service.TRAINABLE_STAFF),
        User.status == UserStatus.ACTIVE, User.id != current_user.id).order_by(User.full_name))
    return [(current_user.id, current_user.full_name)] + [(u.id, u.full_name) for u in colleagues]


def _prepare(form: TrainingForm) -> None:
    form.trainer_id.choices = _trainers()
    if request.method == "GET":
        form.trainer_id.data = current_user.id
        form.held_at.data = now().astimezone(LOCAL_ZONE).replace(tzinfo=None, second=0, microsecond=0)
        form.held_at_default.data = form.held_at.data.strftime("%Y-%m-%dT%H:%M")
        form.result.data = ""


def _data(form: TrainingForm, items: list[str], **trainee) -> service.TrainingData:
    return service.TrainingData(
        trainer_id=form.trainer_id.data, held_at=held_at_utc(form, now()), method=TrainingMethod(form.method.data),
        result=TrainingResult(form.result.data), answers=checklist_answers(request.form, items),
        note=form.note.data or "", **trainee)


def _save(data: service.TrainingData, form: TrainingForm) -> int | None:
    """Record the training in one unit of work: None when saved (flashed), else the error's status (shown)."""
    s = db_session()
    try:
        with unit_of_work(s):
            once(s, lambda: service.record_training(s, data, actor=current_user, now=now()))
    except DomainError as error:
        show_error(error, form)
        return error.status_code
    flash(gettext("The training is recorded."), "success")
    return None


def _status(form: TrainingForm, status: int | None) -> int:
    return 400 if form.errors and status in (None, 200) else status or 200


def _answers_by_item(items: list[str]) -> dict:
    """What was ticked and noted, by item, to show the form again as it was filled in."""
    return {a.item: a for a in checklist_answers(request.form, items)}


@bp.route("/course/<int:course_id>/new", methods=["GET", "POST"])
@require(can_record_training)
@creates(lambda _ref, course_id: url_for("courses.view", course_id=course_id))
def new(course_id: int):
    course = load_course(course_id, "training.form")
    form = TrainingForm()
    form.trainee.choices = [("citizen", gettext("The citizen"))] + [
        (f"contact:{c.id}", f"{c.name} ({c.relation or gettext('relative')})") for c in course.citizen.contacts]
    _prepare(form)
    items, status = list(course.programme.checklist or []), 200
    if form.validate_on_submit():
        kind, _sep, contact = form.trainee.data.partition(":")
        held_at = held_at_utc(form, now())
        models = [m for provider in current_app.extensions.get("course_models", [])
                  for m in provider(db_session(), course.id, held_at)]
        status = _save(_data(form, items, course_id=course.id, device_models=models,
                             trainee_kind=TraineeKind.RELATIVE if kind == "contact" else TraineeKind.CITIZEN,
                             contact_id=int(contact) if contact.isdigit() else None), form)
        if status is None:
            return redirect(url_for("courses.view", course_id=course.id))
    return render_template("training/form.html", form=form, items=items, course=course,
                           answers=_answers_by_item(items)), _status(form, status)


@bp.post("/<int:record_id>/follow-up")
@require(can_record_training)
def follow_up(record_id: int):
    s = db_session()
    record = service.get_record(s, record_id)
    if record.course_id is None:
        return redirect(url_for("training.competence"))
    load_course(record.course_id, "training.follow_up")
    try:
        with unit_of_work(s):
            service.record_follow_up(s, record, held_at=now(), note=request.form.get("note", ""),
                                     actor=current_user, now=now())
    except DomainError as error:
        show_error(error)
    else:
        flash(gettext("The follow-up conversation is recorded."), "success")
    return redirect(url_for("courses.view", course_id=record.course_id))


@bp.get("/follow-ups")
@require(can_view_follow_ups)
def follow_ups():
    """Follow-up conversations to hold: overdue and due within the coming week."""
    s = db_session()
    today = local_date(now())
    with unit_of_work(s):
        rows, has_more = service.follow_ups_due(s, due_by=today + dt.timedelta(days=7), page=page_arg(),
                                                per_page=current_app.config["PAGE_SIZE"])
        citizens.record_listed(s, [course.citizen_id for _r, course in rows], actor=current_user, now=now(),
                               action="citizen.list_follow_ups")
    return render_template("training/follow_ups.html", rows=rows, has_more=has_more, page=page_arg())


@bp.get("/competence")
@require(can_view_competence)
def competence():
    role = Role(request.args["role"]) if request.args.get("role") in {r.value for r in service.TRAINABLE_STAFF} \
        else None
    programmes, rows, has_more = service.competence_matrix(
        db_session(), today=local_date(now()), role=role, page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("training/competence.html", programmes=programmes, rows=rows, has_more=has_more,
                           page=page_arg(), role=role, roles=service.TRAINABLE_STAFF,
                           may_record=can_record_staff_training(current_user))


@bp.route("/staff/new", methods=["GET", "POST"])
@require(can_record_staff_training)
@creates(lambda _ref: url_for("training.competence"))
def new_staff():
    s = db_session()
    form = StaffTrainingForm()
    staff = s.scalars(select(User).where(User.role.in_(service.TRAINABLE_STAFF), User.status == UserStatus.ACTIVE)
                      .order_by(User.full_name))
    form.trainee.choices = [("", gettext("— choose —"))] + [(str(u.id), u.full_name) for u in staff]
    programmes = list_programmes(s)
    form.programme_id.choices = [(0, gettext("— choose —"))] + [(p.id, p.name) for p in programmes]
    _prepare(form)
    if request.method == "GET":
        form.programme_id.data = request.args.get("programme_id", 0, type=bounded_int)
        form.trainee.data = request.args.get("user", "")
    chosen = next((p for p in programmes if p.id == form.programme_id.data), None)
    items, status = (list(chosen.checklist or []) if chosen else []), 200
    if form.validate_on_submit() and chosen is not None:
        status = _save(_data(form, items, trainee_kind=TraineeKind.STAFF, staff_user_id=int(form.trainee.data),
                             programme_id=chosen.id), form)
        if status is None:
            return redirect(url_for("training.competence"))
    return render_template("training/staff_form.html", form=form, items=items, programmes=programmes,
                           answers=_answers_by_item(items)), _status(form, status)
