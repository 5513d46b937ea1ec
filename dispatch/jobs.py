"""Dispatch's scheduled jobs: the daily list of overdue pickups (devices still in the homes of ended courses)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from dispatch.service.journey import overdue_pickups
from servicecenter.db import local_date
from servicecenter.jobs import Job

log = logging.getLogger(__name__)


def _overdue_pickups(session: Session, now: dt.datetime, config: dict) -> str:
    rows, more = overdue_pickups(session, today=local_date(now), days=config["PICKUP_OVERDUE_DAYS"], per_page=200)
    for row in rows:  # course ids only: no personal data in the log
        log.warning("pickup overdue: course %d ended %s, %d devices in the home, %s", row.course.id,
                    row.course.ended_at.date().isoformat(), row.devices,
                    f"pickup visit {row.pickup.id} {row.pickup.status.value}" if row.pickup else "no pickup visit")
    return f"{len(rows)}{'+' if more else ''} overdue"


JOBS = [Job("dispatch_overdue_pickups", dt.timedelta(days=1), _overdue_pickups)]
