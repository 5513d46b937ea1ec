"""Dispatch's scheduled jobs: the daily list of overdue pickups (devices still in the homes of ended courses), and
the citizens' reminders before their visits (texts, within the hours texts are sent)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from dispatch.service.journey import overdue_pickups
from dispatch.service.messages import send_reminders
from servicecenter.db import LOCAL_ZONE, local_date
from servicecenter.jobs import Job

log = logging.getLogger(__name__)


def _overdue_pickups(session: Session, now: dt.datetime, config: dict) -> str:
    rows, more = overdue_pickups(session, today=local_date(now), days=config["PICKUP_OVERDUE_DAYS"], per_page=200)
    for row in rows:  # course ids only: no personal data in the log
        log.warning("pickup overdue: course %d ended %s, %d devices in the home, %s", row.course.id,
                    row.course.ended_at.date().isoformat(), row.devices,
                    f"pickup visit {row.pickup.id} {row.pickup.status.value}" if row.pickup else "no pickup visit")
    return f"{len(rows)}{'+' if more else ''} overdue"


def _visit_reminders(session: Session, now: dt.datetime, config: dict) -> str:
    """Every hour; texts are written only within VISIT_REMINDER_HOURS (local time), once per visit and booking
    however many runs see it (the first run of the day writes them, later ones find them written)."""
    first, last = config["VISIT_REMINDER_HOURS"]
    if not first <= now.astimezone(LOCAL_ZONE).hour < last:
        return "outside the hours texts are sent"
    reminded = send_reminders(session, now=now, pickup_days=config["PICKUP_REMINDER_DAYS"])
    return f"{reminded.day_before} reminders, {reminded.pickups} pickup reminders"


JOBS = [Job("dispatch_overdue_pickups", dt.timedelta(days=1), _overdue_pickups),
        Job("dispatch_visit_reminders", dt.timedelta(hours=1), _visit_reminders)]
