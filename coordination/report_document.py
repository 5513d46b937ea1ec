"""The monthly report's texts in the user's language, from the figures kept with the report: the chart and table of
each panel, the summary, the deviations. Used by the report's page and to render its PDF (coordination/pdf.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from flask_babel import format_date, format_datetime, format_decimal, format_percent, gettext
from reportlab.lib.units import mm
from sqlalchemy import select
from sqlalchemy.orm import Session

from coordination import charts
from coordination.models import MonthlyReport, ReportStatus
from coordination.pdf import DeviationText, Grid, ReportDocument, Section, render_report
from coordination.service.panels import PANELS, Measure, Panel
from servicecenter.courses.models import Programme

RATES = ("inclusion_rate", "first_setup_rate", "sla")


def panel_chart(panel: Panel, labels: list[str], values: dict[str, list]) -> charts.Chart:
    measures = [m for m in panel.measures if m.charted]
    return charts.Chart(
        title=gettext(panel.title), labels=labels,
        series=[charts.Series(gettext(m.label), values[m.id]) for m in measures],
        kind=panel.kind, percent=any(m.percent for m in measures), target=panel.target,
        target_name=gettext(panel.target_label) if panel.target_label else "")


def show(measure: Measure, value) -> str:
    if value is None:
        return "–"
    if measure.percent:
        return format_percent(value, "#,##0.0 %")
    return format_decimal(value, "#,##0.#")


def deviation_label(session: Session) -> Callable[[str], str]:
    programmes = dict(session.execute(select(Programme.id, Programme.name)).all())

    def label(rule: str) -> str:
        name, _, detail = rule.partition(":")
        if name == "inclusion_rate" and detail:
            return gettext("Inclusion rate, %(programme)s", programme=programmes.get(int(detail), detail))
        if name == "sla":
            return gettext("SLA compliance, %(priority)s", priority=detail)
        return {"inclusion_rate": gettext("Inclusion rate"),
                "first_setup_rate": gettext("First-visit success of setups"),
                "lead_days_median": gettext("Median lead time from referral to working equipment (days)"),
                "overdue_pickups": gettext("Devices overdue for pickup")}.get(name, rule)
    return label


def value_text(rule: str, value: float) -> str:
    if rule.partition(":")[0] in RATES:
        return format_percent(value, "#,##0.0 %")
    return format_decimal(value, "#,##0.#")


def _month_label(month: str) -> str:
    return f"{month[5:7]}/{month[2:4]}"


def _summary(data: dict) -> Grid:
    months = data["months"]
    header = [gettext("Figure"), format_date(_date(months[-1]), "MMMM yyyy"),
              format_date(_date(months[-2]), "MMMM yyyy")]
    rows, seen = [], set()
    for panel in PANELS:
        for m in panel.measures:
            text = qualified(panel, m)
            if text not in seen:
                seen.add(text)
                rows.append([text, show(m, data["overall"][m.id][-1]), show(m, data["overall"][m.id][-2])])
    return Grid(header, rows, first_column_width=95 * mm)


SELF_EXPLAINED = ("inclusion", "courses", "first_setup", "tickets", "overdue", "utilisation")


def qualified(panel: Panel, m: Measure) -> str:
    """The measure's name where it stands alone (a summary row): "Median" becomes "Lead time …: Median"."""
    if panel.id in SELF_EXPLAINED:
        return gettext(m.label)
    return f"{gettext(panel.title)}: {gettext(m.label)}"


def _date(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def _panel_grid(panel: Panel, data: dict) -> Grid:
    labels = [_month_label(m) for m in data["months"]]
    return Grid([""] + labels, [[gettext(m.label)] + [_compact(m, v) for v in data["overall"][m.id]]
                                for m in panel.measures], first_column_width=40 * mm)


def _compact(m: Measure, value) -> str:
    if value is None:
        return "–"
    return format_decimal(value * 100, "0.0") if m.percent else format_decimal(value, "#,##0.#")


BREAKDOWN = ("referred", "included_count", "inclusion_rate", "active", "tickets_per_100", "overdue_pickups")


def _breakdown(title_column: str, entries: list[dict]) -> Grid:
    measures = {m.id: m for panel in PANELS for m in panel.measures}
    header = [title_column] + [gettext(measures[k].label) for k in BREAKDOWN]
    return Grid(header, [[e["name"]] + [show(measures[k], e["values"].get(k)) for k in BREAKDOWN] for e in entries],
                first_column_width=45 * mm)


def _stock(data: dict) -> Grid:
    header = [gettext("Depot"), gettext("Programme"), gettext("Ready kits"), gettext("Minimum"),
              gettext("Setups booked"), gettext("Of them without a kit"), gettext("Devices in cleaning"),
              gettext("Kits short")]
    rows = [[line["depot"] or gettext("No depot yet"), line["programme"], str(line["ready"]), str(line["minimum"]),
             str(line["booked"]), str(line["needs_kit"]), str(line["in_cleaning"]), str(line["short"])]
            for line in data["stock"]]
    low = tuple(i for i, line in enumerate(data["stock"])
                if line["short"] or line["ready"] - line["needs_kit"] < line["minimum"])
    return Grid(header, rows, first_column_width=35 * mm, text_columns=2, marked_rows=low)


def document(session: Session, report: MonthlyReport) -> ReportDocument:
    data = json.loads(report.figures)
    label = deviation_label(session)
    month_name = format_date(report.month, "MMMM yyyy")
    if report.status == ReportStatus.RELEASED:
        status = gettext("Released %(at)s by %(name)s. Figures computed %(computed)s.",
                         at=format_datetime(report.released_at, "short"), name=report.released_by.full_name,
                         computed=format_datetime(report.generated_at, "short"))
    else:
        status = gettext("Draft, not released. Figures computed %(computed)s.",
                         computed=format_datetime(report.generated_at, "short"))
    labels = [_month_label(m) for m in data["months"]]
    sections = [Section(gettext(panel.title), _panel_grid(panel, data),
                        charts.render_svg(panel_chart(panel, labels, data["overall"])),
                        gettext(panel.note) if panel.note else "") for panel in PANELS]
    sections += [
        Section(gettext("Per programme, %(month)s", month=month_name), _breakdown(gettext("Programme"),
                                                                                 data["by_programme"])),
        Section(gettext("Per hospital cluster, %(month)s", month=month_name), _breakdown(gettext("Cluster"),
                                                                                        data["by_cluster"])),
        Section(gettext("Stock forecast: ready kits for the setups booked in the next %(days)s days",
                        days=data["forecast_days"]), _stock(data),
                note=gettext("As it stood when the figures were computed.")),
    ]
    return ReportDocument(
        title=gettext("Monthly report %(month)s", month=month_name),
        subtitle=gettext("Fælles Servicecenter: status for the steering group"), status_line=status,
        summary_title=gettext("The month in figures"), summary=_summary(data),
        deviations_title=gettext("Deviations from the targets"),
        deviations=[DeviationText(label(d.rule), value_text(d.rule, d.value), value_text(d.rule, d.target),
                                  d.cause or "–", d.action or "–") for d in report.deviations],
        no_deviations=gettext("Every figure met its target this month."),
        deviation_labels=(gettext("Value"), gettext("Target"), gettext("Cause"), gettext("Proposed action")),
        sections=sections, footer=gettext("Monthly report %(month)s", month=month_name),
        page_label=gettext("Page %(page)s"),
        watermark="" if report.status == ReportStatus.RELEASED else gettext("DRAFT"))


def render_pdf(session: Session, report: MonthlyReport) -> bytes:
    return render_report(document(session, report))
