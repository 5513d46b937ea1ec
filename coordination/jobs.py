"""Coordination's jobs: the indicator cells kept fresh (this month and last every hour, the last 13 months every
night, so back-dated events land in their month), the monthly report made on the first working day, and the stages of
the devices that do not come back (each taken on its working day)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from coordination.service import non_returns
from coordination.service.figures import recent_months, refresh
from coordination.service.reports import due_report_month, generate
from servicecenter.jobs import Job


def _refresh(newest: int, oldest: int):
    """Months `newest` to `oldest` back (0: this month). The nightly job leaves the two the hourly one keeps: its
    slot (midnight) would otherwise set this month's figures back to an older moment."""
    def run(session: Session, now: dt.datetime, config: dict) -> str:
        grace = config["COORDINATION_PICKUP_GRACE_DAYS"]
        months = recent_months(now, oldest + 1)[: oldest + 1 - newest]
        cells = sum(refresh(session, first, now=now, pickup_grace_days=grace) for first in months)
        return f"{len(months)} months, {cells} cells"
    return run


def _monthly_report(session: Session, now: dt.datetime, config: dict) -> str:
    month = due_report_month(session, now)
    if month is None:
        return "no report due"
    report = generate(session, month, actor=None, now=now, config=config)
    return f"report {month:%Y-%m} drafted with {len(report.deviations)} deviations"


def _non_returns(session: Session, now: dt.datetime, config: dict) -> str:
    counts = non_returns.run(session, now=now, config=config)
    return ", ".join(f"{n} {what}" for what, n in counts.items())


JOBS = [
    Job("indicators_recent", dt.timedelta(hours=1), _refresh(0, 1)),
    Job("indicators_year", dt.timedelta(hours=24), _refresh(2, 12)),
    Job("monthly_report", dt.timedelta(hours=6), _monthly_report),
    Job("non_returns", dt.timedelta(hours=1), _non_returns),
]
