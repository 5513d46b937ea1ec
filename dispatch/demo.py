"""Demo data for dispatch: depot locations, three technicians with weekday shifts and programme training, citizens
whose journeys happened through the same services as real use (set up at the door, ended with a pickup open,
picked up and cleaned back into stock, a death with the relative to contact, a hospital stay that paused a setup),
and setup requests for some Aarhus citizens, a few booked on the next weekday (ready to optimise)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import FailureReason, Technician, TimeOfDay, Visit, VisitKind
from dispatch.service import allocation, door, planning, technicians, visits
from inventory import service as inventory
from inventory.models import Device, DeviceStatus, Holder, HolderKind, KitTemplate
from servicecenter.auth import service as auth
from servicecenter.auth.models import Role, User
from servicecenter.citizens import service as citizens
from servicecenter.citizens.models import Citizen, ContactKind
from servicecenter.courses import service as courses
from servicecenter.courses.models import EndReason, Programme
from servicecenter.db import LOCAL_ZONE, local_date
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
    _more_kits(session, depots["Lager Aarhus"], now - dt.timedelta(days=59), count=10)
    made = _technicians(session, depots["Lager Aarhus"], coordinator, now)
    journeys = Journeys(session, depots["Lager Aarhus"], now).run()
    requests = _requests(session, depots["Lager Aarhus"], coordinator, now)
    return {"technicians": made, "journeys": journeys, "visits": requests}


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
                trainee_kind=TraineeKind.STAFF, trainer_id=coordinator.id, held_at=now - dt.timedelta(days=50),
                method=TrainingMethod.GROUP, result=TrainingResult.PASSED, staff_user_id=user.id,
                programme_id=programme.id,
                answers=[training.ChecklistAnswer(item, True) for item in programme.checklist or []]),
                actor=coordinator, now=now)
    return len(users)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), LOCAL_ZONE).astimezone(dt.UTC)


def _weekday_before(day: dt.date, days: int) -> dt.date:
    day -= dt.timedelta(days=days)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _no_text(_visit) -> tuple[None, None]:
    return None, None  # visits in the past: no confirmation text to send


class Journeys:
    """Citizens near the Aarhus depot taken through their journey in the past weeks, each step by the person whose
    work it is: the nurse refers, the helpdesk reserves, books and assigns, the technician delivers and trains at
    the door, the warehouse cleans what comes back."""

    def __init__(self, session: Session, depot: Holder, now: dt.datetime):
        self.s, self.depot, self.now, self.today = session, depot, now, local_date(now)
        self.nurse = session.scalar(select(User).where(User.role == Role.NURSE).order_by(User.id))
        self.helpdesk = session.scalar(select(User).where(User.role == Role.HELPDESK).order_by(User.id))
        self.warehouse = session.scalar(select(User).where(User.role == Role.WAREHOUSE).order_by(User.id))
        self.copd = session.scalar(select(Programme).where(Programme.code == "COPD"))
        self.tech = session.scalar(select(Technician).where(Technician.van_id.is_not(None)).order_by(Technician.id))

    def run(self) -> int:
        people = _near(self.s, 14, skip=0)
        if len(people) < 7 or self.tech is None or self.nurse is None:
            return 0
        two_weeks, three_weeks = _weekday_before(self.today, 14), _weekday_before(self.today, 21)
        for n, citizen in enumerate(people[:3]):
            self.set_up(citizen, two_weeks, slot=n)
        self.end(self.set_up(people[3], three_weeks, slot=0), EndReason.COMPLETED, days_ago=2)
        deceased = people[5]
        citizens.add_contact(self.s, deceased, citizens.ContactData(
            kind=ContactKind.RELATIVE, name=f"Lone {deceased.last_name}", relation="datter", phone="41 22 33 44",
            may_contact=True), actor=self.helpdesk, now=_at(two_weeks, 8))
        self.end(self.set_up(deceased, two_weeks, slot=3), EndReason.DECEASED, days_ago=1)
        self.hospitalised(people[6])
        self.back_in_stock(people[4])  # last: its kit is back on the shelf a week ago, after the others' dates
        return 7

    def set_up(self, citizen: Citizen, day: dt.date, *, slot: int) -> Visit:
        """Referred three days before, kit reserved, booked and assigned; delivered and trained at the door."""
        asked = _at(day - dt.timedelta(days=3), 10)
        visit = self.booked(citizen, day, asked, slot)
        tech = self.tech.user
        kit = inventory.get_kit(self.s, visit.kit_id)
        inventory.scan(self.s, "load", kit.tag, inventory.Context(actor=tech, now=_at(day, 7, 30 + slot),
                                                                  holder=inventory.get_holder(self.s,
                                                                                              self.tech.van_id)))
        door.scan_at_door(self.s, visit, "deliver", kit.tag, actor=tech, now=_at(day, 9 + slot, 10))
        visits.complete(self.s, visit, actor=tech, now=_at(day, 9 + slot, 50),
                        training_given=visits.DoorTraining(passed_items=frozenset(self.copd.checklist or [])))
        return visit

    def booked(self, citizen: Citizen, day: dt.date, asked: dt.datetime, slot: int) -> Visit:
        request = visits.VisitRequest(earliest_on=local_date(asked), latest_on=day + dt.timedelta(days=7))
        visit = visits.request_setup(self.s, citizen_id=citizen.id, programme_id=self.copd.id, request=request,
                                     actor=self.nurse, now=asked, today=local_date(asked))
        later = asked + dt.timedelta(hours=1)
        allocation.allocate_kit(self.s, visit, depot_id=self.depot.id, actor=self.helpdesk, now=later)
        visits.book(self.s, visit, day=day, window=None, actor=self.helpdesk, now=later, today=local_date(asked))
        planning.assign(self.s, visit, technician_id=self.tech.id, start=(9 + slot) * 60, actor=self.helpdesk,
                        now=later, confirmation=_no_text)
        return visit

    def end(self, setup: Visit, reason: EndReason, *, days_ago: int) -> None:
        courses.end_course(self.s, setup.course, reason=reason, exclusion_reason=None, actor=self.nurse,
                           now=self.now - dt.timedelta(days=days_ago))

    def back_in_stock(self, citizen: Citizen) -> None:
        """Set up, ended, picked up, and the devices cleaned, tested and ready again."""
        setup = self.set_up(citizen, _weekday_before(self.today, 28), slot=1)
        pickup_day = _weekday_before(self.today, 8)
        self.end(setup, EndReason.COMPLETED, days_ago=(self.today - pickup_day).days + 2)
        pickup = self.s.scalar(select(Visit).where(Visit.course_id == setup.course_id,
                                                   Visit.kind == VisitKind.PICKUP))
        asked = _at(pickup_day - dt.timedelta(days=1), 11)
        visits.book(self.s, pickup, day=pickup_day, window=None, actor=self.helpdesk, now=asked,
                    today=local_date(asked))
        planning.assign(self.s, pickup, technician_id=self.tech.id, start=10 * 60, actor=self.helpdesk, now=asked,
                        confirmation=_no_text)
        tech = self.tech.user
        devices = [d.tag for d in inventory.devices_in_home(self.s, setup.course_id)]
        for n, tag in enumerate(devices):
            door.scan_at_door(self.s, pickup, "collect", tag, actor=tech, now=_at(pickup_day, 10, 5 + n))
        visits.complete(self.s, pickup, actor=tech, now=_at(pickup_day, 10, 20))
        self.clean(devices, pickup_day)

    def clean(self, tags: list[str], day: dt.date) -> None:
        steps = [("unload", {"holder": self.depot}), ("clean_start", {}),
                 ("clean_finish", {"method": "Aftørret med 70 % alkohol"}),
                 ("test_pass", {"holder": self.depot, "method": "Funktionstest og fabriksnulstilling",
                                "factory_reset": True})]
        for hour, (mode, extra) in enumerate(steps, start=13):
            for tag in tags:
                inventory.scan(self.s, mode, tag, inventory.Context(actor=self.warehouse, now=_at(day, hour), **extra))

    def hospitalised(self, citizen: Citizen) -> None:
        """The setup visit could not be done: the citizen was in hospital; the course waits for a call."""
        day = _weekday_before(self.today, 3)
        visit = self.booked(citizen, day, _at(day - dt.timedelta(days=2), 10), slot=0)
        visits.fail(self.s, visit, reason=FailureReason.HOSPITALISED, note="Indlagt på AUH", actor=self.tech.user,
                    now=_at(day, 9, 5), call_again_on=self.today + dt.timedelta(days=5))


def _near(session: Session, count: int, *, skip: int) -> list[Citizen]:
    """Citizens nearest the Aarhus depot without a course yet."""
    lat, lon = DEPOTS["Lager Aarhus"]
    held = set(session.scalars(select(Holder.citizen_id).where(Holder.citizen_id.is_not(None))))
    near = [c for c in session.scalars(select(Citizen).where(Citizen.latitude.is_not(None)).order_by(Citizen.id))
            if c.id not in held]
    return sorted(near, key=lambda c: (c.latitude - lat) ** 2 + ((c.longitude - lon) * 0.56) ** 2)[skip:skip + count]


def _requests(session: Session, depot: Holder, coordinator, now: dt.datetime) -> int:
    """Setup requests for the eight citizens nearest the Aarhus depot; five are booked on the next weekday (two of them
    with a kit, three still needing one) and one more has its kit reserved but no day yet."""
    today = local_date(now)
    day = today + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    aarhus = session.scalar(select(Organisation).where(Organisation.kind == OrganisationKind.MUNICIPALITY,
                                                       Organisation.code == "751"))
    nurse = session.scalar(select(User).where(User.role == Role.NURSE, User.organisation_id == aarhus.id))
    copd = session.scalar(select(Programme).where(Programme.code == "COPD"))
    people = _near(session, 8, skip=0)
    for n, citizen in enumerate(people):
        request = visits.VisitRequest(earliest_on=today, latest_on=today + dt.timedelta(days=10),
                                      time_of_day=[TimeOfDay.ANY, TimeOfDay.MORNING, TimeOfDay.AFTERNOON][n % 3])
        visit = visits.request_setup(session, citizen_id=citizen.id, programme_id=copd.id, request=request,
                                     actor=nurse, now=now, today=today)
        if n in (0, 1, 5) and inventory.ready_kits(session, depot_id=depot.id, programme_id=copd.id):
            allocation.allocate_kit(session, visit, depot_id=depot.id, actor=coordinator, now=now)
        if n < 5:
            visits.book(session, visit, day=day, window=None, actor=coordinator, now=now, today=today)
    return len(people)
