"""Demo data for dispatch: depot locations, three technicians with weekday shifts and programme training, and
setup requests for some Aarhus citizens, a few booked on the next weekday (ready to optimise)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import Technician, TimeOfDay
from dispatch.service import allocation, technicians, visits
from inventory import service as inventory
from inventory.models import Device, DeviceStatus, Holder, HolderKind, KitTemplate
from servicecenter.auth import service as auth
from servicecenter.auth.models import Role, User
from servicecenter.citizens.models import Citizen
from servicecenter.courses.models import Programme
from servicecenter.db import local_date
from servicecenter.demo import demo_password
from servicecenter.organisations.models import Organisation, OrganisationKind
from servicecenter.training import service as training
from servicecenter.training.models import TraineeKind, TrainingMethod, TrainingResult

DEPOTS = {"Lager Aarhus": (56.1496, 10.1901), "Lager Herning": (56.1393, 8.9738)}
EXTRA_TECHNICIANS = [("tekniker2", "Tove Tekniker"), ("tekniker3", "Tariq Tekniker")]
EXTRA_PASSWORD = demo_password(3)  # the demo technician's
WEEKDAY_SHIFTS = [(day, 8 * 60, 16 * 60) for day in range(5)]


def dispatch_demo_logins() -> list[tuple[str, str, Role]]:
    """The extra technicians' logins, which `flask demo-data` prints with the core's."""
    return [(username, EXTRA_PASSWORD, Role.TECHNICIAN) for username, _name in EXTRA_TECHNICIANS]


def load_dispatch_demo(session: Session, *, now: dt.datetime) -> dict[str, int]:
    if session.scalar(select(Technician.id).limit(1)) is not None:
        return {"technicians": 0}
    depots = {h.name: h for h in inventory.list_holders(session, HolderKind.DEPOT)}
    if "Lager Aarhus" not in depots:
        return {"technicians": 0}
    coordinator = session.scalar(select(User).where(User.role == Role.COORDINATOR))
    for name, (lat, lon) in DEPOTS.items():
        if name in depots:
            inventory.set_location(session, depots[name], latitude=lat, longitude=lon, actor=coordinator, now=now)
    _more_kits(session, depots["Lager Aarhus"], now)
    made = _technicians(session, depots["Lager Aarhus"], coordinator, now)
    requests = _requests(session, depots["Lager Aarhus"], coordinator, now)
    return {"technicians": made, "visits": requests}


def _more_kits(session: Session, depot: Holder, now: dt.datetime, count: int = 3) -> None:
    """Pack more COPD kits from the loose ready devices on the Aarhus shelf, so setups can reserve them."""
    warehouse = session.scalar(select(User).where(User.role == Role.WAREHOUSE))
    template = session.scalar(select(KitTemplate).join(Programme, Programme.id == KitTemplate.programme_id)
                              .where(Programme.code == "COPD"))
    loose: dict = {}
    for device in session.scalars(select(Device).where(Device.holder_id == depot.id, Device.kit_id.is_(None),
                                                       Device.status == DeviceStatus.READY).order_by(Device.id)):
        loose.setdefault(device.model.category, []).append(device)
    for _ in range(count):
        if any(len(loose.get(item.category, [])) < item.quantity for item in template.items):
            return
        kit = inventory.create_kit(session, template=template, actor=warehouse, now=now)
        for item in template.items:
            for _n in range(item.quantity):
                inventory.pack(session, kit, loose[item.category].pop(0).tag, actor=warehouse, now=now)


def _technicians(session: Session, depot: Holder, coordinator, now: dt.datetime) -> int:
    contractor = session.scalar(select(Organisation).where(Organisation.kind == OrganisationKind.CONTRACTOR))
    users = list(session.scalars(select(User).where(User.role == Role.TECHNICIAN)))
    for username, name in EXTRA_TECHNICIANS:
        if not any(u.username == username for u in users):
            users.append(auth.create_user(session, actor=None, now=now, username=username, full_name=name,
                                          role=Role.TECHNICIAN, organisation_id=contractor.id,
                                          password=EXTRA_PASSWORD))
    vans = [h for h in inventory.list_holders(session, HolderKind.VAN)]
    programmes = list(session.scalars(select(Programme).where(Programme.code.in_(("COPD", "HF")))))
    for n, user in enumerate(users):
        technicians.save_technician(session, None, user_id=user.id, depot_id=depot.id,
                                    van_id=vans[n].id if n < len(vans) else None,
                                    skills=["spirometry"] if n == 0 else [], shifts=WEEKDAY_SHIFTS,
                                    actor=coordinator, now=now)
        for programme in programmes:
            training.record_training(session, training.TrainingData(
                trainee_kind=TraineeKind.STAFF, trainer_id=coordinator.id, held_at=now - dt.timedelta(days=30),
                method=TrainingMethod.GROUP, result=TrainingResult.PASSED, staff_user_id=user.id,
                programme_id=programme.id,
                answers=[training.ChecklistAnswer(item, True) for item in programme.checklist or []]),
                actor=coordinator, now=now)
    return len(users)


def _requests(session: Session, depot: Holder, coordinator, now: dt.datetime) -> int:
    """Setup requests for the eight citizens nearest the Aarhus depot; two get a kit, five are booked on the next
    weekday."""
    today = local_date(now)
    day = today + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    aarhus = session.scalar(select(Organisation).where(Organisation.kind == OrganisationKind.MUNICIPALITY,
                                                       Organisation.code == "751"))
    nurse = session.scalar(select(User).where(User.role == Role.NURSE, User.organisation_id == aarhus.id))
    copd = session.scalar(select(Programme).where(Programme.code == "COPD"))
    held = set(session.scalars(select(Holder.citizen_id).where(Holder.citizen_id.is_not(None))))
    lat, lon = DEPOTS["Lager Aarhus"]
    near = [c for c in session.scalars(select(Citizen).where(Citizen.latitude.is_not(None)).order_by(Citizen.id))
            if c.id not in held]
    people = sorted(near, key=lambda c: (c.latitude - lat) ** 2 + ((c.longitude - lon) * 0.56) ** 2)[:8]
    for n, citizen in enumerate(people):
        request = visits.VisitRequest(earliest_on=today, latest_on=today + dt.timedelta(days=10),
                                      time_of_day=[TimeOfDay.ANY, TimeOfDay.MORNING, TimeOfDay.AFTERNOON][n % 3])
        visit = visits.request_setup(session, citizen_id=citizen.id, programme_id=copd.id, request=request,
                                     actor=nurse, now=now, today=today)
        if n < 2 and inventory.ready_kits(session, depot_id=depot.id, programme_id=copd.id):
            allocation.allocate_kit(session, visit, depot_id=depot.id, actor=coordinator, now=now)
        if n < 5:
            visits.book(session, visit, day=day, window=None, actor=coordinator, now=now, today=today)
    return len(people)
