"""Support's scheduled job: escalate tickets whose SLA deadline has passed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from servicecenter.jobs import Job
from support.service.escalation import escalate_breached


def _escalate(session: Session, now: dt.datetime, _config: dict) -> str:
    return f"{len(escalate_breached(session, now=now))} escalated"


JOBS = [Job("support_escalate_breached", dt.timedelta(minutes=5), _escalate)]
