"""The monthly report: drafted by the job on the first working day, its deviations found and explained, released
once; the PDF's text holds the data set's figures, and a released report stays byte for byte what it was."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from coordination.jobs import JOBS
from coordination.models import MonthlyReport, ReportStatus
from coordination.service.reports import due_report_month, first_working_day
from servicecenter.auth.models import Role
from servicecenter.db import LOCAL_ZONE, unit_of_work
from servicecenter.jobs import run_slot, slot_for
from support.models import SupportGroup
from tests.coordination.dataset import MARCH, Builder, at, build

REPORT_JOB = next(job for job in JOBS if job.name == "monthly_report")


def local(y, m, d, h=8):
    return dt.datetime(y, m, d, h, tzinfo=LOCAL_ZONE).astimezone(dt.UTC)


def test_the_first_working_day_skips_weekends_and_holidays():
    assert first_working_day(dt.date(2026, 1, 1)) == dt.date(2026, 1, 2)  # New Year's Day is a Thursday
    assert first_working_day(dt.date(2026, 8, 1)) == dt.date(2026, 8, 3)  # a Saturday
    assert first_working_day(dt.date(2026, 6, 1)) == dt.date(2026, 6, 1)


def test_the_report_is_due_from_the_first_working_day_until_made(session):
    assert due_report_month(session, local(2026, 1, 1)) is None  # a holiday
    assert due_report_month(session, local(2026, 1, 2)) == dt.date(2025, 12, 1)
    assert due_report_month(session, local(2026, 1, 20)) == dt.date(2025, 12, 1)  # a missed day catches up


def _run_job(app, moment):
    factory = app.extensions["database"].factory
    return run_slot(factory, REPORT_JOB, slot_for(REPORT_JOB, moment), app.config)


def _pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


@pytest.fixture
def drafted(app, session):
    world = build(session)
    assert _run_job(app, local(2026, 3, 31, 23)) .startswith("report 2026-02")  # February's, on 31 March at 23
    assert _run_job(app, local(2026, 4, 1, 7)).startswith("report 2026-03 drafted")
    assert _run_job(app, local(2026, 4, 1, 13)) == "no report due"  # made once
    report = session.scalar(select(MonthlyReport).where(MonthlyReport.month == MARCH))
    return world, report


def _coordinator(client, factory):
    user = factory.user(Role.COORDINATOR)
    client.login(user.username)
    return user


def _version(client, report_id, name="version"):
    """The report's version as the page's form carries it (the forms of the deviations are prefixed)."""
    page = client.get(f"/coordination/reports/{report_id}").get_data(as_text=True)
    found = re.search(rf'name="{name}"[^>]*value="(\d+)"', page)
    return found.group(1) if found else None


def test_the_job_drafts_the_report_with_the_deviations_found(drafted, session):
    world, report = drafted
    assert report.status == ReportStatus.DRAFT
    rules = {d.rule: (round(d.value, 3), d.target) for d in report.deviations}
    assert rules["inclusion_rate"] == (0.75, 0.95)
    assert rules[f"inclusion_rate:{world.kol.id}"] == (0.667, 0.95)
    assert f"inclusion_rate:{world.hf.id}" not in rules  # HF: 1 of 1
    assert rules["first_setup_rate"] == (0.667, 0.9)
    assert rules["sla:P1"] == (0, 0.9) and rules["sla:P3"] == (0, 0.9) and "sla:P2" not in rules
    assert rules["overdue_pickups"] == (1, 0)
    assert "lead_days_median" not in rules  # 13 days, within 14


def test_release_needs_every_cause_then_the_pdf_is_kept_byte_for_byte(app, client, session, factory, drafted):
    world, report = drafted
    _coordinator(client, factory)
    page = client.get(f"/coordination/reports/{report.id}")
    assert page.status_code == 200 and "75,0" in page.get_data(as_text=True)
    refused = client.post(f"/coordination/reports/{report.id}/release",
                          data={"version": _version(client, report.id), "confirm": "y"})
    assert refused.status_code == 400
    assert "mangler" in refused.get_data(as_text=True) or "missing" in refused.get_data(as_text=True)
    preview = client.get(f"/coordination/reports/{report.id}.pdf")
    assert preview.mimetype == "application/pdf" and "UDKAST" in _pdf_text(preview.data)
    for deviation in report.deviations:
        field = f"d{deviation.id}-version"
        answer = client.post(f"/coordination/reports/{report.id}/deviations/{deviation.id}", data={
            field: _version(client, report.id, field), f"d{deviation.id}-cause": f"Årsag {deviation.rule}",
            f"d{deviation.id}-action": f"Tiltag {deviation.rule}"})
        assert answer.status_code == 302, answer.get_data(as_text=True)
    unconfirmed = client.post(f"/coordination/reports/{report.id}/release",
                              data={"version": _version(client, report.id)})
    assert unconfirmed.status_code == 400
    released = client.post(f"/coordination/reports/{report.id}/release",
                           data={"version": _version(client, report.id), "confirm": "y"})
    assert released.status_code == 302
    session.rollback()  # a fresh snapshot: the app committed in its own session
    report = session.get(MonthlyReport, report.id)
    assert report.status == ReportStatus.RELEASED and report.pdf_sha256 == hashlib.sha256(report.pdf).hexdigest()

    first = client.get(f"/coordination/reports/{report.id}.pdf").data
    text = _pdf_text(first)
    for figure in ("75,0 %", "66,7 %", "Dataset KOL", "Cluster X", "Årsag inclusion_rate", "Tiltag overdue_pickups",
                   "marts 2026"):
        assert figure in text, figure
    assert "UDKAST" not in text

    # A ticket about March logged late, the figures recomputed: the released report does not change.
    group = session.scalar(select(SupportGroup).where(SupportGroup.name == "Dataset group"))
    with unit_of_work(session):
        Builder(session).ticket(group, citizen=world.citizens["c5"], opened=at(3, 14), recorded=at(6, 1))
    assert _run_job(app, local(2026, 6, 1, 9)).startswith("report 2026-05")  # May's report, not March's again
    again = client.post(f"/coordination/reports/{report.id}/regenerate", data={"version": str(report.version)},
                        follow_redirects=True)
    assert "frigivet" in again.get_data(as_text=True)
    refused = client.post(f"/coordination/reports/{report.id}/deviations/{report.deviations[0].id}",
                          data={f"d{report.deviations[0].id}-version": str(report.version),
                                f"d{report.deviations[0].id}-cause": "x"})
    assert refused.status_code in (400, 403)
    assert client.get(f"/coordination/reports/{report.id}.pdf").data == first
    session.rollback()  # a fresh snapshot: the app committed in its own session
    assert hashlib.sha256(session.get(MonthlyReport, report.id).pdf).hexdigest() == report.pdf_sha256


def test_two_coordinators_writing_at_once_one_is_told(app, client, session, factory, drafted):
    _world, report = drafted
    _coordinator(client, factory)
    deviation = report.deviations[0]
    field = f"d{deviation.id}-version"
    version = _version(client, report.id, field)
    first = client.post(f"/coordination/reports/{report.id}/deviations/{deviation.id}",
                        data={field: version, f"d{deviation.id}-cause": "A"})
    assert first.status_code == 302
    stale = client.post(f"/coordination/reports/{report.id}/deviations/{deviation.id}",
                        data={field: version, f"d{deviation.id}-cause": "B"})
    assert stale.status_code == 400 and "Genindlæs" in stale.get_data(as_text=True)
    session.rollback()  # a fresh snapshot: the app committed in its own session
    assert session.get(MonthlyReport, report.id).deviations[0].cause == "A"


def test_an_admin_reads_reports_but_cannot_write_or_release(client, factory, drafted):
    _world, report = drafted
    admin = factory.user(Role.ADMIN)
    client.login(admin.username)
    assert client.get(f"/coordination/reports/{report.id}").status_code == 200
    assert client.post(f"/coordination/reports/{report.id}/release", data={"confirm": "y"}).status_code == 403
    assert client.post("/coordination/reports", data={"month": "2026-02"}).status_code == 403
