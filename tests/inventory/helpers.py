"""Builders for inventory tests: a small world of models, depots, vans and devices made through the services."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from inventory import service
from inventory.models import DeviceCategory, HolderKind
from servicecenter.auth.models import Role
from servicecenter.courses.models import Programme
from servicecenter.courses.service import open_course
from servicecenter.db import unit_of_work, utcnow
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
        """One scan in its own transaction (or the caller's, if one is open)."""
        if self.s.in_transaction() and (self.s.new or self.s.dirty):
            return service.scan(self.s, mode, tag, self.ctx(holder, now=now, **kw))
        with unit_of_work(self.s):
            return service.scan(self.s, mode, tag, self.ctx(holder, now=now, **kw))

    def home(self, citizen=None):
        citizen = citizen or self.factory.citizen()
        with unit_of_work(self.s):
            course = open_course(self.s, citizen_id=citizen.id, programme_id=self.copd.id, actor=self.technician,
                                 now=utcnow())
            return service.course_holder(self.s, course)

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
