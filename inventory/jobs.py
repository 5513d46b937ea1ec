"""Inventory's scheduled jobs: the nightly ledger check, the low-stock check and the daily calibration/service due
report."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from inventory.service import count_due, list_due, low_stock, verify_ledger
from servicecenter.db import local_date
from servicecenter.jobs import Job

log = logging.getLogger(__name__)


def _verify(session: Session, _now: dt.datetime, _config: dict) -> str:
    problems = verify_ledger(session)
    for problem in problems[:50]:
        log.error("ledger disagreement: %s %s", problem.tag, problem.problem)
    return f"{len(problems)} disagreements"


def _low_stock(session: Session, _now: dt.datetime, _config: dict) -> str:
    lines = low_stock(session)
    for line in lines:
        log.warning("low stock: %s %s %d/%d", line.depot.name, line.programme.code, line.ready_kits, line.minimum)
    return f"{len(lines)} low"


def _calibration_due(session: Session, now: dt.datetime, _config: dict) -> str:
    """Report the devices overdue for calibration or service (each by tag: no personal data) and how many fall due
    within the coming days; the list is on the inventory's "Calibration due" page."""
    today = local_date(now)
    overdue, soon = count_due(session, today=today)
    rows, _more = list_due(session, today=today, within_days=-1, per_page=50)
    for row in rows:
        log.warning("calibration/service overdue: %s (%s) due %s", row.device.tag, row.device.model.model_number,
                    row.due_on.isoformat())
    return f"{overdue} overdue, {soon} due soon"


JOBS = [
    Job("inventory_verify_ledger", dt.timedelta(days=1), _verify),
    Job("inventory_low_stock", dt.timedelta(hours=1), _low_stock),
    Job("inventory_calibration_due", dt.timedelta(days=1), _calibration_due),
]
