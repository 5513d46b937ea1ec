"""The inventory panel on the citizen page: what the citizen holds now, and scanning for each course."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from inventory.models import Custody, Device
from inventory.service import held_by_citizen_at
from servicecenter.auth.permissions import can_scan, can_view_inventory
from servicecenter.courses.service import list_citizen_courses
from servicecenter.extensions import db_session


def _local_date_end(value: str) -> dt.datetime | None:
    """The end of a Copenhagen calendar day, in UTC: what the citizen held that day at closing time."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return dt.datetime.combine(day, dt.time(23, 59, 59), ZoneInfo("Europe/Copenhagen")).astimezone(dt.UTC)


def citizen_panel(citizen) -> Markup:
    if not can_view_inventory(current_user):
        return Markup("")
    s = db_session()
    at = _local_date_end(request.args.get("held_on", ""))
    if at is not None:
        held = held_by_citizen_at(s, citizen.id, at)
    else:
        held = list(s.scalars(select(Device).join(Custody, Custody.device_id == Device.id)
                              .where(Custody.citizen_id == citizen.id, Custody.ended_at.is_(None))
                              .order_by(Device.tag)))
    html = render_template("inventory/_citizen_panel.html", citizen=citizen, held=held, held_on=at and
                           request.args.get("held_on"),
                           courses=list_citizen_courses(s, citizen.id), may_scan=can_scan(current_user))
    return Markup(html)  # noqa: S704 - render_template has already escaped everything in it
