"""The stock forecast against hand-made kits and booked setups, and the municipality history the citizens service
keeps when a citizen moves."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from coordination.service.stock import forecast
from dispatch.models import Technician, Visit, VisitKind, VisitStatus
from inventory.models import (
    Device,
    DeviceCategory,
    DeviceModel,
    DeviceStatus,
    Holder,
    HolderKind,
    Kit,
    KitTemplate,
    StockMinimum,
)
from servicecenter.auth.models import Role
from servicecenter.citizens import service as citizen_service
from servicecenter.citizens.models import CitizenMunicipality
from servicecenter.courses.models import Course, CourseStatus, Programme
from servicecenter.db import unit_of_work
from servicecenter.organisations.models import OrganisationKind

TODAY = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


def test_the_forecast_counts_kits_needed_against_ready_and_cleaning(session, factory):
    citizens = [factory.citizen() for _ in range(4)]
    technician_user = factory.user(Role.TECHNICIAN)
    with unit_of_work(session):
        programme = Programme(code="FCKOL", name="Forecast KOL")
        session.add(programme)
        session.flush()
        depot = Holder(kind=HolderKind.DEPOT, name="Forecast depot")
        session.add(depot)
        session.flush()
        cleaning = Holder(kind=HolderKind.CLEANING, name="Forecast cleaning", depot_id=depot.id)
        template = KitTemplate(programme_id=programme.id, name="KOL kit")
        session.add_all([cleaning, template])
        session.flush()
        session.add_all([Kit(tag=f"FCK{i}", template_id=template.id, created_at=NOW, ready_at_id=depot.id)
                         for i in range(2)])  # two complete kits ready on the shelf
        session.add(StockMinimum(depot_id=depot.id, programme_id=programme.id, minimum=1))
        model = DeviceModel(category=DeviceCategory.TABLET, manufacturer="F", model_number="FC-1", name="Tab")
        session.add(model)
        session.flush()
        owner = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
        session.add_all([Device(tag=f"FCD{i}", serial=f"S{i}", model_id=model.id, owner_organisation_id=owner.id,
                                status=status, holder_id=cleaning.id, created_at=NOW, last_moved_at=NOW)
                         for i, status in enumerate([DeviceStatus.CLEANING, DeviceStatus.TESTING,
                                                     DeviceStatus.RETURNED])])
        technician = Technician(user_id=technician_user.id, depot_id=depot.id)
        session.add(technician)
        session.flush()
        for i in range(4):  # three in the week without a kit, one beyond it; one more with its kit reserved
            citizen = citizens[i]
            course = Course(citizen_id=citizen.id, programme_id=programme.id, status=CourseStatus.ALLOCATED,
                            created_at=NOW)
            session.add(course)
            session.flush()
            day = TODAY + dt.timedelta(days=2 if i < 3 else 9)
            session.add(Visit(kind=VisitKind.SETUP, status=VisitStatus.SCHEDULED, course_id=course.id,
                              citizen_id=citizen.id, requested_at=NOW, earliest_on=day, latest_on=day,
                              scheduled_on=day, technician_id=technician.id))
        session.add(Visit(kind=VisitKind.SETUP, status=VisitStatus.REQUESTED, course_id=course.id,
                          citizen_id=citizen.id, requested_at=NOW, earliest_on=TODAY, latest_on=TODAY,
                          technician_id=technician.id, kit_id=session.scalar(select(Kit.id).limit(1))))
    line = next(line for line in forecast(session, today=TODAY, days=7) if line.programme_id == programme.id)
    assert (line.booked, line.reserved, line.needs_kit, line.ready_kits, line.minimum) == (4, 1, 3, 2, 1)
    assert line.short == 1 and line.below_minimum
    assert line.in_cleaning == 3
    wider = next(line for line in forecast(session, today=TODAY, days=14) if line.programme_id == programme.id)
    assert wider.needs_kit == 4 and wider.short == 2


def test_a_move_is_kept_in_the_municipality_history(session, factory):
    helpdesk = factory.user(Role.HELPDESK)
    citizen = factory.citizen(helpdesk)
    other = factory.organisation(OrganisationKind.MUNICIPALITY, "461")
    moved_at = dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)
    with unit_of_work(session):
        data = factory.citizen_data(cpr=citizen.cpr, municipality_id=other.id)
        citizen_service.update_citizen(session, citizen, data, actor=helpdesk, now=moved_at,
                                       expected_version=citizen.version)
    with unit_of_work(session):  # an edit that does not move her adds nothing
        data = factory.citizen_data(cpr=citizen.cpr, municipality_id=other.id, first_name="Karin")
        citizen_service.update_citizen(session, citizen, data, actor=helpdesk, now=moved_at,
                                       expected_version=citizen.version)
    rows = session.execute(select(CitizenMunicipality.municipality_id, CitizenMunicipality.since)
                           .where(CitizenMunicipality.citizen_id == citizen.id)
                           .order_by(CitizenMunicipality.id)).all()
    assert len(rows) == 2 and rows[0].municipality_id != other.id
    assert (rows[1].municipality_id, rows[1].since) == (other.id, moved_at)
