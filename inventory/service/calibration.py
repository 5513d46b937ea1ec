"""Calibration and service: when a device is next due, the devices due or overdue, and recording that a device
was calibrated or serviced.

The rule (docs/decisions.md): a device is due on its `calibration_due_on` when one is set (a certificate's date,
or the date given when it was last calibrated); otherwise, when its model has a service interval, on the local
date of its last calibration (or, never calibrated, of its registration) plus the interval; otherwise never.
Lost and scrapped devices are not due: nobody can calibrate them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session, lazyload

from inventory.models import Device, DeviceModel, DeviceStatus, Signoff, SignoffKind
from inventory.transitions import DEVICE_STATUS
from servicecenter.audit.service import record_event
from servicecenter.db import LOCAL_ZONE, local_date
from servicecenter.errors import N_, DomainError

NOT_DUE = frozenset({DeviceStatus.LOST, DeviceStatus.SCRAPPED})
DUE_SOON_DAYS = 30


def next_due(device: Device, last_calibrated_at: dt.datetime | None) -> dt.date | None:
    """The rule, for one device whose last calibration is known."""
    if device.calibration_due_on is not None:
        return device.calibration_due_on
    interval = device.model.service_interval_days
    if not interval:
        return None
    return local_date(last_calibrated_at or device.created_at) + dt.timedelta(days=interval)


def last_calibration(session: Session, device_id: int) -> dt.datetime | None:
    return session.scalar(select(func.max(Signoff.at)).where(Signoff.device_id == device_id,
                                                              Signoff.kind == SignoffKind.CALIBRATION))


def device_due_on(session: Session, device: Device) -> dt.date | None:
    return next_due(device, last_calibration(session, device.id))


@dataclass(frozen=True)
class DueDevice:
    device: Device
    due_on: dt.date
    last_calibrated_at: dt.datetime | None

    def is_overdue(self, today: dt.date) -> bool:
        return self.due_on < today


def _last_calibrated():
    return (select(func.max(Signoff.at)).where(Signoff.device_id == Device.id, Signoff.kind == SignoffKind.CALIBRATION)
            .correlate(Device).scalar_subquery())


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), LOCAL_ZONE).astimezone(dt.UTC)


def _due_by(session: Session, horizon: dt.date):
    """Devices due on or before `horizon`. For a device without its own date the interval is the model's, so each
    model with an interval gets its own cut-off instant (the local day's start), computed here and not in SQL."""
    base = func.coalesce(_last_calibrated(), Device.created_at)
    derived = [and_(Device.model_id == model_id, base < _start_of(horizon - dt.timedelta(days=days - 1)))
               for model_id, days in session.execute(select(DeviceModel.id, DeviceModel.service_interval_days)
                                                     .where(DeviceModel.service_interval_days.is_not(None)))]
    return and_(Device.status.not_in(NOT_DUE), or_(
        and_(Device.calibration_due_on.is_not(None), Device.calibration_due_on <= horizon),
        and_(Device.calibration_due_on.is_(None), or_(*derived) if derived else false())))


def _day_number(session: Session, column):
    """A number of days that orders dates and instants alike (to within the hours between UTC and local time,
    which the page's dates, computed exactly, do not show)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", column) / 86400
    return func.julianday(column) - 2440587.5


def _sort_key(session: Session):
    base = func.coalesce(_last_calibrated(), Device.created_at)
    return func.coalesce(_day_number(session, Device.calibration_due_on),
                         _day_number(session, base) + DeviceModel.service_interval_days)


def list_due(session: Session, *, today: dt.date, within_days: int = DUE_SOON_DAYS, page: int = 1,
             per_page: int = 50) -> tuple[list[DueDevice], bool]:
    """Devices overdue or due within `within_days`, the earliest first."""
    stmt = (select(Device, _last_calibrated()).join(DeviceModel, DeviceModel.id == Device.model_id)
            .where(_due_by(session, today + dt.timedelta(days=within_days)))
            .order_by(_sort_key(session), Device.tag).limit(per_page + 1).offset((page - 1) * per_page))
    rows = [DueDevice(device, next_due(device, last), last) for device, last in session.execute(stmt)]
    return rows[:per_page], len(rows) > per_page


def count_due(session: Session, *, today: dt.date, within_days: int = DUE_SOON_DAYS) -> tuple[int, int]:
    """(overdue, due within the days ahead but not yet overdue)."""
    def count(horizon: dt.date) -> int:
        return session.scalar(select(func.count()).select_from(Device).where(_due_by(session, horizon))) or 0

    overdue = count(today - dt.timedelta(days=1))
    return overdue, count(today + dt.timedelta(days=within_days)) - overdue


def record_calibration(session: Session, device: Device, *, method: str, next_due_on: dt.date | None, actor,
                       now: dt.datetime) -> Device:
    """The device was calibrated or serviced: a sign-off (who, when, how) and its next due date, either the one
    given (a certificate's) or, left empty, the model's interval from today."""
    method = (method or "").strip()
    if not method:
        raise DomainError(N_("Say what was done (the method or the certificate)."), field="method")
    if next_due_on is not None and next_due_on <= local_date(now):
        raise DomainError(N_("The next due date must be after today."), field="next_due_on")
    device = session.scalar(select(Device).options(lazyload(Device.holder)).where(Device.id == device.id)
                            .with_for_update(of=Device).execution_options(populate_existing=True))
    if device.status in NOT_DUE:
        raise DomainError(N_("%(tag)s is %(status)s: it cannot be calibrated."), tag=device.tag,
                          status=DEVICE_STATUS.label(device.status))
    session.add(Signoff(device_id=device.id, kind=SignoffKind.CALIBRATION, method=method[:120], at=now,
                        actor_id=getattr(actor, "id", None)))
    device.calibration_due_on = next_due_on
    record_event(session, actor=actor, action="device.calibrated", entity_type="device", entity_id=device.id,
                 now=now, detail={"method": method[:120], "next_due_on": next_due_on.isoformat() if next_due_on
                                  else None})
    return device
