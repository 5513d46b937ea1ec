"""Replay the ledger against current state: every device's status and holder must be what its newest movement
says, and it must have exactly one open custody interval, at that holder; every kit's kept readiness must be what
its members say. And the reservations: a device set aside
for a home is still on its way there (on a shelf or in a van), and what another feature says is reserved for a home
(dispatch: a setup visit's kit, a swap's replacement) is reserved for that home or already in it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from inventory.models import Custody, Device, DeviceStatus, Holder, HolderKind, Movement
from inventory.service import readiness
from servicecenter.courses.models import Course

# name -> claims(session) -> ([(kit id, course id, what)], [(device id, course id, what)]): the kits and devices another
# feature counts on for a course's home (dispatch: a setup's kit, a swap's replacement).
ReservationClaims = Callable[[Session], tuple[Iterable[tuple[int, int, str]], Iterable[tuple[int, int, str]]]]
CLAIMS: dict[str, ReservationClaims] = {}
ON_THE_WAY = (DeviceStatus.RESERVED, DeviceStatus.IN_VAN)


def add_reservation_claims(name: str, claims: ReservationClaims) -> None:
    CLAIMS[name] = claims


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
    problems += verify_reservations(session)
    problems += [Disagreement(tag, f"kit kept as ready at holder {kept} but its members say {derived}")
                 for tag, kept, derived in readiness.disagreements(session)]
    return sorted(problems, key=lambda d: d.tag)


def verify_reservations(session: Session) -> list[Disagreement]:
    home = aliased(Holder)
    problems = [
        Disagreement(tag, f"reserved for {home_name} but {status.value} at holder {holder}")
        for tag, status, holder, home_name in session.execute(
            select(Device.tag, Device.status, Device.holder_id, home.name).join(home, home.id == Device.reserved_for_id)
            .where(Device.status.not_in(ON_THE_WAY)))
    ]
    problems += [Disagreement(tag, "status reserved but reserved for no home") for tag in session.scalars(
        select(Device.tag).where(Device.status == DeviceStatus.RESERVED, Device.reserved_for_id.is_(None)))]
    problems += [
        Disagreement(tag, f"reserved for {home_name}, which is not an open course's home")
        for tag, home_name in session.execute(
            select(Device.tag, home.name).join(home, home.id == Device.reserved_for_id)
            .outerjoin(Course, Course.id == home.course_id)
            .where(or_(home.kind != HolderKind.COURSE, Course.end_reason.is_not(None))))
    ]
    return problems + _broken_claims(session)


def _broken_claims(session: Session) -> list[Disagreement]:
    """Each claimed device is reserved for the claiming course's home, or already in it."""
    claims: list[tuple[Device, int | None, str]] = []
    for source in CLAIMS.values():
        kits, devices = source(session)
        claims += _claimed(session, list(kits), Device.kit_id) + _claimed(session, list(devices), Device.id)
    return [Disagreement(d.tag, f"{what} (home {home_id}) but reserved for {d.reserved_for_id} and "
                         f"{d.status.value} at holder {d.holder_id}")
            for d, home_id, what in claims if not _serves(d, home_id)]


def _claimed(session: Session, claims: list[tuple[int, int, str]], key) -> list[tuple[Device, int | None, str]]:
    if not claims:
        return []
    homes = dict(session.execute(select(Holder.course_id, Holder.id).where(
        Holder.course_id.in_({course for _k, course, _w in claims}))).all())
    by_key = {k: (homes.get(course), what) for k, course, what in claims}
    return [(d, *by_key[getattr(d, key.key)]) for d in session.scalars(select(Device).where(key.in_(by_key)))]


def _serves(device: Device, home_id: int) -> bool:
    """On its way to that home (reserved for it, on a shelf or in a van), or already there."""
    on_the_way = device.reserved_for_id == home_id and device.status in ON_THE_WAY
    return on_the_way or (device.holder_id == home_id and device.status == DeviceStatus.AT_CITIZEN)
