"""The knowledge center's pages: which equipment is best (models of a kind side by side, survival curves as SVG
images with a table beside them, CSV of each table), a device model's page, and the experience notes."""

from __future__ import annotations

import datetime as dt
import math

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext
from flask_login import current_user

from inventory.models import DeviceCategory
from knowledge import charts
from knowledge.forms import NoteForm, ReviseForm
from knowledge.panels import notes_panel
from knowledge.service import equipment, survival
from knowledge.service import notes as notes_service
from knowledge.service.notes import Subject
from servicecenter.auth.permissions import (
    can_compare_equipment,
    can_manage_inventory,
    can_read_notes,
    can_write_notes,
)
from servicecenter.csvexport import csv_lines
from servicecenter.db import LOCAL_ZONE, local_date, unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session
from servicecenter.forms import expected_version
from servicecenter.months import add_months, first_of, parse_month
from servicecenter.web import creates, now, once, page_arg, require, show_error

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge", template_folder="templates")

PER_PAGE = 25


# --- the period and the numbers -------------------------------------------------------------------------------


def _period() -> tuple[dt.date, dt.date]:
    """The months chosen (`from`, `to`, YYYY-MM, both included); by default the twelve full months before this one.
    A month that is not one is a 400 that says how to write it."""
    this_month = first_of(local_date(now()))
    chosen = []
    for name, default in (("from", add_months(this_month, -12)), ("to", add_months(this_month, -1))):
        text = request.args.get(name, "").strip()
        month = parse_month(text) if text else default
        if month is None:
            abort(400, gettext("Write the month as YYYY-MM, e.g. 2026-01."))
        chosen.append(min(month, this_month))
    first, last = chosen
    return (first, last) if first <= last else (last, first)


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period's start and end (exclusive) as UTC moments of Copenhagen's month boundaries."""
    def moment(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), LOCAL_ZONE).astimezone(dt.UTC)

    return moment(first), moment(add_months(last, 1))


def _kind() -> DeviceCategory | None:
    value = request.args.get("kind", "")
    return DeviceCategory(value) if value in DeviceCategory._value2member_map_ else None


def _query(first: dt.date, last: dt.date, **more) -> dict:
    return {"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}", **{k: v for k, v in more.items() if v}}


def number(value: float | None, pattern: str = "#,##0.0") -> str:
    if value is None:
        return "—"
    return "∞" if math.isinf(value) else format_decimal(value, pattern)


def interval(ci, pattern: str = "#,##0.0") -> str:
    return "" if ci is None else f"{number(ci.low, pattern)}–{number(ci.high, pattern)}"


def _plain(value: float | None, pattern: str = "0.##") -> str:
    """For a CSV: no thousands separator, nothing for no value."""
    return "" if value is None or math.isinf(value) else format_decimal(value, pattern)


# --- which equipment is best -------------------------------------------------------------------------------------


@bp.get("/equipment")
@require(can_compare_equipment)
def equipment_page():
    s = db_session()
    first, last = _period()
    start, end = _bounds(first, last)
    kinds = equipment.compare(s, start=start, end=end, now=now(), category=_kind())
    lives = {k.category: survival.curves(s, [r.model_id for r in k.rows], now=now()) for k in kinds}
    return render_template("knowledge/equipment.html", kinds=kinds, lives=lives, first=first, last=last,
                           kind=_kind(), query=_query(first, last, kind=_kind() and _kind().value),
                           number=number, interval=interval, milestones=survival.MILESTONES,
                           categories=list(DeviceCategory))


@bp.get("/equipment/survival/<kind>.svg")
@require(can_compare_equipment)
def survival_chart(kind: str):
    if kind not in DeviceCategory._value2member_map_:
        abort(404)
    s = db_session()
    ids = [int(i) for i in request.args.getlist("model") if i.isdigit() and len(i) < 10]
    models = [m for m in equipment.models_of(s, DeviceCategory(kind)) if not ids or m[0] in ids]
    curves = survival.curves(s, [model_id for model_id, _name in models], now=now())
    svg = charts.render_svg([charts.Line(c.name, c.times, c.survival) for c in curves],
                            x_title=gettext("Days at citizens"), y_title=gettext("Without a fault"),
                            no_data=gettext("No device of this kind has served yet"))
    return Response(svg, mimetype="image/svg+xml", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",  # no script runs in it
        "Cache-Control": "private, max-age=300"})


@bp.get("/equipment.csv")
@require(can_compare_equipment)
def equipment_csv():
    s = db_session()
    first, last = _period()
    start, end = _bounds(first, last)
    kinds = equipment.compare(s, start=start, end=end, now=now(), category=_kind())
    table = "survival" if request.args.get("table") == "survival" else "figures"
    if table == "survival":
        header, rows = _survival_table(s, kinds)
    else:
        header, rows = _figures_header(), [_figures_row(k, r) for k in kinds for r in k.rows]
    name = f"equipment-{table}-{first:%Y-%m}-{last:%Y-%m}"
    return Response("".join(csv_lines(header, rows)), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv"})


def _figures_header() -> list[str]:
    return [gettext("Kind"), gettext("Manufacturer"), gettext("Device model"), gettext("Devices"),
            gettext("Device-months"), gettext("Faults"), gettext("Faults per 100 device-months"),
            gettext("95 % interval, low"), gettext("95 % interval, high"), gettext("Kind's pooled rate"),
            gettext("Flagged"), gettext("MTBF (days at citizens)"), gettext("Swaps"),
            gettext("Swaps per 100 device-months"), gettext("Returns cleaned"), gettext("Return to ready, median days"),
            gettext("Return to ready, 90th percentile days"), gettext("Losses"), gettext("Losses per 100 devices"),
            gettext("Non-returns"), gettext("Non-returns per 100 devices"), gettext("Unit price (DKK)"),
            gettext("Value lost (DKK)")]


def _figures_row(kind, r) -> list:
    from inventory.forms import CATEGORY_LABELS

    ci = r.fault_ci
    return [str(CATEGORY_LABELS[kind.category]), r.manufacturer, r.name, r.fleet, _plain(r.device_months),
            r.faults, _plain(r.fault_rate), _plain(ci and ci.low), _plain(ci and ci.high), _plain(r.pooled_rate),
            gettext("yes") if r.is_flagged else "", _plain(r.mtbf_days, "0"), r.swaps, _plain(r.swap_rate),
            r.turnaround.count, _plain(r.turnaround.median_days, "0.#"), _plain(r.turnaround.p90_days, "0.#"),
            r.losses, _plain(r.losses_per_100), r.non_returns, _plain(r.non_returns_per_100),
            _plain(r.unit_price), _plain(r.lost_value)]


def _survival_table(s, kinds) -> tuple[list[str], list[list]]:
    header = [gettext("Device model"), gettext("Devices"), gettext("Faults"),
              gettext("Median days to first fault")]
    for days in survival.MILESTONES:
        header += [gettext("At risk at %(days)s days", days=days),
                   gettext("Without a fault at %(days)s days (%%)", days=days)]
    rows = []
    for kind in kinds:
        for c in survival.curves(s, [r.model_id for r in kind.rows], now=now()):
            row = [c.name, c.devices, c.faults, _plain(c.median_days, "0")]
            for m in c.milestones:
                row += [m.at_risk, _plain(m.survival and m.survival * 100, "0.#")]
            rows.append(row)
    return header, rows


@bp.get("/equipment/models/<int:model_id>")
@require(can_compare_equipment)
def model(model_id: int):
    s = db_session()
    category = equipment.kind_of(s, model_id) or abort(404)
    first, last = _period()
    start, end = _bounds(first, last)
    kinds = equipment.compare(s, start=start, end=end, now=now(), category=category)
    rows = kinds[0].rows if kinds else []
    row = next((r for r in rows if r.model_id == model_id), None)
    curve = next(iter(survival.curves(s, [model_id], now=now())), None)
    name = dict(equipment.models_of(s, category))[model_id]
    return render_template("knowledge/model.html", model_id=model_id, name=name, category=category, row=row,
                           others=[r for r in rows if r.model_id != model_id], curve=curve, first=first, last=last,
                           query=_query(first, last), number=number, interval=interval,
                           milestones=survival.MILESTONES, notes=notes_panel(Subject("model", model_id), more=False),
                           may_edit=can_manage_inventory(current_user))


# --- experience notes ----------------------------------------------------------------------------------------------


@bp.get("/notes")
@require(can_read_notes)
def notes():
    s = db_session()
    words = request.args.get("q", "")[:200]
    about = Subject.parse(request.args.get("about", ""))
    found = notes_service.search_notes(s, words=words, subject=about, page=page_arg(), per_page=PER_PAGE)
    return render_template("knowledge/notes.html", found=found, words=words, about=about,
                           about_name=about and notes_service.subject_name(s, about),
                           names=notes_service.subject_names(s, found.notes), page=page_arg(),
                           may_write=can_write_notes(current_user))


@bp.route("/notes/new", methods=["GET", "POST"])
@require(can_write_notes)
@creates(lambda ref: url_for("knowledge.note", note_id=ref))
def new_note():
    s = db_session()
    form = NoteForm(subject=request.args.get("about")).set_subjects(notes_service.subject_choices(s))
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                note = once(s, lambda: notes_service.create_note(
                    s, subject=Subject.parse(form.subject.data) or Subject("programme", 0), title=form.title.data,
                    body=form.body.data, actor=current_user, now=now()))
            flash(gettext("The note is saved."), "success")
            return redirect(url_for("knowledge.note", note_id=note.id))
        except DomainError as error:
            show_error(error, form)
    return render_template("knowledge/note_form.html", form=form), 400 if form.errors else 200


def _note(note_id: int):
    return notes_service.get_note(db_session(), note_id)


@bp.get("/notes/<int:note_id>")
@require(can_read_notes)
def note(note_id: int):
    s, note = db_session(), _note(note_id)
    subject = notes_service.subject_of(note)
    return render_template("knowledge/note.html", note=note, subject=subject,
                           subject_name=notes_service.subject_name(s, subject),
                           revisions=notes_service.list_revisions(s, note), may_write=can_write_notes(current_user))


@bp.route("/notes/<int:note_id>/revise", methods=["GET", "POST"])
@require(can_write_notes)
def revise_note(note_id: int):
    s, note = db_session(), _note(note_id)
    form, status = ReviseForm(obj=note), 200
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                revision = notes_service.revise_note(s, note, title=form.title.data, body=form.body.data,
                                                     expected_version=expected_version(form), actor=current_user,
                                                     now=now())
            flash(gettext("The note is revised.") if revision else gettext("Nothing changed."), "success")
            return redirect(url_for("knowledge.note", note_id=note_id))
        except DomainError as error:
            show_error(error, form)
            s.refresh(note)
            status = 409 if error.field is None else 400
    elif request.method == "GET":
        form.version.data = note.version
    return render_template("knowledge/note_revise.html", form=form, note=note), 400 if form.errors else status

