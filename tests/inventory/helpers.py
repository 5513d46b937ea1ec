"""Builders for inventory tests: a small world of models, depots, vans and devices made through the services."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from inventory import service
from inventory.models import Device, DeviceCategory, HolderKind
from servicecenter.auth.models import Role
from servicecenter.courses.models import Programme
from servicecenter.courses.service import open_course
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.organisations.models import Organisation, OrganisationKind


class World:
    def __init__(self, session, factory):
        self.s = session
        self.factory = factory
        self.warehouse = factory.user(Role.WAREHOUSE)
        self.technician = factory.user(Role.TECHNICIAN)
        who = {"actor": self.warehouse, "now": utcnow()}
        with unit_of_work(session):
            self.region = session.scalar(select(Organisation).where(Organisation.kind == OrganisationKind.REGION))
            self.models = {
                c: service.create_device_model(session, **who, category=c, manufacturer="M",
                                               model_number=f"M-{c.value}",
                                               name=c.value.title())
                for c in (DeviceCategory.TABLET, DeviceCategory.PULSE_OXIMETER, DeviceCategory.SCALE,
                          DeviceCategory.BLOOD_PRESSURE)
            }
            self.copd = session.scalar(select(Programme).where(Programme.code == "COPD"))
            self.template = service.set_kit_template(session, **who, programme_id=self.copd.id, name="KOL", items=[
                (DeviceCategory.TABLET, 1), (DeviceCategory.PULSE_OXIMETER, 1), (DeviceCategory.SCALE, 1)])
            self.depot = service.create_holder(session, **who, kind=HolderKind.DEPOT, name="Depot A")
            self.depot2 = service.create_holder(session, **who, kind=HolderKind.DEPOT, name="Depot B")
            self.van = service.create_holder(session, **who, kind=HolderKind.VAN, name="Van 1")
            self.van2 = service.create_holder(session, **who, kind=HolderKind.VAN, name="Van 2")
        self.serial = 0
        self.visit_of_home: dict[int, int] = {}  # home holder -> the setup visit its devices arrive on

    def device(self, category=DeviceCategory.TABLET, *, ready=True, now=None, **extra):
        now = now or utcnow()
        self.serial += 1
        with unit_of_work(self.s):
            device = service.register_device(self.s, service.DeviceData(
                model_id=self.models[category].id, serial=f"S{self.serial:06d}",
                owner_organisation_id=self.region.id, **extra), depot=self.depot, actor=self.warehouse, now=now)
            if ready:
                self.scan("accept", device.tag, now=now)
        return device

    def ctx(self, holder=None, *, now=None, actor=None, **kw):
        return service.Context(actor=actor or self.warehouse, now=now or utcnow(), holder=holder, **kw)

    def scan(self, mode, tag, holder=None, *, now=None, **kw):
        """One scan in its own transaction (or the caller's, if one is open). Into or out of a home made by
        `home()`, the scan belongs to that home's setup visit (as at the door), unless the test says otherwise."""
        if mode in ("handover", "collect") and "visit_id" not in kw:
            kw["visit_id"] = self._visit_for(mode, tag, holder)
        if self.s.in_transaction() and (self.s.new or self.s.dirty):
            return service.scan(self.s, mode, tag, self.ctx(holder, now=now, **kw))
        with unit_of_work(self.s):
            return service.scan(self.s, mode, tag, self.ctx(holder, now=now, **kw))

    def _visit_for(self, mode, tag, holder):
        if mode == "handover":
            return self.visit_of_home.get(holder.id) if holder is not None else None
        device = self.s.scalar(select(Device).where(Device.tag == tag))
        return self.visit_of_home.get(device.holder_id) if device is not None else None

    def home(self, citizen=None, *, programme_code: str = "COPD"):
        """A citizen's home for a COPD course with a setup visit requested (what the devices arrive on)."""
        from dispatch.models import VisitKind
        from dispatch.service import VisitRequest, create_visit

        citizen = citizen or self.factory.citizen()
        today = local_date(utcnow())
        with unit_of_work(self.s):
            programme = self.s.scalar(select(Programme).where(Programme.code == programme_code))
            course = open_course(self.s, citizen_id=citizen.id, programme_id=programme.id, actor=self.technician,
                                 now=utcnow())
            visit = create_visit(self.s, course, VisitKind.SETUP, VisitRequest(earliest_on=today, latest_on=today),
                                 actor=self.technician, now=utcnow(), today=today)
            holder = service.course_holder(self.s, course)
        self.visit_of_home[holder.id] = visit.id
        return holder

    def set_up_home(self, citizen=None):
        """A home set up as in real use: a setup visit with a reserved kit, booked and assigned to the world's
        technician, the kit delivered at the door and the visit completed (the course is active). Returns the home
        and the kit's members."""
        from dispatch.service import door, visits

        self.kit()
        home = self.home(citizen)
        with unit_of_work(self.s):
            visit, kit = self._book_for_the_technician(visits.get_visit(self.s, self.visit_of_home[home.id]),
                                                       allocate=True)
            now = utcnow()
            door.scan_at_door(self.s, visit, "deliver", kit.tag, actor=self.technician, now=now)
            visits.complete(self.s, visit, actor=self.technician, now=now)
            members = list(kit.members)
        return home, members

    def on_route(self, home):
        """A training visit at the home, booked today on the world's technician's route: the citizen is his to see
        today (the setup visit stays requested)."""
        from dispatch.models import VisitKind
        from dispatch.service import VisitRequest, create_visit
        from servicecenter.courses.models import Course

        today = local_date(utcnow())
        with unit_of_work(self.s):
            visit = create_visit(self.s, self.s.get(Course, home.course_id), VisitKind.TRAINING,
                                 VisitRequest(earliest_on=today, latest_on=today), actor=self.technician,
                                 now=utcnow(), today=today)
            self._slot = getattr(self, "_slot", 11) + 1  # one hour each from noon: no double-booking
            return self._book_for_the_technician(visit, allocate=False, start=60 * self._slot)[0]

    def _book_for_the_technician(self, visit, *, allocate: bool, start: int = 0):
        from dispatch.service import allocation, planning, technicians, visits

        today, now = local_date(utcnow()), utcnow()
        tech = technicians.technician_of_user(self.s, self.technician.id) or technicians.save_technician(
            self.s, None, user_id=self.technician.id, depot_id=self.depot.id, van_id=self.van.id, skills=[],
            shifts=[(d, 0, 24 * 60) for d in range(7)], actor=self.warehouse, now=now)
        kit = allocation.allocate_kit(self.s, visit, depot_id=tech.depot_id, actor=self.warehouse, now=now) \
            if allocate else None
        visits.book(self.s, visit, day=today, window=(0, 24 * 60), actor=self.warehouse, now=now, today=today)
        planning.assign(self.s, visit, technician_id=tech.id, start=start, actor=self.warehouse, now=now,
                        confirmation=lambda _v: (None, None))
        return visit, kit

    def kit(self, *, now=None):
        now = now or utcnow()
        members = [self.device(c, now=now) for c in
                   (DeviceCategory.TABLET, DeviceCategory.PULSE_OXIMETER, DeviceCategory.SCALE)]
        with unit_of_work(self.s):
            kit = service.create_kit(self.s, template=self.template, actor=self.warehouse, now=now)
            for d in members:
                service.pack(self.s, kit, d.tag, actor=self.warehouse, now=now)
        return kit, members


def later(minutes: int) -> dt.datetime:
    return utcnow() + dt.timedelta(minutes=minutes)
