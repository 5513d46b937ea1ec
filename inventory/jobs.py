"""Inventory's scheduled jobs: the nightly ledger check and the low-stock check."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from inventory.service import low_stock, verify_ledger
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


JOBS = [
    Job("inventory_verify_ledger", dt.timedelta(days=1), _verify),
    Job("inventory_low_stock", dt.timedelta(hours=1), _low_stock),
]
