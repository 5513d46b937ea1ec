"""Devices that do not come back: the open cases (the helpdesk's calls, the coordinator's escalations and write-offs
to approve), one case with its history and the decisions, and the panel on a device's page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup

from coordination.forms import NonReturnDecisionForm
from coordination.models import OPEN_STAGES, NonReturnEventKind, NonReturnStage
from coordination.service import non_returns as service
from inventory.service.homes import devices_in_home
from servicecenter.auth.permissions import can_follow_non_returns, can_write_off
from servicecenter.citizens.models import Citizen
from servicecenter.citizens.service import record_listed
from servicecenter.db import unit_of_work
from servicecenter.errors import N_, DomainError
from servicecenter.extensions import db_session
from servicecenter.forms import expected_version
from servicecenter.web import now, page_arg, require, show_error

bp = Blueprint("non_returns", __name__, url_prefix="/coordination/non-returns", template_folder="templates")

PER_PAGE = 50
STAGE_LABELS = {
    NonReturnStage.REMINDED: N_("Reminded"), NonReturnStage.REMINDED_AGAIN: N_("Reminded twice"),
    NonReturnStage.ESCALATED: N_("With the coordinator"), NonReturnStage.WRITE_OFF_PROPOSED: N_("Write-off proposed"),
    NonReturnStage.RETURNED: N_("Returned"), NonReturnStage.WRITTEN_OFF: N_("Written off as lost"),
}
EVENT_LABELS = {
    NonReturnEventKind.OPENED: N_("Case opened"), NonReturnEventKind.REMINDER: N_("Reminder sent by SMS"),
    NonReturnEventKind.CALL_TASK: N_("No mobile number: the helpdesk is asked to call (ticket)"),
    NonReturnEventKind.ESCALATED: N_("Escalated to the coordinator"),
    NonReturnEventKind.WRITE_OFF_PROPOSED: N_("Write-off proposed"),
    NonReturnEventKind.WRITE_OFF_REJECTED: N_("Write-off rejected"),
    NonReturnEventKind.WRITTEN_OFF: N_("Written off as lost"), NonReturnEventKind.RETURNED: N_("Every device is back"),
    NonReturnEventKind.FOUND: N_("Reported found: a pickup is being booked"),
}
NEXT_STEP_LABELS = {  # what the job does on `next_step_on`
    NonReturnStage.REMINDED: N_("Second reminder"), NonReturnStage.REMINDED_AGAIN: N_("Escalation to the coordinator"),
    NonReturnStage.ESCALATED: N_("Write-off proposed"),
}
TRIGGER_LABELS = {"course_ended": N_("The course ended and the devices stayed in the home"),
                  "pickup_failed": N_("A pickup failed")}


def _labels() -> dict:
    return {"stage_label": lambda s: gettext(STAGE_LABELS[s]), "event_label": lambda k: gettext(EVENT_LABELS[k]),
            "trigger_label": lambda t: gettext(TRIGGER_LABELS.get(t, t)),
            "next_step_label": lambda s: gettext(NEXT_STEP_LABELS[s]) if s in NEXT_STEP_LABELS else ""}


@bp.get("/")
@require(can_follow_non_returns)
def index():
    s, stage, trigger = db_session(), request.args.get("stage") or None, request.args.get("trigger") or None
    with unit_of_work(s):  # the citizens named on the page are read: logged in the same transaction
        rows, has_next, open_total = service.list_cases(s, actor=current_user, now=now(), stage=stage,
                                                        trigger=trigger, page=page_arg(), per_page=PER_PAGE)
        record_listed(s, sorted({r.case.citizen_id for r in rows}), actor=current_user, now=now(),
                      action="non_return.list")
    return render_template("coordination/non_returns.html", rows=rows, has_next=has_next, open_total=open_total,
                           stage=stage, stages=list(NonReturnStage), trigger=trigger, triggers=TRIGGER_LABELS,
                           page=page_arg(), open_stages=OPEN_STAGES, **_labels())


@bp.get("/<int:case_id>")
@require(can_follow_non_returns)
def case(case_id: int):
    return _case_page(case_id)


def _case_page(case_id: int, form: NonReturnDecisionForm | None = None, status: int = 200):
    s = db_session()
    with unit_of_work(s):
        found = service.get_case(s, case_id, actor=current_user, now=now())
        record_listed(s, [found.citizen_id], actor=current_user, now=now(), action="non_return.view")
    return render_template(
        "coordination/non_return.html", case=found, events=service.history(s, found.id),
        devices=devices_in_home(s, found.course_id), citizen=s.get(Citizen, found.citizen_id),
        form=form or NonReturnDecisionForm(data={"version": found.version}),
        may_decide=can_write_off(current_user), may_follow=can_follow_non_returns(current_user),
        is_open=found.stage in OPEN_STAGES, **_labels()), status



def _decide(case_id: int, decision, done: str):
    s, form = db_session(), NonReturnDecisionForm()
    found = service.get_case(s, case_id, actor=current_user, now=now())
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                decision(s, found, form)
            flash(gettext(done), "success")
            return redirect(url_for("non_returns.case", case_id=case_id))
        except DomainError as error:
            show_error(error, form)
            s.rollback()
    return _case_page(case_id, form, 400)


@bp.post("/<int:case_id>/propose")
@require(can_write_off)
def propose(case_id: int):
    return _decide(case_id, lambda s, c, f: service.propose_write_off(
        s, c, actor=current_user, now=now(), note=f.note.data or "", expected_version=expected_version(f)),
        N_("The write-off is proposed; another coordinator approves it."))


@bp.post("/<int:case_id>/approve")
@require(can_write_off)
def approve(case_id: int):
    return _decide(case_id, lambda s, c, f: service.approve_write_off(
        s, c, actor=current_user, now=now(), note=f.note.data or "", expected_version=expected_version(f)),
        N_("The devices still in the home are written off as lost."))


@bp.post("/<int:case_id>/reject")
@require(can_write_off)
def reject(case_id: int):
    return _decide(case_id, lambda s, c, f: service.reject_write_off(
        s, c, actor=current_user, now=now(), note=f.note.data or "", expected_version=expected_version(f),
        stages=service.Stages.from_config(current_app.config)),
        N_("The write-off is rejected; the case waits another round."))


@bp.post("/<int:case_id>/escalate")
@require(can_follow_non_returns)
def escalate(case_id: int):
    return _decide(case_id, lambda s, c, f: service.escalate_now(
        s, c, actor=current_user, now=now(), note=f.note.data or "", expected_version=expected_version(f),
        stages=service.Stages.from_config(current_app.config)),
        N_("The case is escalated to the coordinator; the reminders left are skipped."))


@bp.post("/<int:case_id>/found")
@require(can_follow_non_returns)
def found(case_id: int):
    return _decide(case_id, lambda s, c, f: service.mark_found(
        s, c, actor=current_user, now=now(), note=f.note.data or "", expected_version=expected_version(f),
        stages=service.Stages.from_config(current_app.config)),
        N_("Noted as found. Book the pickup; the case closes when the devices are scanned in."))


def device_panel(device) -> Markup:
    """On a device's page: the non-return cases it was part of, stage by stage (no citizen named)."""
    events = service.device_history(db_session(), device.id)
    if not events:
        return Markup("")
    html = render_template("coordination/_device_non_returns.html", events=events,
                           may_open=can_follow_non_returns(current_user), **_labels())
    return Markup(html)  # noqa: S704 - render_template has already escaped everything in it
