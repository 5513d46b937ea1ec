"""Technicians (depot, van, weekly shifts, absences, extra skills) and depot locations, for coordinators."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext, ngettext
from flask_login import current_user
from sqlalchemy import select

from dispatch.forms import WEEKDAYS, AbsenceForm, DepotLocationForm, TechnicianForm
from dispatch.service import technicians as service
from dispatch.views import bp
from inventory import service as inventory
from inventory.models import HolderKind
from servicecenter.auth.models import Role, User, UserStatus
from servicecenter.auth.permissions import can_manage_technicians
from servicecenter.citizens import service as citizens
from servicecenter.db import local_date, unit_of_work
from servicecenter.errors import N_, DomainError
from servicecenter.extensions import db_session
from servicecenter.web import creates, now, once, require, show_error


@bp.get("/technicians")
@require(can_manage_technicians)
def technicians():
    s = db_session()
    return render_template("dispatch/technicians.html", technicians=service.list_technicians(s), weekdays=WEEKDAYS,
                           depots=inventory.list_holders(s, HolderKind.DEPOT), location_form=DepotLocationForm())


def _form(technician) -> TechnicianForm:
    s = db_session()
    form = TechnicianForm(obj=technician)
    users = s.scalars(select(User).where(User.role == Role.TECHNICIAN, User.status == UserStatus.ACTIVE)
                      .order_by(User.full_name))
    form.user_id.choices = [(0, gettext("— choose —"))] + [(u.id, u.full_name) for u in users]
    form.depot_id.choices = [(0, gettext("— choose —"))] + [(h.id, h.name) for h in
                                                            inventory.list_holders(s, HolderKind.DEPOT)]
    form.van_id.choices = [(0, "—")] + [(h.id, h.name) for h in inventory.list_holders(s, HolderKind.VAN)]
    return form


def _shifts_from(values) -> list[tuple[int, int, int]]:
    """shift-N-start / shift-N-end as HH:MM for weekday N; a day left empty has no shift."""
    shifts = []
    for weekday in range(7):
        start, end = values.get(f"shift-{weekday}-start", "").strip(), values.get(f"shift-{weekday}-end", "").strip()
        if not start and not end:
            continue
        try:
            shifts.append((weekday, _minutes(start), _minutes(end)))
        except ValueError:
            raise DomainError(N_("Write shift times as HH:MM."), field="shifts") from None
    return shifts


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    if not (hours.isdigit() and minutes.isdigit()):
        raise ValueError(text)
    return int(hours) * 60 + int(minutes)


@bp.route("/technicians/new", methods=["GET", "POST"], defaults={"technician_id": None})
@bp.route("/technicians/<int:technician_id>", methods=["GET", "POST"])
@require(can_manage_technicians)
@creates(lambda ref, **_: url_for("dispatch.technician", technician_id=ref))
def technician(technician_id: int | None):
    s = db_session()
    existing = service.get_technician(s, technician_id) if technician_id else None
    form, status = _form(existing), 200
    shifts = {sh.weekday: sh for sh in existing.shifts} if existing else {}
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                saved = once(s, lambda: service.save_technician(
                    s, service.get_technician(s, technician_id) if technician_id else None,
                    user_id=form.user_id.data, depot_id=form.depot_id.data, van_id=form.van_id.data or None,
                    skills=form.skills.data or [], shifts=_shifts_from(request.form), actor=current_user, now=now()))
        except DomainError as error:
            show_error(error, form)
            status = error.status_code
        else:
            flash(gettext("The technician is saved."), "success")
            return redirect(url_for("dispatch.technician", technician_id=saved.id))
    elif form.errors:
        status = 400
    absences = service.absences_of(s, existing.id, from_day=local_date(now())) if existing else []
    return render_template("dispatch/technician.html", form=form, technician=existing, shifts=shifts,
                           weekdays=WEEKDAYS, absences=absences, absence_form=AbsenceForm(prefix="absence"),
                           values=request.form), status


@bp.post("/technicians/<int:technician_id>/absences")
@require(can_manage_technicians)
@creates(lambda _ref, technician_id: url_for("dispatch.technician", technician_id=technician_id))
def add_absence(technician_id: int):
    s = db_session()
    form = AbsenceForm(prefix="absence")
    if form.validate_on_submit():
        try:
            with unit_of_work(s):
                _absence, stranded = once(s, lambda: service.add_absence(
                    s, service.get_technician(s, technician_id), first_day=form.first_day.data,
                    last_day=form.last_day.data, reason=form.reason.data or "", actor=current_user, now=now()),
                    ref=lambda made: made[0].id)
                citizens.record_listed(s, [v.citizen_id for v in stranded], actor=current_user, now=now(),
                                       action="citizen.list_stranded")
        except DomainError as error:
            show_error(error)
        else:
            flash(gettext("The absence is registered."), "success")
            if stranded:  # named, so the planner knows which days to optimise again
                flash(ngettext("%(num)d stop went back to the planner and its confirmation was withdrawn: "
                               "%(stops)s. Optimise that day again.",
                               "%(num)d stops went back to the planner and their confirmations were withdrawn: "
                               "%(stops)s. Optimise those days again.", len(stranded),
                               stops="; ".join(f"{format_date(v.scheduled_on)} {v.citizen.full_name}"
                                               for v in stranded)), "warning")
    else:
        flash(gettext("Give the first and last day."), "danger")
    return redirect(url_for("dispatch.technician", technician_id=technician_id))


@bp.post("/depots/<int:depot_id>/location")
@require(can_manage_technicians)
def depot_location(depot_id: int):
    """Where routes from the depot start and end."""
    s = db_session()
    form = DepotLocationForm()
    try:
        latitude, longitude = float(form.latitude.data or ""), float(form.longitude.data or "")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError
    except ValueError:
        flash(gettext("Give the latitude and longitude as decimal degrees, e.g. 56.1567 and 10.2108."), "danger")
        return redirect(url_for("dispatch.technicians"))
    with unit_of_work(s):
        inventory.set_location(s, inventory.get_holder(s, depot_id), latitude=latitude, longitude=longitude,
                               actor=current_user, now=now())
    flash(gettext("The depot's location is saved."), "success")
    return redirect(url_for("dispatch.technicians"))
