"""The helpdesk's side of relatives' access: on the citizen's page, the grants she has given and a form to give or
withdraw one on her behalf (she asked on the phone). Every change is audited with the agent as actor."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup

from portal.service import grants
from portal.views import bp, grant_form
from servicecenter.auth.permissions import can_grant_portal_access
from servicecenter.citizens.service import open_citizen
from servicecenter.db import local_date, unit_of_work
from servicecenter.errors import DomainError, NotFound
from servicecenter.extensions import db_session
from servicecenter.web import now, require


def citizen_panel(citizen) -> Markup:
    if not can_grant_portal_access(current_user):
        return Markup("")
    return Markup(_panel(citizen, {}))  # noqa: S704 - render_template has already escaped everything in it


def _panel(citizen, errors: dict) -> str:
    today = local_date(now())
    return render_template("portal/_staff_panel.html", citizen=citizen,
                           grants=grants.grants_of(db_session(), citizen.id), relatives=grants.relatives_of(citizen),
                           scopes=grants.SCOPE_LABELS, errors=errors, form=request.form, today=today,
                           latest=today + dt.timedelta(days=grants.MAX_DAYS),
                           action=url_for("portal.staff_access", citizen_id=citizen.id))


@bp.post("/staff/citizens/<int:citizen_id>/access")
@require(can_grant_portal_access)
def staff_access(citizen_id: int):
    s = db_session()
    try:
        with unit_of_work(s):
            access = open_citizen(s, citizen_id, actor=current_user, now=now(), action="citizen.view")
            if not access.allowed:
                raise NotFound("")
            if request.form.get("withdraw"):
                grant_id = request.form["withdraw"]
                grant = grants.get_grant(s, citizen_id, int(grant_id) if grant_id.isdigit() else 0)
                grants.withdraw(s, grant, actor=current_user, now=now())
                flash(gettext("Access withdrawn from %(name)s.", name=grant.relative_name), "success")
            else:
                grant = grants.grant_access(s, access.citizen, **grant_form(), actor=current_user, now=now())
                flash(gettext("%(name)s now has access until %(until)s.", name=grant.relative_name,
                              until=grant.valid_until.strftime("%d.%m.%Y")), "success")
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(error.translate(gettext), "danger")
    return redirect(url_for("citizens.view", citizen_id=citizen_id) + "#relatives-access")
