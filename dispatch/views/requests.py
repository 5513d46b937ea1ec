"""The nurse's request: refer a citizen and ask for the setup visit in one submission; her requests' status."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from dispatch.forms import RequestForm
from dispatch.service import visits
from dispatch.views import bp
from servicecenter.auth.permissions import can_request_visits
from servicecenter.citizens import service as citizens
from servicecenter.courses.service import list_programmes
from servicecenter.db import local_date, unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.web import creates, listed_after_render, now, once, page_arg, require, show_error


@bp.route("/request/<int:citizen_id>", methods=["GET", "POST"])
@require(can_request_visits)
@creates(lambda _ref, **_: url_for("dispatch.my_requests"))
def request_setup(citizen_id: int):
    s = db_session()
    with unit_of_work(s):
        access = citizens.open_citizen(s, citizen_id, actor=current_user, now=now(), action="visit.request_form")
    if not access.allowed:
        abort(404)
    form = RequestForm()
    form.programme_id.choices = [(0, gettext("— choose —"))] + [(p.id, p.name) for p in list_programmes(s)]
    status = 200
    if request.method == "GET":
        form.earliest_on.data, form.latest_on.data = visits.default_period(local_date(now()))
        programmes = [p for p, _name in form.programme_id.choices if p]
        usual = visits.usual_programme(s, citizen_id, current_user.organisation_id)
        form.programme_id.data = usual if usual in programmes else (programmes[0] if len(programmes) == 1 else 0)
    if form.validate_on_submit():
        wanted = form.visit_request()
        try:
            with unit_of_work(s):
                once(s, lambda: visits.request_setup(
                    s, citizen_id=citizen_id, programme_id=form.programme_id.data, request=wanted,
                    actor=current_user, now=now(), today=local_date(now())))
        except DomainError as error:
            show_error(error, form)
            status = error.status_code
        else:
            flash(gettext("The request is sent. The course is referred and the setup visit is in the queue."),
                  "success")
            return redirect(url_for("dispatch.my_requests"))
    elif form.errors:
        status = 400
    return render_template("dispatch/request.html", form=form, citizen=access.citizen), status


@bp.get("/requests")
@require(can_request_visits)
def my_requests():
    """The requests of the nurse's organisation (the helpdesk: its own), newest first, with their status."""
    s = db_session()
    per_page = current_app.config["PAGE_SIZE"]
    rows = visits.newest_requests(s, current_user, now(), limit=per_page + 1, offset=(page_arg() - 1) * per_page)
    shown = rows[:per_page]
    html = render_template("dispatch/my_requests.html", visits=shown, has_more=len(rows) > per_page, page=page_arg())
    return listed_after_render(html, [v.citizen_id for v in shown], action="citizen.list_requests")
