"""Visits where they arise: the course page's panel (the course's visits, and a request for a service, training or
follow-up visit) and the request form, also reached from a follow-up that falls due."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup

from dispatch.forms import VisitForm
from dispatch.models import VisitKind
from dispatch.service import visits
from dispatch.views import bp
from servicecenter.auth.permissions import can_dispatch, can_request_visits
from servicecenter.citizens.guard import load_for_citizen
from servicecenter.courses import service as courses
from servicecenter.db import local_date, unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.web import creates, now, once, require, show_error

ARISING = (VisitKind.SERVICE, VisitKind.TRAINING, VisitKind.FOLLOW_UP)
can_ask_for_visits = can_request_visits | can_dispatch


def course_panel(course) -> Markup:
    """The course's visits, newest first, and a button to request one while the course runs."""
    if not can_ask_for_visits(current_user):
        return Markup("")
    html = render_template("dispatch/_course_panel.html", course=course,
                           visits=visits.visits_of_course(db_session(), course.id),
                           may_request=course.end_reason is None, may_dispatch=can_dispatch(current_user))
    return Markup(html)  # noqa: S704 - render_template has already escaped everything in it


def course_actions(course, purpose: str) -> list[tuple[str, str]]:
    """Links other pages offer for a course: a follow-up that falls due offers to book the follow-up visit."""
    if not can_ask_for_visits(current_user) or course.end_reason is not None or purpose not in set(VisitKind):
        return []
    return [(gettext("Book a visit"), url_for("dispatch.new_visit", course_id=course.id, kind=purpose))]


@bp.route("/courses/<int:course_id>/visits/new", methods=["GET", "POST"])
@require(can_ask_for_visits)
@creates(lambda ref, course_id: url_for("dispatch.visit", visit_id=ref) if can_dispatch(current_user)
         else url_for("courses.view", course_id=course_id))
def new_visit(course_id: int):
    course = load_for_citizen(lambda s: courses.get_course(s, course_id), "visit.request_form")
    form = VisitForm()
    form.kind.choices = [(k.value, gettext(visits.KIND_LABELS[k])) for k in ARISING]
    if request.method == "GET":
        _defaults(form)
    status = 200
    if form.validate_on_submit():
        try:
            with unit_of_work(db_session()):
                visit = once(db_session(), lambda: visits.create_visit(
                    db_session(), course, VisitKind(form.kind.data), form.visit_request(), actor=current_user,
                    now=now(), today=local_date(now())))
        except DomainError as error:
            show_error(error, form)
            status = error.status_code
        else:
            flash(gettext("The visit is in the queue."), "success")
            return redirect(url_for("dispatch.visit", visit_id=visit.id) if can_dispatch(current_user)
                            else url_for("courses.view", course_id=course_id))
    elif form.errors:
        status = 400
    return render_template("dispatch/new_visit.html", form=form, course=course), status


def _defaults(form: VisitForm) -> None:
    kind = request.args.get("kind") or VisitKind.SERVICE.value
    if kind not in {k.value for k in ARISING}:
        abort(400)
    today = local_date(now())
    form.kind.data = kind
    form.earliest_on.data, form.latest_on.data = visits.default_period(today)
