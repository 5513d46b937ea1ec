"""The inventory panel on the citizen page: what the citizen holds now, and scanning for each course."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from inventory.models import Custody, Device
from servicecenter.auth.permissions import can_scan, can_view_inventory
from servicecenter.courses.service import list_citizen_courses
from servicecenter.extensions import db_session


def citizen_panel(citizen) -> Markup:
    if not can_view_inventory(current_user):
        return Markup("")
    s = db_session()
    held = list(s.scalars(select(Device).join(Custody, Custody.device_id == Device.id)
                          .where(Custody.citizen_id == citizen.id, Custody.ended_at.is_(None)).order_by(Device.tag)))
    html = render_template("inventory/_citizen_panel.html", citizen=citizen, held=held,
                           courses=list_citizen_courses(s, citizen.id), may_scan=can_scan(current_user))
    return Markup(html)  # noqa: S704 - render_template has already escaped everything in it
