"""Dispatch's part of need to know: a technician needs the citizens of the visits assigned to him, from a few days
before the visit's day (to prepare) to a few days after (a question, a forgotten device), while the visit is open
or just done. A cancelled or requeued visit is no longer his."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, select

from dispatch.models import Technician, Visit, VisitStatus
from servicecenter.auth.models import User
from servicecenter.citizens.access import AccessPolicy
from servicecenter.citizens.models import Citizen
from servicecenter.db import local_date

HIS = (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS, VisitStatus.DONE, VisitStatus.FAILED)


def technician_rule(actor: User, now: dt.datetime, policy: AccessPolicy) -> ColumnElement[bool]:
    today = local_date(now)
    return Citizen.id.in_(
        select(Visit.citizen_id).join(Technician, Technician.id == Visit.technician_id).where(
            Technician.user_id == actor.id, Visit.status.in_(HIS),
            Visit.scheduled_on.between(today - dt.timedelta(days=policy.technician_days_after),
                                       today + dt.timedelta(days=policy.technician_days_before))))
