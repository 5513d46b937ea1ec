"""The coordinator's pages: the dashboard (figures of the month against the last twelve, charts as SVG images, a
table beside each, CSV of each), the cases behind a figure, and the monthly reports."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime, format_decimal, gettext
from flask_login import current_user

from coordination import charts
from coordination.forms import DeviationForm, GenerateForm, RegenerateForm, ReleaseForm
from coordination.models import ReportStatus
from coordination.report_document import deviation_label, panel_chart, render_pdf, show, value_text
from coordination.service import cases as cases_service
from coordination.service import reports as reports_service
from coordination.service.figures import computed_at, figures
from coordination.service.indicators import INDICATORS, Month
from coordination.service.panels import END_REASON_LABELS, PANEL_BY_ID, PANELS, Measure, Panel
from coordination.service.stock import forecast
from servicecenter import queue
from servicecenter.auth.permissions import can_view_indicators, can_write_reports
from servicecenter.csvexport import csv_lines
from servicecenter.db import get_or_raise, local_date, unit_of_work
from servicecenter.errors import N_, DomainError
from servicecenter.extensions import db_session, get_database
from servicecenter.forms import expected_version
from servicecenter.months import add_months, first_of, parse_month
from servicecenter.web import creates, now, once, page_arg, rate_limited, require, show_error

bp = Blueprint("coordination", __name__, url_prefix="/coordination", template_folder="templates")

PER_PAGE = 50


# --- the filter ---------------------------------------------------------------------------------------------


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _selection():
    """(month, filter, chosen ids, choices) from the query string; a month that is not one is a 400."""
    s = db_session()
    text = request.args.get("month", "").strip()
    this_month = first_of(local_date(now()))
    month = parse_month(text) if text else this_month
    if month is None:
        abort(400, gettext("Write the month as YYYY-MM, e.g. 2026-01."))
    month = min(month, this_month)
    chosen = {"programme": _int_arg("programme"), "municipality": _int_arg("municipality"),
              "cluster": _int_arg("cluster")}
    choices = cases_service.filter_choices(s)
    flt = cases_service.make_filter(choices, **chosen)
    return month, flt, chosen, choices


def _query(month: dt.date, chosen: dict, **more) -> dict:
    return {"month": f"{month:%Y-%m}", **{k: v for k, v in chosen.items() if v}, **more}


# --- formatting ------------------------------------------------------------------------------------------------


def _plain(measure: Measure, value) -> str:
    """For a CSV: no thousands separator; a share as a percentage."""
    if value is None:
        return ""
    return format_decimal(value * 100 if measure.percent else value, "0.##")


def _values(panel: Panel, months) -> dict[str, list]:
    return {m.id: [m.value(f) for f in months] for m in panel.measures}


# --- the dashboard ---------------------------------------------------------------------------------------------


@bp.get("/")
@require(can_view_indicators)
def dashboard():
    s = db_session()
    month, flt, chosen, choices = _selection()
    months = figures(s, add_months(month, -12), month, flt)
    return render_template(
        "coordination/dashboard.html", month=month, months=months, panels=PANELS, chosen=chosen, choices=choices,
        query=_query(month, chosen), show=show, computed=computed_at(s, month), indicators=INDICATORS,
        stock=forecast(s, today=local_date(now()), days=_forecast_days()), forecast_days=_forecast_days(),
        format_datetime=format_datetime)


def _forecast_days() -> int:
    return current_app.config["COORDINATION_FORECAST_DAYS"]


@bp.get("/charts/<panel_id>.svg")
@require(can_view_indicators)
def chart(panel_id: str):
    panel = PANEL_BY_ID.get(panel_id) or abort(404)
    month, flt, _chosen, _choices = _selection()
    months = figures(db_session(), add_months(month, -12), month, flt)
    svg = charts.render_svg(panel_chart(panel, [f"{f.month:%m/%y}" for f in months], _values(panel, months)))
    return Response(svg, mimetype="image/svg+xml", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",  # no script runs in it
        "Cache-Control": "private, max-age=300"})


@bp.get("/dashboard.csv")
@require(can_view_indicators)
@rate_limited("export")
def dashboard_csv():
    panel = PANEL_BY_ID.get(request.args.get("panel", "")) or abort(404)
    month, flt, _chosen, _choices = _selection()
    months = figures(db_session(), add_months(month, -12), month, flt)
    header = [gettext("Month")] + [gettext(m.label) + (" (%)" if m.percent else "") for m in panel.measures]
    rows = ([f"{f.month:%Y-%m}"] + [_plain(m, m.value(f)) for m in panel.measures] for f in months)
    return Response("".join(csv_lines(header, rows)), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=indicators-{panel.id}-{month:%Y-%m}.csv"})


@bp.get("/stock.csv")
@require(can_view_indicators)
@rate_limited("export")
def stock_csv():
    lines = forecast(db_session(), today=local_date(now()), days=_forecast_days())
    header = [gettext("Depot"), gettext("Programme"), gettext("Ready kits"), gettext("Minimum"),
              gettext("Setups booked"), gettext("Of them without a kit"), gettext("Devices in cleaning"),
              gettext("Kits short")]
    rows = ([line.depot or gettext("No depot yet"), line.programme, line.ready_kits, line.minimum, line.booked,
             line.needs_kit, line.in_cleaning, line.short] for line in lines)
    return Response("".join(csv_lines(header, rows)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=stock-forecast.csv"})


# --- the cases behind a figure --------------------------------------------------------------------------------------


@bp.get("/cases/<indicator>")
@require(can_view_indicators)
@rate_limited("record")
def cases(indicator: str):
    if indicator not in INDICATORS or not INDICATORS[indicator].has_cases:
        abort(404)
    s = db_session()
    month, flt, chosen, choices = _selection()
    key = request.args.get("key") or None
    m = Month.of(month, now=now(), pickup_grace_days=_grace())
    with unit_of_work(s):  # the citizens named on the page are read: logged in the same transaction
        listing = cases_service.list_cases(s, indicator, m, flt, key=key, actor=current_user, now=now(),
                                           page=page_arg(), per_page=PER_PAGE)
    return render_template("coordination/cases.html", listing=listing, indicator=indicator, month=month, key=key,
                           indicator_label=gettext(CASE_TITLES[indicator]), key_label=_key_label(indicator, key),
                           detail=lambda row: _key_label(indicator, row.key), value=_case_value(indicator),
                           chosen=chosen, choices=choices, query=_query(month, chosen, key=key or None),
                           page=page_arg())


CASE_TITLES = {
    "referred": N_("Referred"), "activated": N_("Included"), "ended": N_("Ended"), "active": N_("Active courses"),
    "first_setup": N_("First setup visits"), "tickets": N_("Tickets opened"), "resolved": N_("Tickets resolved"),
    "sla": N_("Resolution deadlines"), "overdue_pickups": N_("Devices overdue for pickup"),
}


def _key_label(indicator: str, key: str | None) -> str:
    if not key:
        return ""
    if indicator == "ended":
        return gettext(END_REASON_LABELS.get(key, key))
    if indicator == "first_setup":
        return gettext("Done") if key == "done" else gettext("Failed")
    if indicator == "sla":
        priority, _, outcome = key.partition(":")
        return gettext("%(priority)s, met", priority=priority) if outcome == "met" else gettext(
            "%(priority)s, missed", priority=priority)
    return ""


def _case_value(indicator: str):
    """The number shown beside a case: the lead time of an inclusion, the resolution time of a ticket."""
    if indicator == "activated":
        return lambda row: gettext("%(days)s days", days=format_decimal(row.value, "0.#"))
    if indicator == "resolved":
        return lambda row: gettext("%(hours)s hours", hours=format_decimal(row.value, "0.#"))
    return lambda row: ""


def _grace() -> int:
    return current_app.config["COORDINATION_PICKUP_GRACE_DAYS"]


# --- the monthly reports --------------------------------------------------------------------------------------------


@bp.get("/reports")
@require(can_view_indicators)
def reports():
    last_month = add_months(first_of(local_date(now())), -1)
    return _reports_page(GenerateForm(data={"month": f"{last_month:%Y-%m}"}))


def _reports_page(form: GenerateForm):
    s = db_session()
    return render_template("coordination/reports.html", reports=reports_service.list_reports(s), form=form,
                           jobs=reports_service.drafting(s, now=now()),
                           may_write=can_write_reports(current_user)), 400 if form.errors else 200


@bp.post("/reports")
@require(can_write_reports)
@creates(lambda ref: url_for("coordination.reports"))
def reports_create():
    s, form = db_session(), GenerateForm()
    if form.validate_on_submit():
        month = parse_month(form.month.data or "")
        if month is None:
            form.month.errors = [gettext("Write the month as YYYY-MM, e.g. 2026-01.")]
            return _reports_page(form)
        try:
            with unit_of_work(s):
                job = once(s, lambda: reports_service.request_report(s, month, actor=current_user, now=now()))
                job_id = job.id
            _start(job_id)
            flash(gettext("The report for %(month)s is being drafted; this page shows it when it is ready.",
                          month=f"{month:%Y-%m}"), "success")
            return redirect(url_for("coordination.reports"))
        except DomainError as error:
            show_error(error, form)
    return _reports_page(form)


def _start(job_id: int) -> None:
    """After the request's transaction committed: the job may run (in a thread of make run, or by `flask worker`)."""
    queue.start(get_database().factory, dict(current_app.config), job_id)


@bp.get("/reports/drafting")
@require(can_view_indicators)
def drafting():
    """Polled by the reports pages while a report is being drafted; when none is, the page reloads itself."""
    jobs = reports_service.drafting(db_session(), now=now())
    month = parse_month(request.args.get("month", "")) if request.args.get("month") else None
    shown = {m: j for m, j in jobs.items() if month is None or m == month}
    if not any(j.status in queue.LIVE for j in shown.values()):
        done = Response(status=204, headers={"HX-Refresh": "true"})  # done (or failed): the page shows it
        del done.headers["Content-Type"]  # nothing is sent
        return done
    return render_template("coordination/_drafting.html", jobs=shown, month=month)


def _config() -> dict:
    return current_app.config


def _report(report_id: int):
    return get_or_raise(db_session(), reports_service.MonthlyReport, report_id, N_("No such report."))


@bp.get("/reports/<int:report_id>")
@require(can_view_indicators)
def report(report_id: int):
    report = _report(report_id)
    return render_template("coordination/report.html", **_report_page(report))


def _report_page(report, **forms) -> dict:
    return {"report": report, "may_write": can_write_reports(current_user) and report.status == ReportStatus.DRAFT,
            "deviation_forms": forms.get("deviation_forms") or {
                d.id: DeviationForm(prefix=f"d{d.id}", data={"cause": d.cause or "", "action": d.action or "",
                                                            "version": report.version}) for d in report.deviations},
            "release_form": forms.get("release_form") or ReleaseForm(data={"version": report.version}),
            "regenerate_form": RegenerateForm(data={"version": report.version}),
            "job": reports_service.drafting(db_session(), now=now()).get(report.month),
            "label": deviation_label(db_session()), "value_text": value_text, "format_datetime": format_datetime}



@bp.post("/reports/<int:report_id>/deviations/<int:deviation_id>")
@require(can_write_reports)
def explain(report_id: int, deviation_id: int):
    s, report = db_session(), _report(report_id)
    form = DeviationForm(prefix=f"d{deviation_id}")
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                reports_service.explain(s, report, deviation_id, cause=form.cause.data or "",
                                        action=form.action.data or "", actor=current_user, now=now(),
                                        expected_version=expected_version(form))
            flash(gettext("Saved."), "success")
            return redirect(url_for("coordination.report", report_id=report_id, _anchor=f"deviation-{deviation_id}"))
        except DomainError as error:
            show_error(error, form)
    s.refresh(report)
    page = _report_page(report)
    page["deviation_forms"][deviation_id] = form
    return render_template("coordination/report.html", **page), 400


@bp.post("/reports/<int:report_id>/release")
@require(can_write_reports)
def release(report_id: int):
    s, report = db_session(), _report(report_id)
    form = ReleaseForm()
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                reports_service.release(s, report, actor=current_user, now=now(),
                                        expected_version=expected_version(form), render=lambda r: render_pdf(s, r))
            flash(gettext("The report is released."), "success")
            return redirect(url_for("coordination.report", report_id=report_id))
        except DomainError as error:
            show_error(error)
    s.refresh(report)
    return render_template("coordination/report.html", **_report_page(report, release_form=form)), 400


@bp.post("/reports/<int:report_id>/regenerate")
@require(can_write_reports)
def regenerate(report_id: int):
    s, report = db_session(), _report(report_id)
    form = RegenerateForm()
    if form.validate_on_submit():
        try:
            if expected_version(form) != report.version:
                raise DomainError(N_("Someone else changed this report after you opened it. Reload it and try "
                                     "again."))
            with unit_of_work(s):
                job_id = reports_service.request_report(s, report.month, actor=current_user, now=now()).id
            _start(job_id)
            flash(gettext("The figures are being computed again; the page updates by itself."), "success")
        except DomainError as error:
            show_error(error)
    return redirect(url_for("coordination.report", report_id=report_id))


@bp.get("/reports/<int:report_id>.pdf")
@require(can_view_indicators)
@rate_limited("export")
def report_pdf(report_id: int):
    s, report = db_session(), _report(report_id)
    pdf = report.pdf if report.status == ReportStatus.RELEASED else render_pdf(s, report)
    name = f"monthly-report-{report.month:%Y-%m}{'' if report.pdf else '-draft'}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f"inline; filename={name}"})
