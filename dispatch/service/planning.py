"""Planning a day: the booked visits and the technicians on duty become stops and routes for the solver
(dispatch.planning, pure), the run's progress and result are kept in `plan_runs`, the planner locks or moves
stops and optimises again, and publishing schedules the visits with a technician and a time."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, joinedload, lazyload

from dispatch.models import CitizenRequest, PlanRun, PlanStatus, Technician, Urgency, Visit, VisitKind, VisitStatus
from dispatch.planning import model as pm
from dispatch.planning.solver import plan_day
from dispatch.planning.travel import TravelTimeProvider, provider_from_config
from dispatch.service import messages
from dispatch.service.allocation import needs_reservation
from dispatch.service.technicians import OnDuty, get_technician, on_duty
from dispatch.service.visits import WINDOWS, log, unbook
from inventory import service as inventory
from servicecenter import queue
from servicecenter.audit.service import record_event
from servicecenter.auth.models import User
from servicecenter.citizens.models import Citizen
from servicecenter.db import get_or_raise, lock_row, serialize_on, unit_of_work, utcnow
from servicecenter.errors import N_, Conflict, DomainError
from servicecenter.workdays import danish_days_off

logger = logging.getLogger(__name__)
STALE_MESSAGE = N_("The optimisation stopped without an answer (the server restarted?); optimise again.")
LOST_MESSAGE = N_("The optimisation stopped: the process running it ended (a restart or a crash). Optimise again.")
SAVE_FAILED_MESSAGE = N_("The result could not be saved; optimise again.")
PROMISE_MINUTES = 60  # the citizen is promised ETA ± this, inside the requested window
UNPLANNED_MESSAGES = {
    pm.NO_LOCATION: N_("cannot plan: no location (add coordinates to the citizen)"),
    pm.WINDOW_IMPOSSIBLE: N_("the time window cannot be met by any technician on duty"),
    pm.NO_SKILL: N_("no technician on duty has the skills (programme training, depot, spirometry…)"),
    pm.LOCKED_TECHNICIAN_UNKNOWN: N_("locked to a technician who is not on duty that day"),
    pm.NO_CAPACITY: N_("more devices than any van on duty can carry"),
    pm.NO_TIME: N_("did not fit: more work than shift time"),
}


def day_visits(session: Session, day: dt.date) -> list[Visit]:
    """The visits booked on the day (published or not), in route order. A day at national scale has some 350:
    what no caller reads per visit (the technician with user and organisation, the citizen's organisations) is
    not joined into every row (issue 17); a caller that does read it loads it then."""
    return list(session.scalars(select(Visit).where(Visit.scheduled_on == day,
                                                    Visit.status.in_((VisitStatus.SCHEDULED,
                                                                      VisitStatus.IN_PROGRESS)))
                                .options(lazyload(Visit.technician),
                                         joinedload(Visit.citizen).lazyload(Citizen.municipality),
                                         joinedload(Visit.citizen).lazyload(Citizen.responsible_organisation))
                                .order_by(Visit.technician_id, Visit.route_order, Visit.id)))


def _stop(visit: Visit) -> pm.Stop:
    citizen = visit.citizen
    point = pm.Point(citizen.latitude, citizen.longitude) if citizen.latitude is not None else None
    return pm.Stop(id=str(visit.id), point=point, service_minutes=visit.service_minutes,
                   window=(visit.window_start, visit.window_end), skills=frozenset(visit.skills),
                   demand=1 if visit.kind == VisitKind.SETUP else 0,
                   locked_to=str(visit.technician_id) if visit.locked and visit.technician_id else None,
                   priority=3 if visit.urgency == Urgency.URGENT else 1)


def _technician(session: Session, duty: OnDuty) -> pm.Technician | None:
    depot = inventory.get_holder(session, duty.technician.depot_id)
    if depot.latitude is None:
        return None
    return pm.Technician(id=str(duty.technician.id), depot=pm.Point(depot.latitude, depot.longitude),
                         shift=(duty.start, duty.end), skills=duty.skills)


def planning_input(session: Session, day: dt.date) -> tuple[list[pm.Stop], list[pm.Technician]]:
    visits = [v for v in day_visits(session, day) if v.status == VisitStatus.SCHEDULED]
    technicians = [t for t in (_technician(session, d) for d in on_duty(session, day)) if t is not None]
    return [_stop(v) for v in visits], technicians


def last_routes(session: Session, day: dt.date) -> dict[str, list[str]]:
    """The day's routes as they stand (technician id -> visit ids in order), where re-optimising starts: the
    published order, or else the last plan made for the day. Visits moved or cancelled since simply drop out."""
    published: dict[str, list[str]] = {}
    for visit in day_visits(session, day):
        if visit.technician_id is not None and visit.route_order is not None:
            published.setdefault(str(visit.technician_id), []).append(str(visit.id))
    if published:
        return published
    run = session.scalar(select(PlanRun).where(PlanRun.day == day, PlanRun.status == PlanStatus.DONE)
                         .order_by(PlanRun.id.desc()).limit(1))
    routes = run.result["routes"] if run and run.result else []
    return {str(r["technician_id"]): [str(s["visit_id"]) for s in r["stops"]] for r in routes}


def start_run(session: Session, day: dt.date, *, actor, now: dt.datetime, seconds: float = 10.0) -> PlanRun:
    """A new run of the day, and its job enqueued in this same transaction (dispatch.plan_day, keyed by the day:
    asking twice makes one job). Refused while the day's run is still busy."""
    serialize_on(session, f"plan:{day.isoformat()}")  # two planners pressing "optimise" at once: one run
    end_lost_runs(session, day, now=now)
    if session.scalar(select(PlanRun.id).where(PlanRun.day == day, PlanRun.status == PlanStatus.RUNNING)):
        raise Conflict(N_("This day is being optimised already; wait for it to finish."))
    run = PlanRun(day=day, status=PlanStatus.RUNNING, progress=0.0, started_at=now, created_by_id=actor.id)
    session.add(run)
    session.flush()
    payload = {"day": day.isoformat(), "seconds": seconds, "run_id": run.id}
    job = queue.enqueue(session, PLAN_JOB, plan_key(day), payload, now=now)
    # The day's live job may still be an ended run's: not started yet, it is this run's now; started, it is just
    # finishing that run (this one would be left without a job).
    if job.payload.get("run_id", run.id) != run.id and not queue.retarget(session, job, payload):
        raise Conflict(N_("The day's previous optimisation is just finishing; try again in a moment."))
    record_event(session, actor=actor, action="plan.start", entity_type="plan_run", entity_id=run.id, now=now,
                 detail={"day": day.isoformat()})
    return run


def plan_key(day: dt.date) -> str:
    return f"day:{day.isoformat()}"


def plan_job(session: Session, day: dt.date) -> queue.QueuedJob | None:
    """The day's pending or running optimisation job, if any."""
    return queue.live_job(session, PLAN_JOB, plan_key(day))


def end_lost_runs(session: Session, day: dt.date, *, now: dt.datetime) -> int:
    """End what lost its process: jobs whose lease ran out are reaped (their runs fail with LOST_MESSAGE), and a
    run of the day still "running" with no live job left to finish it fails with STALE_MESSAGE. Returns how many
    runs of the day were ended here."""
    queue.reap(session, now=now)
    if plan_job(session, day) is not None:
        return 0
    return _fail_running(session, day, STALE_MESSAGE, now=now)


def _fail_running(session: Session, day: dt.date, message: str, *, now: dt.datetime) -> int:
    runs = list(session.scalars(select(PlanRun).where(PlanRun.day == day, PlanRun.status == PlanStatus.RUNNING)))
    for run in runs:
        run.status, run.error, run.finished_at = PlanStatus.FAILED, message, now
    return len(runs)


def _run_job(factory: Callable[[], Session], payload: dict, config: dict) -> None:
    """The queue's handler: optimise the job's own run while it is running (a job enqueued before run ids were
    in the payload: the day's newest running run)."""
    day = dt.date.fromisoformat(payload["day"])
    query = select(PlanRun.id).where(PlanRun.day == day, PlanRun.status == PlanStatus.RUNNING)
    if "run_id" in payload:
        query = query.where(PlanRun.id == payload["run_id"])
    with factory() as session:
        run_id = session.scalar(query.order_by(PlanRun.id.desc()).limit(1))
    if run_id is not None:
        run_plan(factory, run_id, provider=provider_from_config(config), seconds=float(payload["seconds"]),
                 now=utcnow)


def _lost(session: Session, payload: dict, now: dt.datetime) -> None:
    _fail_running(session, dt.date.fromisoformat(payload["day"]), LOST_MESSAGE, now=now)


PLAN_JOB = "dispatch.plan_day"
HANDLER = queue.Handler(PLAN_JOB, _run_job, on_lost=_lost)


def get_run(session: Session, run_id: int) -> PlanRun:
    return get_or_raise(session, PlanRun, run_id, N_("No such plan."))


def latest_run(session: Session, day: dt.date) -> PlanRun | None:
    return session.scalar(select(PlanRun).where(PlanRun.day == day).order_by(PlanRun.id.desc()).limit(1))


def run_plan(factory: Callable[[], Session], run_id: int, *, provider: TravelTimeProvider, seconds: float,
             now: Callable[[], dt.datetime]) -> None:
    """Solve the run's day and store the result. Runs in its own sessions (a job of the queue: a worker process,
    or a thread of the web process); progress is written at most once a second so every app instance can show it.
    Whatever goes wrong (the database, the solver, the input), the run ends "failed" with a message, never left
    "running"; if the process dies, its lease runs out and the reaper ends the run (end_lost_runs)."""
    try:
        stops, technicians, initial = _claim_retrying(factory, run_id)
        if stops is None:
            return
        plan = plan_day(stops, technicians, provider, seconds=seconds, on_progress=_progress_writer(factory, run_id),
                        initial=initial)
        result, status, error = _as_json(plan), PlanStatus.DONE, None
    except Exception as exc:  # noqa: BLE001 - the planner must see that it failed, and why
        logger.exception("plan %d failed", run_id)
        result, status, error = None, PlanStatus.FAILED, f"{type(exc).__name__}: {exc}"[:500]
    _finish(factory, run_id, result=result, status=status, error=error, now=now)


def _claim_retrying(factory: Callable[[], Session], run_id: int, attempts: int = 3):
    """The claim, tried again when the database stayed busy past its timeout (many writers on SQLite): a run
    should fail for its own reasons, not because the office was busy for a moment."""
    for attempt in range(attempts):
        try:
            return _claim(factory, run_id)
        except OperationalError:
            if attempt == attempts - 1:
                raise
            logger.warning("plan %d: database busy at the claim (attempt %d)", run_id, attempt + 1)
            time.sleep(0.5 * (attempt + 1))
    return None, None, None


def _claim(factory: Callable[[], Session], run_id: int):
    """Claim the run with a write first (BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL) and read the day's
    input in that same transaction: a read that later turns into a write loses to any writer in between on
    SQLite. Returns the stops, the technicians and the day's routes as they stand (the warm start), or
    (None, None, None) when the run is no longer running (marked stale, or finished elsewhere)."""
    with factory() as session, unit_of_work(session):
        run = get_run(session, run_id)
        lock_row(session, run)
        if run.status != PlanStatus.RUNNING:
            return None, None, None
        run.progress = 0.01  # the claim: a write, so this transaction holds the lock from its first statement
        return *planning_input(session, run.day), last_routes(session, run.day)


def _progress_writer(factory: Callable[[], Session], run_id: int) -> Callable[[float, float], None]:
    last = [0.0]

    def progress(fraction: float, _cost: float) -> None:
        if time.monotonic() - last[0] < 1.0:
            return
        last[0] = time.monotonic()
        try:
            with factory() as session, unit_of_work(session):
                get_run(session, run_id).progress = round(min(fraction, 0.99), 2)
        except SQLAlchemyError:  # the next tick writes it; progress is only shown
            logger.warning("plan %d: progress not saved", run_id)

    return progress


def _finish(factory: Callable[[], Session], run_id: int, *, result, status: PlanStatus, error: str | None,
            now: Callable[[], dt.datetime], attempts: int = 5) -> None:
    """Store the run's end in a write transaction taken up front, retried a few times; a run never stays
    "running" because its last write failed (and if every attempt fails, the stale check ends it later)."""
    for attempt in range(attempts):
        try:
            with factory() as session, unit_of_work(session):
                run = get_run(session, run_id)
                lock_row(session, run)
                if run.status != PlanStatus.RUNNING:
                    return  # ended meanwhile (marked stale): its end stands
                run.result, run.status, run.error, run.progress, run.finished_at = result, status, error, 1.0, now()
            return
        except Exception:  # noqa: BLE001 - any failure here is retried, then left to the stale check
            logger.exception("plan %d: result not saved (attempt %d)", run_id, attempt + 1)
            result, status, error = None, PlanStatus.FAILED, SAVE_FAILED_MESSAGE
            time.sleep(0.2 * (attempt + 1))


def _as_json(plan: pm.Plan) -> dict:
    return {
        "routes": [{"technician_id": int(r.technician_id), "distance_m": round(r.distance_m),
                    "driving_minutes": r.driving_minutes, "leaves_at": r.leaves_at, "returns_at": r.returns_at,
                    "stops": [{"visit_id": int(s.stop_id), "arrival": s.arrival, "start": s.start, "end": s.end}
                              for s in r.stops]} for r in plan.routes],
        "unplanned": [{"visit_id": int(u.stop_id), "reason": u.reason} for u in plan.unplanned],
        "distance_m": round(plan.distance_m), "seconds": round(plan.seconds, 2),
    }


def lock(session: Session, visit: Visit, *, technician_id: int | None, day: dt.date, actor, now: dt.datetime) -> None:
    """Fix a visit to a technician (or free it, with None) before optimising again."""
    if visit.status != VisitStatus.SCHEDULED or visit.scheduled_on != day:
        raise DomainError(N_("Only a visit booked on this day can be locked."))
    if technician_id is not None:
        if technician_id not in {d.technician.id for d in on_duty(session, day)}:
            raise DomainError(N_("That technician is not on duty that day."), field="technician_id")
        visit.technician_id, visit.locked = technician_id, True
    else:
        visit.locked = False
    record_event(session, actor=actor, action="plan.lock", entity_type="visit", entity_id=visit.id,
                 citizen_id=visit.citizen_id, now=now, detail={"technician": technician_id})


def _promise(visit: Visit, start: int) -> tuple[int, int]:
    """The window told to the citizen: the ETA ± an hour, on quarter hours, inside the requested window."""
    low = max(visit.window_start, (start - PROMISE_MINUTES) // 15 * 15)
    high = min(visit.window_end, -(-(start + PROMISE_MINUTES) // 15) * 15)
    return low, max(high, low + visit.service_minutes)


Confirmation = Callable[[Visit], tuple[str, list]]


def publish(session: Session, run: PlanRun, *, actor, now: dt.datetime, confirmation: Confirmation,
            leave_out_unreserved: bool = False) -> int:
    """Schedule every planned visit with its technician, order and time, and prepare the citizen's confirmation
    text (and the slots offered). Refused if the day's visits changed since the run, a planned technician is absent
    now, or a planned setup or swap has nothing reserved to deliver — unless the planner chose to leave those out:
    they go back to the queue. Returns the number of visits scheduled."""
    if run.status != PlanStatus.DONE or not run.result:
        raise DomainError(N_("Only a finished plan can be published."))
    if latest_run(session, run.day).id != run.id:
        raise Conflict(N_("A newer plan exists for this day; publish that one."))
    planned = {s["visit_id"]: (route["technician_id"], n, s) for route in run.result["routes"]
               for n, s in enumerate(route["stops"], start=1)}
    booked = {v.id: v for v in day_visits(session, run.day) if v.status == VisitStatus.SCHEDULED}
    if not set(planned) <= set(booked):
        raise Conflict(N_("Visits were rebooked or cancelled since this plan was made; optimise again."))
    _technicians_still_on_duty(session, run)
    unreserved = sorted(visit_id for visit_id in planned if needs_reservation(booked[visit_id]))
    if unreserved and not leave_out_unreserved:
        raise Conflict(N_("Nothing is reserved to deliver on planned visits (a kit or a replacement is needed: "
                          "%(visits)s). Reserve it, or publish without them."),
                       visits=", ".join(f"#{v}" for v in unreserved))
    for visit_id in unreserved:
        unbook(session, booked[visit_id], actor=actor, now=now,
               note=N_("left out of the plan: nothing reserved to deliver"))
    for visit_id, (technician_id, order, stop) in planned.items():
        if visit_id not in unreserved:
            _schedule(session, booked[visit_id], technician_id, order, stop["start"], actor=actor, now=now,
                      confirmation=confirmation)
    run.status = PlanStatus.PUBLISHED
    record_event(session, actor=actor, action="plan.publish", entity_type="plan_run", entity_id=run.id, now=now,
                 detail={"visits": len(planned) - len(unreserved), "left_out": unreserved})
    return len(planned) - len(unreserved)


def _technicians_still_on_duty(session: Session, run: PlanRun) -> None:
    duty = {d.technician.id for d in on_duty(session, run.day)}
    gone = [route["technician_id"] for route in run.result["routes"] if route["technician_id"] not in duty]
    if gone:
        raise Conflict(N_("No longer on duty that day (an absence was added): %(names)s. Optimise again."),
                       names=", ".join(get_technician(session, t).user.full_name for t in gone))


def _schedule(session: Session, visit: Visit, technician_id: int, order: int, start: int, *, actor,
              now: dt.datetime, confirmation: Confirmation) -> None:
    """The visit is published to the technician at that time; the citizen's confirmation text is prepared and sent
    to her (an older one not yet sent is withdrawn) — never for a deceased citizen (the relative is contacted)."""
    messages.withdraw_publication(session, visit)
    visit.technician = get_technician(session, technician_id)  # the relationship too: the door checks whose it is
    visit.route_order, visit.planned_start = order, start
    visit.window_start, visit.window_end = _promise(visit, start)
    visit.published_at = now
    visit.citizen_request = visit.citizen_request_at = None
    visit.confirmed_at = None
    if visit.course.is_sensitive:
        visit.confirmation_text, visit.offered_slots = None, None
    else:
        visit.confirmation_text, visit.offered_slots = confirmation(visit)
    log(session, visit, actor=actor, now=now, from_status=visit.status, note=messages.PUBLISHED)
    messages.send_confirmation(session, visit, now=now)


def assign(session: Session, visit: Visit, *, technician_id: int, start: int, actor, now: dt.datetime,
           confirmation: Confirmation) -> None:
    """Book a visit by hand on its day to a technician at a time: published to that technician at once (it is on
    their "My day" and route sheet) with its confirmation text. Refused when the technician is not on duty, it falls
    outside the shift or the visit's window, or it overlaps another of the technician's visits (double-booking)."""
    if visit.status != VisitStatus.SCHEDULED or visit.scheduled_on is None:
        raise DomainError(N_("Book the visit on a day first."))
    if needs_reservation(visit):  # published with an empty "deliver" list, the technician would go for nothing
        raise DomainError(N_("Nothing is reserved to deliver on this visit yet: reserve it before assigning."))
    duty = next((d for d in on_duty(session, visit.scheduled_on) if d.technician.id == technician_id), None)
    if duty is None:
        raise DomainError(N_("That technician is not on duty that day."), field="technician_id")
    end = start + visit.service_minutes
    if start < duty.start or end > duty.end:
        raise DomainError(N_("That is outside the technician's shift."), field="start")
    if start < visit.window_start or end > visit.window_end:
        raise DomainError(N_("That is outside the visit's window %(from)s–%(to)s."), field="start",
                          **{"from": _hhmm(visit.window_start), "to": _hhmm(visit.window_end)})
    _refuse_double_booking(session, visit, technician_id, start, end)
    _schedule(session, visit, technician_id, 0, start, actor=actor, now=now, confirmation=confirmation)
    visit.locked = True
    _reorder(session, technician_id, visit.scheduled_on)
    record_event(session, actor=actor, action="visit.assign", entity_type="visit", entity_id=visit.id,
                 citizen_id=visit.citizen_id, now=now, detail={"technician": technician_id, "start": start})


def _refuse_double_booking(session: Session, visit: Visit, technician_id: int, start: int, end: int) -> None:
    for other in day_visits(session, visit.scheduled_on):
        if other.id != visit.id and other.technician_id == technician_id and other.planned_start is not None \
                and start < other.planned_start + other.service_minutes and other.planned_start < end:
            raise Conflict(N_("%(name)s is already booked %(from)s–%(to)s that day."), field="start",
                           name=get_technician(session, technician_id).user.full_name,
                           **{"from": _hhmm(other.planned_start),
                              "to": _hhmm(other.planned_start + other.service_minutes)})


def _reorder(session: Session, technician_id: int, day: dt.date) -> None:
    """The technician's stops that day in time order (a stop assigned by hand among planned ones)."""
    stops = [v for v in day_visits(session, day) if v.technician_id == technician_id and v.planned_start is not None]
    for order, visit in enumerate(sorted(stops, key=lambda v: (v.planned_start, v.id)), start=1):
        visit.route_order = order


# --- the citizen's own choice of another time: slots with room for the visit ---------------------------------

TRAVEL_ALLOWANCE = 30  # minutes of driving counted with each visit when judging a day's room
HALVES = ((8 * 60, 12 * 60), (12 * 60, 16 * 60))


def has_room(session: Session, visit: Visit, day: dt.date, window: tuple[int, int]) -> bool:
    """Whether the technicians on duty that day who have the visit's skills have time left in that window for it,
    after the visits already booked there (each with a travel allowance)."""
    start, end = window
    able = [d for d in on_duty(session, day) if set(visit.skills) <= d.skills]
    capacity = sum(max(0, min(end, d.end) - max(start, d.start)) for d in able)
    booked = sum(v.service_minutes + TRAVEL_ALLOWANCE for v in day_visits(session, day)
                 if v.id != visit.id and v.window_start is not None and v.window_start < end and start < v.window_end)
    return booked + visit.service_minutes + TRAVEL_ALLOWANCE <= capacity


def open_slots(session: Session, visit: Visit, *, after: dt.date, count: int = 3, horizon: int = 14
               ) -> list[list]:
    """Up to `count` other times (a working day's morning or afternoon, within the coming `horizon` days) with room
    for the visit: [[iso day, start minute, end minute], ...]."""
    off = danish_days_off(after.year, after.year + 1)
    slots = []
    for n in range(1, horizon + 1):
        day = after + dt.timedelta(days=n)
        if day.weekday() >= 5 or day in off:
            continue
        for window in _windows_for(visit):
            if len(slots) < count and has_room(session, visit, day, window):
                slots.append([day.isoformat(), *window])
    return slots


def _windows_for(visit: Visit) -> tuple[tuple[int, int], ...]:
    wanted = WINDOWS[visit.time_of_day]
    return tuple(h for h in HALVES if h[0] < wanted[1] and wanted[0] < h[1])


def citizen_moved(session: Session, visit: Visit, slot: list, *, now: dt.datetime, today: dt.date) -> None:
    """The citizen chose another offered time: booked on it if it still has room (the helpdesk sees it was the
    citizen), else refused so the citizen can choose again or say none fits."""
    from dispatch.service.visits import book

    day = dt.date.fromisoformat(slot[0])
    window = (slot[1], slot[2])
    if day <= today or not has_room(session, visit, day, window):
        raise Conflict(N_("That time has just been taken. Choose another, or tell us that none of them suits you."))
    visit.earliest_on, visit.latest_on = min(visit.earliest_on, day), max(visit.latest_on, day)
    book(session, visit, day=day, window=window, actor=None, now=now, today=today, note=N_("moved by the citizen"))
    visit.citizen_request, visit.citizen_request_at = CitizenRequest.MOVED, now


def citizen_cannot(session: Session, visit: Visit, *, now: dt.datetime) -> None:
    """None of the offered times suits the citizen: the visit goes back to the helpdesk's queue, flagged, so they
    call the citizen."""
    unbook(session, visit, actor=None, now=now, note=N_("none of the offered times suits the citizen"))
    visit.citizen_request, visit.citizen_request_at = CitizenRequest.NO_TIME_FITS, now


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def next_plan_day(session: Session, today: dt.date) -> dt.date:
    """The day the planning page opens on: today while it has visits still to do, else the next day with booked
    visits (published or not); today when nothing is booked ahead."""
    return session.scalar(select(func.min(Visit.scheduled_on)).where(
        Visit.scheduled_on >= today, Visit.status.in_((VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)))) or today


def sheet_technicians(session: Session, day: dt.date) -> list[Technician]:
    """The technicians who have published stops that day, by name: each has a route sheet to print."""
    published = select(Visit.technician_id).where(
        Visit.scheduled_on == day, Visit.published_at.is_not(None),
        Visit.status.in_((VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS, VisitStatus.DONE)))
    return list(session.scalars(select(Technician).join(User, User.id == Technician.user_id)
                                .where(Technician.id.in_(published)).order_by(User.full_name)))


def technician_day(session: Session, technician: Technician, day: dt.date) -> list[Visit]:
    """A technician's published stops that day, in route order, the finished ones too (marked done)."""
    return list(session.scalars(select(Visit).where(
        Visit.scheduled_on == day, Visit.technician_id == technician.id, Visit.published_at.is_not(None),
        Visit.status.in_((VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS, VisitStatus.DONE)))
        .order_by(Visit.route_order, Visit.planned_start, Visit.id)))
