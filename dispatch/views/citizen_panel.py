"""The visits panel on the citizen page: open visits and a button to request a setup visit."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from dispatch.models import Visit
from dispatch.service.visits import OPEN
from servicecenter.auth.permissions import can_dispatch, can_request_visits
from servicecenter.extensions import db_session


def citizen_panel(citizen) -> Markup:
    if not (can_request_visits(current_user) or can_dispatch(current_user)):
        return Markup("")
    # Plain columns only: the visit's eager joins (citizen, course, technician) would load what the panel never shows.
    open_visits = list(db_session().scalars(select(Visit).where(Visit.citizen_id == citizen.id,
                                                                Visit.status.in_(OPEN)).order_by(Visit.id)
                                            .options(lazyload("*"))))
    html = render_template("dispatch/_citizen_panel.html", citizen=citizen, visits=open_visits,
                           may_request=can_request_visits(current_user), may_dispatch=can_dispatch(current_user))
    return Markup(html)  # noqa: S704 - render_template has already escaped everything in it
