"""The monthly steering-group report: generated (a job does it on the first working day of the month) as a draft
holding the month's figures as they were computed; the deviations from the targets are found by rules, and the
coordinator writes a cause and a proposed action for each; released, the PDF is made once and kept byte for byte.
A released report is never regenerated: the figures of a later recomputation (a back-dated event) do not change it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordination.models import Deviation, MonthlyReport, ReportStatus
from coordination.service.figures import Figures, Filter, computed_at, figures, refresh
from coordination.service.panels import PANELS
from coordination.service.stock import forecast
from servicecenter import queue
from servicecenter.audit.service import record_event
from servicecenter.auth.models import User
from servicecenter.courses.models import Programme
from servicecenter.db import local_date, lock_row, unit_of_work, utcnow
from servicecenter.errors import N_, Conflict, DomainError
from servicecenter.months import add_months, first_of, month_bounds
from servicecenter.organisations.models import Cluster, Organisation, OrganisationKind
from servicecenter.workdays import add_working_days
from support.models import Priority

MAX_TEXT = 1000


def _values(f: Figures) -> dict[str, float | int | None]:
    return {m.id: _round(m.value(f)) for panel in PANELS for m in panel.measures}


def _round(value):
    return round(value, 4) if isinstance(value, float) else value


def collect(session: Session, first: dt.date, *, now: dt.datetime, config: dict) -> dict:
    """The report's figures as plain data: the month and the twelve before it for the whole service center, and the
    month per programme and per cluster; the stock forecast as it stands now."""
    months = figures(session, add_months(first, -12), first)
    programmes = session.execute(select(Programme.id, Programme.name).order_by(Programme.name)).all()
    clusters = session.execute(select(Cluster.id, Cluster.name).order_by(Cluster.name)).all()
    members = {}
    for cluster_id, municipality_id in session.execute(
            select(Organisation.cluster_id, Organisation.id).where(Organisation.kind == OrganisationKind.MUNICIPALITY,
                                                                  Organisation.cluster_id.is_not(None))):
        members.setdefault(cluster_id, []).append(municipality_id)
    days = config.get("COORDINATION_FORECAST_DAYS", 7)
    return {
        "month": f"{first:%Y-%m}",
        "months": [f"{f.month:%Y-%m}" for f in months],
        "overall": {key: [_values(f)[key] for f in months] for key in _values(months[-1])},
        "by_programme": [{"id": pid, "name": name, "values": _values(
            figures(session, first, first, Filter(programme_ids=(pid,)))[0])} for pid, name in programmes],
        "by_cluster": [{"id": cid, "name": name, "values": _values(
            figures(session, first, first, Filter(municipality_ids=tuple(members.get(cid, ()))))[0])}
            for cid, name in clusters],
        "stock": [{"depot": line.depot, "programme": line.programme, "ready": line.ready_kits,
                   "minimum": line.minimum, "booked": line.booked, "needs_kit": line.needs_kit,
                   "in_cleaning": line.in_cleaning, "short": line.short}
                  for line in forecast(session, today=local_date(now), days=days)],
        "forecast_days": days,
    }


@dataclass(frozen=True)
class Found:
    rule: str  # "inclusion_rate", "inclusion_rate:<programme id>", "sla:P1", ...
    value: float
    target: float


def find_deviations(data: dict, targets: dict) -> list[Found]:
    """Each figure of the report's month that misses its target (no figure, no deviation)."""
    now = {key: values[-1] for key, values in data["overall"].items()}
    found = []

    def below(rule, value, target):
        if value is not None and target is not None and value < target:
            found.append(Found(rule, value, target))

    def above(rule, value, target):
        if value is not None and target is not None and value > target:
            found.append(Found(rule, value, target))

    below("inclusion_rate", now["inclusion_rate"], targets.get("inclusion_rate"))
    for programme in data["by_programme"]:
        below(f"inclusion_rate:{programme['id']}", programme["values"]["inclusion_rate"],
              targets.get("inclusion_rate"))
    below("first_setup_rate", now["first_setup_rate"], targets.get("first_setup_rate"))
    above("lead_days_median", now["lead_median"], targets.get("lead_days_median"))
    for priority in Priority:
        below(f"sla:{priority.value}", now[f"sla_{priority.value.lower()}"], targets.get("sla"))
    above("overdue_pickups", now["overdue_pickups"], targets.get("overdue_pickups"))
    return found


def first_working_day(first: dt.date) -> dt.date:
    return add_working_days(first, 0)


def get_report(session: Session, first: dt.date) -> MonthlyReport | None:
    return session.scalar(select(MonthlyReport).where(MonthlyReport.month == first))


def list_reports(session: Session) -> list[MonthlyReport]:
    return list(session.scalars(select(MonthlyReport).order_by(MonthlyReport.month.desc())))


REPORT_JOB = "coordination.report"
SHOWN_FAILURES = dt.timedelta(days=7)  # a failed drafting is shown this long, unless a later drafting succeeded


def request_report(session: Session, first: dt.date, *, actor, now: dt.datetime) -> queue.QueuedJob:
    """Ask for the month's report to be drafted, or its draft computed again, by a job of the queue: from no stored
    figures that is thirteen months' recomputation, 20 s at national scale (BENCHMARKS.md), too long for a web
    request. Refusals are raised here, at the form; the job is written by the caller's transaction, and asking
    again while it waits or runs gives the same job (one per month)."""
    _check_month(first, now)
    report = get_report(session, first)
    if report is not None:
        _check_not_released(report)
    job = queue.enqueue(session, REPORT_JOB, report_key(first),
                        {"month": first.isoformat(), "actor_id": getattr(actor, "id", None)}, now=now)
    record_event(session, actor=actor, action="report.request", entity_type="monthly_report",
                 entity_id=report.id if report else None, now=now, detail={"month": f"{first:%Y-%m}"})
    return job


def report_key(first: dt.date) -> str:
    return f"month:{first:%Y-%m}"


def drafting(session: Session, *, now: dt.datetime) -> dict[dt.date, queue.QueuedJob]:
    """The report jobs to show, by month: the newest of each month when it waits or runs, or when it failed in the
    last week after the month's figures were last computed (so a coordinator sees why nothing changed)."""
    jobs = session.scalars(select(queue.QueuedJob).where(queue.QueuedJob.kind == REPORT_JOB,
                                                         queue.QueuedJob.created_at >= now - SHOWN_FAILURES)
                           .order_by(queue.QueuedJob.id))
    newest = {dt.date.fromisoformat(job.payload["month"]): job for job in jobs}
    computed = dict(session.execute(select(MonthlyReport.month, MonthlyReport.generated_at)
                                    .where(MonthlyReport.month.in_(list(newest)))).all()) if newest else {}
    return {month: job for month, job in newest.items()
            if job.status in queue.LIVE or (job.status == queue.FAILED and
                                            (computed.get(month) is None or computed[month] < job.finished_at))}


def _run_job(factory, payload: dict, config: dict) -> None:
    """The queue's handler: draft the month in one unit of work, as the person who asked (None: the schedule)."""
    with factory() as session, unit_of_work(session):
        actor = session.get(User, payload["actor_id"]) if payload.get("actor_id") else None
        generate(session, dt.date.fromisoformat(payload["month"]), actor=actor, now=utcnow(), config=config)


HANDLER = queue.Handler(REPORT_JOB, _run_job, max_attempts=2)  # a lost drafting is simply done again


def _check_month(first: dt.date, now: dt.datetime) -> None:
    if first >= first_of(local_date(now)):
        raise DomainError(N_("A month's report can be made when the month is over."), field="month")


def _check_not_released(report: MonthlyReport) -> None:
    if report.status == ReportStatus.RELEASED:
        raise Conflict(N_("The report for this month is released; it is kept as it was released."))


def generate(session: Session, first: dt.date, *, actor, now: dt.datetime, config: dict) -> MonthlyReport:
    """Make (or, while it is a draft, remake) the month's report from a fresh recomputation of the month. Causes
    and actions already written stay with their deviation when it is found again."""
    _check_month(first, now)
    report = get_report(session, first)
    if report is not None:
        lock_row(session, report)
        _check_not_released(report)
    grace = config.get("COORDINATION_PICKUP_GRACE_DAYS", 10)
    for month in _stale(session, first):
        refresh(session, month, now=now, pickup_grace_days=grace)
    data = collect(session, first, now=now, config=config)
    written = {}
    if report is None:
        report = MonthlyReport(month=first, status=ReportStatus.DRAFT)
        session.add(report)
    else:
        written = {d.rule: d for d in report.deviations}
        for deviation in report.deviations:
            session.delete(deviation)
    report.generated_at = report.updated_at = now
    report.figures = json.dumps(data, sort_keys=True)
    session.flush()
    for found in find_deviations(data, config.get("COORDINATION_TARGETS", {})):
        before = written.get(found.rule)
        session.add(Deviation(report_id=report.id, rule=found.rule, value=found.value, target=found.target,
                              cause=before.cause if before else None, action=before.action if before else None,
                              written_by_id=before.written_by_id if before else None,
                              written_at=before.written_at if before else None))
    session.flush()
    session.expire(report, ["deviations"])
    record_event(session, actor=actor, action="report.generate", entity_type="monthly_report", entity_id=report.id,
                 now=now, detail={"month": f"{first:%Y-%m}"})
    return report


def _stale(session: Session, first: dt.date) -> list[dt.date]:
    """The report's month (always recomputed) and those of the twelve before it never computed after they ended
    (the nightly job keeps the others current)."""
    months = []
    for k in range(12, 0, -1):
        month = add_months(first, -k)
        at = computed_at(session, month)
        if at is None or at < month_bounds(month)[1]:
            months.append(month)
    return [*months, first]


def explain(session: Session, report: MonthlyReport, deviation_id: int, *, cause: str, action: str, actor,
            now: dt.datetime, expected_version: int) -> Deviation:
    """The coordinator's cause and proposed action for one deviation of a draft."""
    _check_draft(session, report, expected_version)
    deviation = next((d for d in report.deviations if d.id == deviation_id), None)
    if deviation is None:
        raise DomainError(N_("No such deviation in this report."))
    cause, action = cause.strip(), action.strip()
    for field, text in (("cause", cause), ("action", action)):
        if len(text) > MAX_TEXT:
            raise DomainError(N_("At most %(max)s characters."), field=field, max=MAX_TEXT)
    deviation.cause, deviation.action = cause or None, action or None
    deviation.written_by_id, deviation.written_at = actor.id, now
    report.updated_at = now  # the report's version moves: a second editor is told
    session.flush()
    record_event(session, actor=actor, action="report.explain", entity_type="monthly_report", entity_id=report.id,
                 now=now, detail={"rule": deviation.rule})
    return deviation


def release(session: Session, report: MonthlyReport, *, actor, now: dt.datetime, expected_version: int,
            render: Callable[[MonthlyReport], bytes]) -> MonthlyReport:
    """Freeze the report: every deviation needs its cause and action; the PDF is made once, now, and kept."""
    _check_draft(session, report, expected_version)
    missing = [d for d in report.deviations if not (d.cause and d.action)]
    if missing:
        raise DomainError(N_("Write a cause and a proposed action for every deviation before the release "
                             "(%(count)s missing)."), count=len(missing))
    report.status, report.released_at, report.released_by_id = ReportStatus.RELEASED, now, actor.id
    report.updated_at = now
    session.flush()
    session.expire(report, ["released_by"])  # the renderer names who released it
    report.pdf = render(report)
    report.pdf_sha256 = hashlib.sha256(report.pdf).hexdigest()
    session.flush()
    record_event(session, actor=actor, action="report.release", entity_type="monthly_report", entity_id=report.id,
                 now=now, detail={"month": f"{report.month:%Y-%m}", "sha256": report.pdf_sha256})
    return report


def _check_draft(session: Session, report: MonthlyReport, expected_version: int) -> None:
    lock_row(session, report)
    if report.status == ReportStatus.RELEASED:
        raise Conflict(N_("The report is released and can no longer be changed."))
    if report.version != expected_version:
        raise Conflict(N_("Someone else changed this report after you opened it. Reload it and try again."))


def due_report_month(session: Session, now: dt.datetime) -> dt.date | None:
    """The month whose report the job should make now: last month, from the first working day of this month, if
    it has none yet."""
    today = local_date(now)
    this = first_of(today)
    last = add_months(this, -1)
    if today < first_working_day(this) or get_report(session, last) is not None:
        return None
    return last
