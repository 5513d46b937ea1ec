"""Replay the ledger against current state: every device's status and holder must be what its newest movement
says, and it must have exactly one open custody interval, at that holder."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from inventory.models import Custody, Device, Movement


@dataclass(frozen=True)
class Disagreement:
    tag: str
    problem: str


def verify_ledger(session: Session) -> list[Disagreement]:
    ranked = select(
        Movement.device_id, Movement.to_holder_id, Movement.to_status,
        func.row_number().over(partition_by=Movement.device_id,
                               order_by=(Movement.occurred_at.desc(), Movement.id.desc())).label("rank"),
    ).subquery()
    last = select(ranked).where(ranked.c.rank == 1).subquery()
    problems = [
        Disagreement(tag, f"status {status} / holder {holder} but the ledger says {l_status} / {l_holder}")
        for tag, status, holder, l_status, l_holder in session.execute(
            select(Device.tag, Device.status, Device.holder_id, last.c.to_status, last.c.to_holder_id)
            .outerjoin(last, last.c.device_id == Device.id)
            .where(or_(last.c.device_id.is_(None), Device.status != last.c.to_status,
                       Device.holder_id != last.c.to_holder_id))
        )
    ]
    open_custody = (select(Custody.device_id, func.count().label("n"), func.max(Custody.holder_id).label("holder_id"))
                    .where(Custody.ended_at.is_(None)).group_by(Custody.device_id).subquery())
    problems += [
        Disagreement(tag, f"{n or 0} open custody intervals (holder {c_holder}) for holder {holder}")
        for tag, holder, n, c_holder in session.execute(
            select(Device.tag, Device.holder_id, open_custody.c.n, open_custody.c.holder_id)
            .outerjoin(open_custody, open_custody.c.device_id == Device.id)
            .where(or_(open_custody.c.n.is_(None), open_custody.c.n != 1,
                       and_(open_custody.c.n == 1, open_custody.c.holder_id != Device.holder_id)))
        )
    ]
    return sorted(problems, key=lambda d: d.tag)
