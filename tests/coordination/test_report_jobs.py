"""A report asked for on the page is drafted by a job of the queue, not in the request (issue 17): one job per
month however often asked, the pages say it is waiting or running and then show the report, and a drafting that
a rule refused (the month was released meanwhile) says why on the page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coordination.models import MonthlyReport, ReportStatus
from coordination.service.reports import REPORT_JOB
from servicecenter import queue
from servicecenter.auth.models import Role
from servicecenter.db import local_date, unit_of_work, utcnow
from tests.conftest import make_test_app
from tests.coordination.dataset import MARCH, build


@pytest.fixture
def app(database_url):
    app = make_test_app(database_url, JOB_RUNNER="worker")  # the web process only enqueues; the test is the worker
    yield app
    app.extensions["database"].engine.dispose()


def _coordinator(client, factory):
    client.login(factory.user(Role.COORDINATOR).username)


def _jobs(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(queue.QueuedJob).where(queue.QueuedJob.kind == REPORT_JOB))


def _work(app) -> bool:
    return queue.run_one(app.extensions["database"].factory, dict(app.config))


def _drafted_march(app, client, session, factory) -> MonthlyReport:
    """The data set's March, drafted by the worker at a coordinator's request."""
    build(session)
    _coordinator(client, factory)
    client.post("/coordination/reports", data={"month": "2026-03"})
    _work(app)
    session.rollback()
    return session.scalar(select(MonthlyReport).where(MonthlyReport.month == MARCH))


def test_asking_twice_queues_one_job_and_the_worker_drafts_the_report(app, client, session, factory):
    build(session)
    _coordinator(client, factory)
    first = client.post("/coordination/reports", data={"month": "2026-03"}, follow_redirects=True)
    again = client.post("/coordination/reports", data={"month": "2026-03"}, follow_redirects=True)
    assert first.status_code == again.status_code == 200
    assert _jobs(session) == 1  # one job per month, however often asked
    assert session.scalar(select(MonthlyReport).where(MonthlyReport.month == MARCH)) is None  # not in the request
    waiting = client.get("/coordination/reports").get_data(as_text=True)
    assert "venter på en ledig" in waiting and 'hx-trigger="every 2s"' in waiting
    poll = client.get("/coordination/reports/drafting")
    assert "HX-Refresh" not in poll.headers  # still busy: the page keeps polling

    assert _work(app) and not _work(app)  # the worker drafts it, once
    session.rollback()
    report = session.scalar(select(MonthlyReport).where(MonthlyReport.month == MARCH))
    assert report.status == ReportStatus.DRAFT and report.deviations
    done = client.get("/coordination/reports").get_data(as_text=True)
    assert "venter på en ledig" not in done and "2026-03" in done
    assert client.get("/coordination/reports/drafting").headers.get("HX-Refresh") == "true"  # the page reloads


def test_computing_again_runs_as_a_job_and_keeps_what_was_written(app, client, session, factory):
    report = _drafted_march(app, client, session, factory)
    deviation = report.deviations[0]
    rule = deviation.rule
    with unit_of_work(session):
        deviation.cause = "Kendt årsag"
    generated, version = report.generated_at, report.version

    asked = client.post(f"/coordination/reports/{report.id}/regenerate", data={"version": str(version)},
                        follow_redirects=True).get_data(as_text=True)
    assert "Beregn tallene igen</button>" not in asked  # no second request while the first waits
    assert "venter på en ledig" in asked
    assert "Frigiv rapporten</button>" not in asked  # not released while its figures are computed again
    assert _work(app)
    session.rollback()
    again = session.get(MonthlyReport, report.id)
    assert again.generated_at > generated
    assert {d.rule: d.cause for d in again.deviations}[rule] == "Kendt årsag"
    done = client.get(f"/coordination/reports/{report.id}").get_data(as_text=True)
    assert "Beregn tallene igen</button>" in done and "Frigiv rapporten</button>" in done


def test_a_month_released_before_its_job_ran_says_why_on_the_page(app, client, session, factory):
    report = _drafted_march(app, client, session, factory)
    client.post(f"/coordination/reports/{report.id}/regenerate", data={"version": str(report.version)})
    with unit_of_work(session):  # released by a colleague while the job waited
        session.get(MonthlyReport, report.id).status = ReportStatus.RELEASED
    assert _work(app)
    session.rollback()
    failed = session.scalar(select(queue.QueuedJob).where(queue.QueuedJob.kind == REPORT_JOB)
                            .order_by(queue.QueuedJob.id.desc()).limit(1))
    assert failed.status == queue.FAILED
    page = client.get("/coordination/reports").get_data(as_text=True)
    assert "kunne ikke laves" in page and "frigivet" in page  # the rule's message, in Danish


def test_the_current_month_is_refused_at_the_form_and_nothing_is_queued(app, client, session, factory):
    _coordinator(client, factory)
    this_month = local_date(utcnow()).strftime("%Y-%m")
    answer = client.post("/coordination/reports", data={"month": this_month})
    assert answer.status_code == 400
    assert _jobs(session) == 0
