"""Calibration and service due: the rule, the list of devices due or overdue, recording a calibration, and the daily
job that reports them."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select

from inventory import service
from inventory.jobs import JOBS
from inventory.models import DeviceCategory, Signoff, SignoffKind
from servicecenter.db import LOCAL_ZONE, local_date, unit_of_work, utcnow
from servicecenter.errors import DomainError
from tests.inventory.helpers import World

SCALE = DeviceCategory.SCALE


@pytest.fixture
def world(session, factory):
    return World(session, factory)


def set_interval(world, category, days):
    model = world.models[category]
    with unit_of_work(world.s):
        service.update_device_model(
            world.s, service.get_device_model(world.s, model.id), actor=world.warehouse, now=utcnow(),
            category=model.category, manufacturer=model.manufacturer, model_number=model.model_number,
            name=model.name, cleaning_procedure=model.cleaning_procedure, service_interval_days=days)


def days_ago(n: int) -> dt.datetime:
    return utcnow() - dt.timedelta(days=n)


def calibrate(world, device, *, next_due_on=None, now=None, method="Kalibreret mod reference 5 kg"):
    with unit_of_work(world.s):
        return service.record_calibration(world.s, world.s.merge(device), method=method, next_due_on=next_due_on,
                                          actor=world.warehouse, now=now or utcnow())


def due_tags(session, *, within_days=30):
    rows, _more = service.list_due(session, today=local_date(utcnow()), within_days=within_days)
    return [(r.device.tag, r.due_on) for r in rows]


def test_the_rule_own_date_else_the_models_interval_from_registration(session, world):
    registered = days_ago(10)
    plain = world.device(SCALE, now=registered)
    assert service.device_due_on(session, plain) is None  # the model has no interval
    set_interval(world, SCALE, 365)
    assert service.device_due_on(session, plain) == local_date(registered) + dt.timedelta(days=365)
    certificate = local_date(utcnow()) + dt.timedelta(days=40)
    own = world.device(SCALE, calibration_due_on=certificate)
    assert service.device_due_on(session, own) == certificate


def test_the_list_has_the_overdue_and_the_soon_due_earliest_first(session, world):
    set_interval(world, SCALE, 100)
    overdue = world.device(SCALE, now=days_ago(120))  # due 20 days ago
    soon = world.device(SCALE, now=days_ago(80))  # due in 20 days
    world.device(SCALE, now=days_ago(10))  # due in 90 days: not yet listed
    own = world.device(DeviceCategory.TABLET, calibration_due_on=local_date(utcnow()) - dt.timedelta(days=3))
    lost = world.device(SCALE, now=days_ago(200))
    world.scan("lose", lost.tag, note="Væk")
    today = local_date(utcnow())
    assert due_tags(session) == [(overdue.tag, local_date(days_ago(120)) + dt.timedelta(days=100)),
                                 (own.tag, today - dt.timedelta(days=3)),
                                 (soon.tag, local_date(days_ago(80)) + dt.timedelta(days=100))]
    assert [tag for tag, _due in due_tags(session, within_days=-1)] == [overdue.tag, own.tag]
    assert service.count_due(session, today=today) == (2, 1)
    first, more = service.list_due(session, today=today, per_page=2)
    assert [r.device.tag for r in first] == [overdue.tag, own.tag] and more and first[0].is_overdue(today)


def test_the_cut_off_is_the_local_day_the_device_falls_due(session, world):
    set_interval(world, SCALE, 30)
    today = local_date(utcnow())
    # Registered at the first and the last moment of the local day 30 days ago: both fall due today.
    start = dt.datetime.combine(today - dt.timedelta(days=30), dt.time(0, 0, 1), LOCAL_ZONE)
    end = dt.datetime.combine(today - dt.timedelta(days=30), dt.time(23, 59), LOCAL_ZONE)
    early, late = world.device(SCALE, now=start.astimezone(dt.UTC)), world.device(SCALE, now=end.astimezone(dt.UTC))
    day_after = dt.datetime.combine(today - dt.timedelta(days=29), dt.time(0, 0, 1), LOCAL_ZONE)
    tomorrow = world.device(SCALE, now=day_after.astimezone(dt.UTC))
    assert {tag for tag, _due in due_tags(session, within_days=0)} == {early.tag, late.tag}
    assert {tag for tag, _due in due_tags(session, within_days=1)} == {early.tag, late.tag, tomorrow.tag}


def test_a_calibration_is_signed_off_and_restarts_the_interval(session, world):
    set_interval(world, SCALE, 100)
    device = world.device(SCALE, now=days_ago(120))
    calibrate(world, device)
    signoff = session.scalar(select(Signoff).where(Signoff.device_id == device.id))
    assert (signoff.kind, signoff.method, signoff.actor_id) == (
        SignoffKind.CALIBRATION, "Kalibreret mod reference 5 kg", world.warehouse.id)
    assert service.device_due_on(session, device) == local_date(utcnow()) + dt.timedelta(days=100)
    assert due_tags(session) == []
    certificate = local_date(utcnow()) + dt.timedelta(days=20)
    calibrate(world, device, next_due_on=certificate, method="Certifikat 4711")
    assert due_tags(session) == [(device.tag, certificate)]


@pytest.mark.parametrize("method,next_due,field", [("", None, "method"), ("Kalibreret", 0, "next_due_on")])
def test_a_calibration_needs_what_was_done_and_a_future_date(session, world, method, next_due, field):
    device = world.device(SCALE)
    due = None if next_due is None else local_date(utcnow()) + dt.timedelta(days=next_due)
    with pytest.raises(DomainError) as refused:
        calibrate(world, device, method=method, next_due_on=due)
    assert refused.value.field == field
    assert session.scalar(select(Signoff.id).where(Signoff.device_id == device.id)) is None


def test_a_scrapped_device_is_not_calibrated(session, world):
    device = world.device(SCALE)
    world.scan("scrap", device.tag, note="Knust")
    with pytest.raises(DomainError, match="cannot be calibrated"):
        calibrate(world, device)


def test_the_daily_job_reports_the_overdue_by_tag(session, world, caplog):
    set_interval(world, SCALE, 100)
    overdue = world.device(SCALE, now=days_ago(150))
    world.device(SCALE, now=days_ago(90))
    job = next(j for j in JOBS if j.name == "inventory_calibration_due")
    assert job.interval == dt.timedelta(days=1)
    with caplog.at_level(logging.WARNING, logger="inventory.jobs"), unit_of_work(session):
        result = job.run(session, utcnow(), {})
    assert result == "1 overdue, 1 due soon"
    assert any(overdue.tag in r.getMessage() for r in caplog.records)
