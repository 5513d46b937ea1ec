"""The planner's day: optimise with progress, the routes as lists and as a plot of the stops (SVG from their
coordinates, no map tiles), lock or free stops and optimise again, unplanned visits with the reason, publish,
and each technician's route sheet PDF (printing access notes is audited)."""

from __future__ import annotations

import datetime as dt
import threading

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, gettext
from flask_login import current_user

from dispatch import route_sheet
from dispatch.planning.travel import provider_from_config
from dispatch.service import planning, visits
from dispatch.service.confirm import make_token
from dispatch.service.technicians import get_technician, on_duty
from dispatch.views import bp
from inventory import service as inventory
from servicecenter.audit.service import record_event
from servicecenter.auth.permissions import can_dispatch
from servicecenter.citizens import service as citizens
from servicecenter.db import local_date, unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session, get_database
from servicecenter.web import now, require, show_error


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else local_date(now())
    except ValueError:
        abort(404)


@bp.get("/plan")
@require(can_dispatch)
def plan():
    s = db_session()
    day = _day(request.args.get("day"))
    booked = planning.day_visits(s, day)
    run = planning.latest_run(s, day)
    by_id = {v.id: v for v in booked}
    with unit_of_work(s):
        citizens.record_listed(s, [v.citizen_id for v in booked], actor=current_user, now=now(),
                               action="citizen.list_plan")
    duty = on_duty(s, day)
    return render_template("dispatch/plan.html", day=day, booked=booked, run=run, by_id=by_id, duty=duty,
                           technicians={d.technician.id: d.technician for d in duty},
                           plot=_plot(run, by_id, duty) if run and run.result else None,
                           reasons=planning.UNPLANNED_MESSAGES)


COLOURS = ["#0d6efd", "#d63384", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#0dcaf0", "#6c757d",
           "#ffc107", "#6610f2", "#198754"]


def _plot(run, by_id: dict, duty) -> dict:
    """Routes as polylines scaled into a 600 × 400 box from the stops' own coordinates."""
    depots = {d.technician.id: inventory.get_holder(db_session(), d.technician.depot_id) for d in duty}
    points = [(v.citizen.longitude, v.citizen.latitude) for v in by_id.values() if v.citizen.latitude is not None]
    points += [(h.longitude, h.latitude) for h in depots.values() if h.latitude is not None]
    if not points:
        return {"routes": [], "depots": []}
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-6)

    def scale(lon: float, lat: float) -> tuple[float, float]:
        return round(20 + (lon - min(xs)) / span * 560, 1), round(380 - (lat - min(ys)) / span * 360, 1)

    routes = []
    for n, route in enumerate(run.result["routes"]):
        depot = depots.get(route["technician_id"])
        stops = [by_id[s["visit_id"]] for s in route["stops"] if s["visit_id"] in by_id]
        line = [scale(depot.longitude, depot.latitude)] if depot and depot.latitude is not None else []
        line += [scale(v.citizen.longitude, v.citizen.latitude) for v in stops if v.citizen.latitude is not None]
        routes.append({"colour": COLOURS[n % len(COLOURS)], "points": line + line[:1],
                       "technician_id": route["technician_id"]})
    return {"routes": routes, "depots": [scale(h.longitude, h.latitude) for h in depots.values()
                                         if h.latitude is not None]}


@bp.post("/plan/optimise")
@require(can_dispatch)
def optimise():
    s = db_session()
    day = _day(request.form.get("day"))
    try:
        with unit_of_work(s):
            run = planning.start_run(s, day, actor=current_user, now=now())
    except DomainError as error:
        show_error(error)
        return redirect(url_for("dispatch.plan", day=day.isoformat()))
    config = current_app.config
    job = {"factory": get_database().factory, "run_id": run.id, "provider": provider_from_config(config),
           "seconds": float(config["PLAN_SECONDS"]), "now": now}
    if config["PLAN_IN_BACKGROUND"]:
        threading.Thread(target=planning.run_plan, kwargs=job, daemon=True, name=f"plan-{run.id}").start()
    else:
        planning.run_plan(**job)
    return redirect(url_for("dispatch.plan", day=day.isoformat()))


@bp.get("/plan/runs/<int:run_id>/progress")
@require(can_dispatch)
def progress(run_id: int):
    """Polled by the page while the run is busy; when it is done the page reloads itself."""
    run = planning.get_run(db_session(), run_id)
    response = make_response(render_template("dispatch/_progress.html", run=run))
    if run.status.value != "running":
        response.headers["HX-Refresh"] = "true"
    return response


@bp.post("/plan/visits/<int:visit_id>/lock")
@require(can_dispatch)
def lock(visit_id: int):
    s = db_session()
    visit = visits.get_visit(s, visit_id)
    day = visit.scheduled_on or local_date(now())
    technician_id = request.form.get("technician_id", type=int)
    try:
        with unit_of_work(s):
            planning.lock(s, visits.get_visit(s, visit_id), technician_id=technician_id or None, day=day,
                          actor=current_user, now=now())
    except DomainError as error:
        show_error(error)
    return redirect(url_for("dispatch.plan", day=day.isoformat()))


@bp.post("/plan/runs/<int:run_id>/publish")
@require(can_dispatch)
def publish(run_id: int):
    s = db_session()
    secret = current_app.config["SECRET_KEY"]
    run = planning.get_run(s, run_id)
    try:
        with unit_of_work(s):
            count = planning.publish(s, planning.get_run(s, run_id), actor=current_user, now=now(),
                                     confirmation=lambda v: _confirmation(v, secret))
    except DomainError as error:
        show_error(error)
    else:
        flash(gettext("%(n)d visits are scheduled and their confirmation texts are ready.", n=count), "success")
    return redirect(url_for("dispatch.plan", day=run.day.isoformat()))


def _confirmation(visit, secret: str) -> tuple[str, list]:
    """The text for the citizen (SMS or letter; sending is not part of this system yet) and the slots offered:
    the planned one and the same window on the next two weekdays."""
    slots = [[visit.scheduled_on.isoformat(), visit.window_start, visit.window_end]]
    day = visit.scheduled_on
    while len(slots) < 3:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and visit.earliest_on <= day <= max(visit.latest_on, day):
            slots.append([day.isoformat(), visit.window_start, visit.window_end])
    link = url_for("dispatch.confirm_link", token=make_token(secret, visit), _external=True)
    text = gettext("Fælles Servicecenter visits you on %(day)s between %(start)s and %(end)s (%(task)s). "
                   "Confirm or choose another time: %(link)s",
                   day=format_date(visit.scheduled_on, "full"), start=_hhmm(visit.window_start),
                   end=_hhmm(visit.window_end), task=gettext(visits.KIND_LABELS[visit.kind]), link=link)
    return text, slots


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@bp.get("/plan/<day>/sheet/<int:technician_id>.pdf")
@require(can_dispatch)
def sheet(day: str, technician_id: int):
    """The technician's route sheet; access notes are printed only here, and the print is audited per citizen."""
    s = db_session()
    the_day = _day(day)
    technician = get_technician(s, technician_id)
    stops = planning.technician_day(s, technician, the_day)
    with unit_of_work(s):
        for v in stops:
            record_event(s, actor=current_user, action="visit.route_sheet_print", entity_type="visit",
                         entity_id=v.id, citizen_id=v.citizen_id, now=now(), purpose="route sheet")
    labels = route_sheet.SheetLabels.translated(gettext)
    loading, sheet_stops = [], []
    for n, v in enumerate(stops, start=1):
        deliver = [route_sheet.DeviceLine(t, m) for t, m in _kit_lines(v)]
        collect = [route_sheet.DeviceLine(t, m) for t, m in inventory.devices_in_home(s, v.course_id)] \
            if v.kind.value in ("pickup", "swap") else []
        loading += deliver
        sheet_stops.append(route_sheet.SheetStop(
            number=n, eta=_hhmm(v.planned_start), window=f"{_hhmm(v.window_start)}–{_hhmm(v.window_end)}",
            citizen_name=v.citizen.full_name, address=f"{v.citizen.address}, {v.citizen.postal_code} {v.citizen.city}",
            phone=v.citizen.mobile or v.citizen.phone or "—", access_notes=v.citizen.access_notes or "",
            task=gettext(visits.KIND_LABELS[v.kind]), deliver=deliver, collect=collect,
            checklist=list(v.course.programme.checklist or []) if v.kind.value == "setup" else [],
            note=v.notes or ""))
    van = inventory.get_holder(s, technician.van_id).name if technician.van_id else "—"
    document = route_sheet.RouteSheet(
        title=gettext("Route sheet"), technician=technician.user.full_name, day_label=format_date(the_day, "full"),
        depot=inventory.get_holder(s, technician.depot_id).name, van=van,
        printed_label=gettext("Printed %(at)s by %(name)s", at=format_datetime(now(), "short"),
                              name=current_user.full_name),
        labels=labels, loading=loading, stops=sheet_stops, footer_page=gettext("Page %(page)s of %(pages)s"))
    response = make_response(route_sheet.render_route_sheet(document))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="route-{the_day.isoformat()}-{technician_id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _kit_lines(visit) -> list[tuple[str, str]]:
    if visit.kit_id is None:
        return []
    kit = inventory.get_kit(db_session(), visit.kit_id)
    return [(d.tag, str(d.model)) for d in kit.members]

