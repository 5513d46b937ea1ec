"""Support's admin pages: canned responses, SLA targets and opening hours, groups, and the faults-per-model figures."""

from __future__ import annotations

import datetime as dt

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext, ngettext
from flask_login import current_user

from servicecenter.auth.permissions import can_manage_support, can_view_indicators
from servicecenter.csvexport import csv_lines
from servicecenter.db import get_or_raise, unit_of_work
from servicecenter.errors import N_, DomainError
from servicecenter.extensions import db_session
from servicecenter.months import month_bounds, parse_month, previous_month
from servicecenter.web import creates, now, once, rate_limited, require, show_error
from support.forms_admin import WEEKDAYS, CannedForm, GroupForm, SettingsForm
from support.models import Priority, SupportGroup
from support.service import canned as canned_service
from support.service import escalation, tickets
from support.service import figures as figures_service
from support.service import settings as settings_service
from support.views import bp

# --- canned responses ------------------------------------------------------------------------------------------


@bp.route("/canned", methods=["GET", "POST"])
@require(can_manage_support)
@creates(lambda _ref: url_for("support.canned"))
def canned():
    """The list, and the form for a new one under it."""
    s = db_session()
    form = CannedForm()
    if _save_canned(form, None):
        return redirect(url_for("support.canned"))
    return render_template("support/canned.html", responses=canned_service.list_canned(s), form=form,
                           variables=canned_service.VARIABLES), 400 if form.errors else 200


@bp.route("/canned/<int:canned_id>/edit", methods=["GET", "POST"])
@require(can_manage_support)
def canned_edit(canned_id: int):
    response = canned_service.get_canned(db_session(), canned_id)
    form = CannedForm(obj=response)
    if _save_canned(form, canned_id):
        return redirect(url_for("support.canned"))
    return render_template("support/canned_form.html", response=response, form=form,
                           variables=canned_service.VARIABLES), 400 if form.errors else 200


def _save_canned(form: CannedForm, canned_id: int | None) -> bool:
    if not form.validate_on_submit():
        return False
    s = db_session()
    try:
        with unit_of_work(s):
            once(s, lambda: canned_service.save_canned(
                s, canned_service.get_canned(s, canned_id) if canned_id else None, title=form.title.data,
                body=form.body.data, actor=current_user, now=now()))
    except DomainError as error:
        show_error(error, form)
        return False
    flash(gettext("The canned response is saved."), "success")
    return True


# --- SLA targets and opening hours -----------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@require(can_manage_support)
def settings():
    """Saving recomputes the stored deadlines of every open ticket in the same transaction."""
    s = db_session()
    form = SettingsForm()
    if request.method == "GET":
        current = settings_service.load_settings(s)
        form.fill(current.policies, current.hours)
    elif form.validate_on_submit():
        try:
            with unit_of_work(s):
                settings_service.save_settings(s, policies=form.policies(), hours=form.hours(), actor=current_user,
                                               now=now())
                count = escalation.recompute_active(s, now=now())
        except DomainError as error:
            show_error(error, form)
        else:
            flash(ngettext("The settings are saved; the deadlines of %(num)d open ticket were recomputed.",
                           "The settings are saved; the deadlines of %(num)d open tickets were recomputed.", count),
                  "success")
            return redirect(url_for("support.settings"))
    return render_template("support/settings.html", form=form, priorities=list(Priority),
                           priority_label=lambda p: gettext(tickets.PRIORITY_LABELS[p]),
                           weekdays=WEEKDAYS), 400 if form.errors else 200


# --- groups ----------------------------------------------------------------------------------------------------


@bp.get("/groups")
@require(can_manage_support)
def groups():
    s = db_session()
    # A handful of groups: one small query each for their members is fine here.
    rows = [(g, tickets.group_members(s, g.id)) for g in tickets.list_groups(s)]
    return render_template("support/groups.html", rows=rows)


@bp.route("/groups/new", methods=["GET", "POST"], endpoint="group_edit", defaults={"group_id": None})
@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"], endpoint="group_edit")
@require(can_manage_support)
@creates(lambda _ref, **_: url_for("support.groups"))
def group_edit(group_id: int | None):
    s = db_session()
    group = _group(group_id)
    form = GroupForm(obj=group)
    form.members.choices = tickets.agents(s)
    if request.method == "GET" and group is not None:
        form.members.data = [m.user_id for m in tickets.group_members(s, group.id)]
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                once(s, lambda: tickets.save_group(s, _group(group_id), name=form.name.data,
                                                   round_robin=form.round_robin.data,
                                                   member_ids=form.members.data or [], actor=current_user, now=now()))
        except DomainError as error:
            show_error(error, form)
        else:
            flash(gettext("The group is saved."), "success")
            return redirect(url_for("support.groups"))
    return render_template("support/group_form.html", form=form, group=group), 400 if form.errors else 200


def _group(group_id: int | None) -> SupportGroup | None:
    return get_or_raise(db_session(), SupportGroup, group_id, N_("No such group.")) if group_id else None


# --- figures per device model ----------------------------------------------------------------------------------


def _month() -> tuple[dt.date | None, str]:
    """The month asked for (`month=YYYY-MM`), default the previous full month; None if the text is not a month."""
    text = request.args.get("month", "").strip()
    if not text:
        previous = previous_month(now())
        return previous, previous.strftime("%Y-%m")
    return parse_month(text), text[:20]


def _number(value: float | int | None, pattern: str = "#,##0.##") -> str:
    return "—" if value is None else format_decimal(value, pattern)


@bp.get("/figures")
@require(can_view_indicators)
def figures():
    first, text = _month()
    if first is None:
        return render_template("support/figures.html", month=text, rows=None, number=_number,
                               error=gettext("Write the month as YYYY-MM, e.g. 2026-01.")), 400
    start, end = month_bounds(first)
    rows = figures_service.model_figures(db_session(), start=start, end=end, now=now())
    return render_template("support/figures.html", month=text, first=first, rows=rows, number=_number, error=None)


@bp.get("/figures.csv")
@require(can_view_indicators)
@rate_limited("export")
def figures_csv():
    first, text = _month()
    if first is None:
        return redirect(url_for("support.figures", month=text))
    start, end = month_bounds(first)
    rows = figures_service.model_figures(db_session(), start=start, end=end, now=now())
    header = [gettext("Device model"), gettext("Device-months"), gettext("Faults"),
              gettext("Faults per 100 device-months"), gettext("Swaps"), gettext("Swaps per 100 device-months")]
    plain = "0.##"  # no thousands separator: spreadsheets read the number
    lines = csv_lines(header, ([r.model, _number(r.device_months, plain), r.faults, _number(r.faults_per_100, plain),
                                r.swaps, _number(r.swaps_per_100, plain)] for r in rows))
    return Response("".join(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=figures-{first:%Y-%m}.csv"})
