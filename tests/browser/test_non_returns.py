"""Issue 15: a coordinator finds a case of devices not returned from the menu, reads its history and approves the
write-off the system proposed (a confirmation first), in real Chromium; the pages pass axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from coordination.models import NonReturnCase, NonReturnStage
from coordination.service import non_returns
from inventory.models import Device, DeviceStatus
from servicecenter.courses.models import Course, CourseStatus
from servicecenter.db import local_date, unit_of_work, utcnow
from servicecenter.workdays import add_working_days
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser
COORDINATOR = ("koordinator", "Servicecenter-demo-2")


def _proposed_case(app) -> int:
    """The demo's first course with devices still in the home, ended and taken through the stages by the job."""
    s = app.extensions["database"].factory()
    with unit_of_work(s):
        course = s.scalar(select(Course).where(Course.status == CourseStatus.ACTIVE).order_by(Course.id))
        from servicecenter.courses.models import EndReason
        from servicecenter.courses.service import end_course

        end_course(s, course, reason=EndReason.COMPLETED, exclusion_reason=None, actor=None, now=utcnow())
    day = local_date(utcnow())
    for step in (5, 5, 5, 10):
        day = add_working_days(day, step)
        with unit_of_work(s):
            non_returns.run(s, now=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC), config=app.config)
    case = s.scalar(select(NonReturnCase).where(NonReturnCase.course_id == course.id))
    assert case.stage == NonReturnStage.WRITE_OFF_PROPOSED
    s.close()
    return case.id


def test_a_coordinator_approves_a_proposed_write_off(page, live_app):
    case_id = _proposed_case(live_app)
    log_in(page, *COORDINATOR)
    page.get_by_role("button", name="Mere").click()  # the coordinator's menu has more than fits the bar
    page.get_by_role("link", name="Ikke returneret").click()
    expect(page.get_by_role("heading", name="Enheder ikke returneret")).to_be_visible()
    screenshot(page, "non-returns-list")
    assert_accessible(page, "the list of devices not returned")
    page.get_by_role("link", name=f"Returnsag {case_id}").click()
    expect(page.locator("ol.list-group li")).to_have_count(5)  # opened, two reminders, escalated, proposed
    assert_accessible(page, "a non-return case")
    expect(page.get_by_role("button", name="Meld fundet")).to_be_visible()  # the other way out of the proposal
    expect(page.get_by_role("button", name="Send videre nu")).to_have_count(0)  # escalated already
    screenshot(page, "non-return-case")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Godkend afskrivningen").click()
    expect(page.locator(".alert-success")).to_contain_text("afskrevet som bortkomne")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Afskrevet som bortkommet")
    screenshot(page, "non-return-written-off")
    s = live_app.extensions["database"].factory()
    case = s.get(NonReturnCase, case_id)
    lost = s.scalars(select(Device.status).where(Device.status == DeviceStatus.LOST)).all()
    assert case.stage == NonReturnStage.WRITTEN_OFF and len(lost) >= 1
    s.close()
