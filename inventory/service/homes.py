"""The devices in a citizen's home now, by the ledger's open custody: the one answer every page, service and check
uses (a course's home, or all the homes of a citizen's courses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.models import Custody, Device, DeviceCategory, DeviceModel, Holder, HolderKind


@dataclass(frozen=True)
class HomeDevice:
    id: int
    tag: str
    model: str  # the model's name
    model_id: int
    category: DeviceCategory
    course_id: int
    kit_id: int | None
    since: dt.datetime  # in the home since


def devices_in_home(session: Session, course_id: int | None = None, *, citizen_id: int | None = None
                    ) -> list[HomeDevice]:
    """The devices in the home of one course, or of every course of one citizen, by model name and tag."""
    if (course_id is None) == (citizen_id is None):
        raise ValueError("give a course or a citizen")
    condition = Holder.course_id == course_id if course_id is not None else Custody.citizen_id == citizen_id
    rows = session.execute(
        select(Device.id, Device.tag, DeviceModel.name, DeviceModel.id, DeviceModel.category, Holder.course_id,
               Device.kit_id, Custody.started_at)
        .join(Custody, Custody.device_id == Device.id).join(Holder, Holder.id == Custody.holder_id)
        .join(DeviceModel, DeviceModel.id == Device.model_id)
        .where(condition, Custody.ended_at.is_(None), Holder.kind == HolderKind.COURSE)
        .order_by(DeviceModel.name, Device.tag))
    return [HomeDevice(*row) for row in rows]


def home_of_device(session: Session, device_id: int) -> Holder | None:
    """The citizen's home the device is in now, if it is in one."""
    return session.scalar(select(Holder).join(Custody, Custody.holder_id == Holder.id)
                          .where(Custody.device_id == device_id, Custody.ended_at.is_(None),
                                 Holder.kind == HolderKind.COURSE))


def home_facts(session: Session, course_ids: Sequence[int]) -> dict[int, dict]:
    """The journey's facts inventory knows: how many devices each course's home holds now (one grouped query)."""
    rows = session.execute(
        select(Holder.course_id, func.count()).join(Custody, Custody.holder_id == Holder.id)
        .where(Holder.course_id.in_(course_ids), Custody.ended_at.is_(None)).group_by(Holder.course_id))
    return {course_id: {"devices_in_home": count} for course_id, count in rows}
