"""The inventory panel on the citizen page: what the citizen holds now, and scanning for each course."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_login import current_user
from markupsafe import Markup

from inventory.service import devices_in_home, held_by_citizen_at
from servicecenter.auth.permissions import can_hand_over_outside_visit, can_view_inventory
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
    held = held_by_citizen_at(s, citizen.id, at) if at is not None else devices_in_home(s, citizen_id=citizen.id)
    html = render_template("inventory/_citizen_panel.html", citizen=citizen, held=held, held_on=at and
                           request.args.get("held_on"),
                           courses=[c for c in list_citizen_courses(s, citizen.id)
                                    if c.activated_at is not None and c.end_reason is None],
                           may_scan=can_hand_over_outside_visit(current_user))
    return Markup(html)  # noqa: S704 - render_template has already escaped everything in it
