"""The portal's job: end sessions past their limits and forget old codes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from portal.service.signin import Limits, tidy
from servicecenter.jobs import Job


def _tidy(session: Session, now: dt.datetime, config: dict) -> str:
    ended, forgotten = tidy(session, now=now, limits=Limits.from_config(config))
    return f"ended {ended} portal sessions, forgot {forgotten} codes"


JOBS = [Job("portal_tidy", dt.timedelta(hours=1), _tidy)]
