"""The planner's day: optimise with progress, the routes as lists and as a plot of the stops (SVG from their
coordinates, no map tiles), lock or free stops and optimise again, unplanned visits with the reason, publish,
and each technician's route sheet PDF (printing access notes is audited)."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale, format_date, format_datetime, gettext, ngettext
from flask_login import current_user

from dispatch import route_sheet
from dispatch.service import allocation, planning, technicians, visits
from dispatch.service.confirm import make_token
from dispatch.service.technicians import get_technician, on_duty
from dispatch.views import bp
from inventory import service as inventory
from servicecenter import queue
from servicecenter.audit.service import record_event
from servicecenter.auth.permissions import can_dispatch, can_print_route_sheet
from servicecenter.citizens import service as citizens
from servicecenter.db import local_date, unit_of_work
from servicecenter.errors import DomainError
from servicecenter.extensions import db_session, get_database
from servicecenter.inputguards import bounded_int
from servicecenter.outbox.texts import text_locale
from servicecenter.web import listed_after_render, now, public_url, require, show_error


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else local_date(now())
    except ValueError:
        abort(404)


@bp.get("/plan")
@require(can_dispatch)
def plan():
    s = db_session()
    today = local_date(now())
    day = _day(request.args["day"]) if request.args.get("day") else planning.next_plan_day(s, today)
    with unit_of_work(s):  # a run whose worker died is ended before the page shows it
        planning.end_lost_runs(s, day, now=now())
    booked = planning.day_visits(s, day)
    run = planning.latest_run(s, day)
    by_id = {v.id: v for v in booked}
    duty = on_duty(s, day)
    html = render_template("dispatch/plan.html", day=day, booked=booked, run=run, by_id=by_id, duty=duty,
                           technicians={d.technician.id: d.technician for d in duty},
                           unreserved=[v for v in booked if v.status.value == "scheduled"
                                       and allocation.needs_reservation(v)],
                           plot=_plot(run, by_id, duty) if run and run.result else None,
                           reasons=planning.UNPLANNED_MESSAGES, sheets=planning.sheet_technicians(s, day),
                           chosen_for_you=not request.args.get("day") and day != today)
    # Rendered first, then the citizens it names are logged as read: logged first, the unit of work expired every
    # visit and the page reloaded them one by one (134.7 → 42.9 ms at national scale, issue 17).
    return listed_after_render(html, [v.citizen_id for v in booked], action="citizen.list_plan")


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
            planning.start_run(s, day, actor=current_user, now=now(),
                               seconds=float(current_app.config["PLAN_SECONDS"]))
            job_id = planning.plan_job(s, day).id
    except DomainError as error:
        show_error(error)
        return redirect(url_for("dispatch.plan", day=day.isoformat()))
    queue.start(get_database().factory, dict(current_app.config), job_id)  # committed: now it may run
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
    technician_id = request.form.get("technician_id", type=bounded_int)
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
    run = planning.get_run(s, run_id)
    try:
        with unit_of_work(s):
            count = planning.publish(s, planning.get_run(s, run_id), actor=current_user, now=now(),
                                     confirmation=confirmation_for(current_app.config["SECRET_KEY"]),
                                     leave_out_unreserved=request.form.get("leave_out") == "y")
    except DomainError as error:
        show_error(error)
    else:
        flash(ngettext("%(num)d visit is scheduled and its confirmation text is ready.",
                         "%(num)d visits are scheduled and their confirmation texts are ready.", count), "success")
    return redirect(url_for("dispatch.plan", day=run.day.isoformat()))


def confirmation_for(secret: str):
    """The text for the citizen (sent by SMS, dispatch/service/messages.py) in her language, whoever publishes, with
    a signed link on the public base URL, and the slots offered: the planned one and other times with room."""

    def confirmation(visit) -> tuple[str, list]:
        slots = [[visit.scheduled_on.isoformat(), visit.window_start, visit.window_end]]
        slots += planning.open_slots(db_session(), visit, after=visit.scheduled_on)
        link = public_url("dispatch.confirm_link", token=make_token(secret, visit))
        with force_locale(text_locale(visit.citizen.language)):
            text = gettext("Fælles Servicecenter visits you on %(day)s between %(start)s and %(end)s (%(task)s). "
                           "Confirm or choose another time: %(link)s",
                           day=format_date(visit.scheduled_on, "full"), start=_hhmm(visit.window_start),
                           end=_hhmm(visit.window_end), task=gettext(visits.KIND_LABELS[visit.kind]), link=link)
        return text, slots

    return confirmation


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@bp.get("/plan/<day>/sheet/<int:technician_id>.pdf")
@require(can_print_route_sheet)
def sheet(day: str, technician_id: int):
    """A technician's route sheet: the planner prints anyone's, a technician only their own. Access notes are
    printed only here and only on the day itself; the print is audited per citizen, and each access note too."""
    s = db_session()
    the_day = _day(day)
    technician = get_technician(s, technician_id)
    if not can_dispatch(current_user) and technician.user_id != current_user.id:
        abort(404)
    stops = planning.technician_day(s, technician, the_day)
    with unit_of_work(s):
        for v in stops:
            record_event(s, actor=current_user, action="visit.route_sheet_print", entity_type="visit",
                         entity_id=v.id, citizen_id=v.citizen_id, now=now(), purpose="route sheet")
    with unit_of_work(s):
        notes = {v.id: citizens.show_access_notes(s, v.citizen, actor=current_user, now=now(), where="route sheet",
                                                  entity=("visit", v.id))
                 for v in stops} if the_day == local_date(now()) else {}
    sheet_stops = [_sheet_stop(s, n, v, notes.get(v.id)) for n, v in enumerate(stops, start=1)]
    van = inventory.get_holder(s, technician.van_id).name if technician.van_id else "—"
    document = route_sheet.RouteSheet(
        title=gettext("Route sheet"), technician=technician.user.full_name, day_label=format_date(the_day, "full"),
        depot=inventory.get_holder(s, technician.depot_id).name, van=van,
        printed_label=gettext("Printed %(at)s by %(name)s", at=format_datetime(now(), "short"),
                              name=current_user.full_name),
        labels=route_sheet.SheetLabels.translated(gettext),
        loading=[line for stop in sheet_stops for line in stop.deliver], stops=sheet_stops,
        footer_page=gettext("Page %(page)s of %(pages)s"))
    response = make_response(route_sheet.render_route_sheet(document))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="route-{the_day.isoformat()}-{technician_id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/my-day/sheet.pdf")
@require(can_print_route_sheet)
def my_sheet():
    """The technician's own route sheet for the day (today, or ?day=)."""
    technician = technicians.technician_of_user(db_session(), current_user.id)
    if technician is None:
        abort(404)
    return redirect(url_for("dispatch.sheet", day=_day(request.args.get("day")).isoformat(),
                            technician_id=technician.id))


def _sheet_stop(s, number: int, v, access_notes: str | None) -> route_sheet.SheetStop:
    """One stop as the sheet prints it: what to deliver (what is reserved) and collect, who to contact."""
    deliver = [route_sheet.DeviceLine(d.tag, str(d.model)) for d in allocation.reserved_devices(s, v)]
    in_home = inventory.devices_in_home(s, v.course_id)
    collect = [route_sheet.DeviceLine(d.tag, d.model) for d in in_home
               if v.kind.value == "pickup" or (v.kind.value == "swap" and d.id == v.swap_device_id)]
    relative = citizens.relative_to_contact(v.citizen) if v.course.is_sensitive else None
    needs = [gettext("URGENT")] if v.urgency.value == "urgent" else []
    needs += [gettext("Interpreter needed")] if v.interpreter_needed else []
    needs += [gettext("Hearing impaired: call the relative, not the citizen")] if v.hearing_needs else []
    needs += [gettext("A relative will be present")] if v.relative_present else []
    return route_sheet.SheetStop(
        number=number, eta=_hhmm(v.planned_start), window=f"{_hhmm(v.window_start)}–{_hhmm(v.window_end)}",
        citizen_name=v.citizen.full_name, address=f"{v.citizen.address}, {v.citizen.postal_code} {v.citizen.city}",
        phone=v.citizen.mobile or v.citizen.phone or "—", access_notes=access_notes or "",
        task=gettext(visits.KIND_LABELS[v.kind]), deliver=deliver, collect=collect,
        checklist=list(v.course.programme.checklist or []) if v.kind.value == "setup" else [],
        note=v.notes or "", needs=needs,
        sensitive=gettext("Deceased: be considerate, contact the relative: %(who)s",
                          who=f"{relative.name} {relative.phone or ''}".strip() if relative else "—")
        if v.course.is_sensitive else "")
