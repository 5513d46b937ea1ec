"""The start pages at national scale: GET / as each demo role, with everything every panel reads in bulk.

Built from the other benchmarks' builders: `bench.scale.build` (citizens, reference data, demo users), the
timeline's courses (one course and one home per citizen) and trainings (follow-ups, half of them not held), the
inventory's ledger (devices through their real steps; here each device's life stops somewhere on the way, so the
statuses are spread: at a citizen, ready, received, returned, cleaning, testing, faulty, in a van), most devices
packed three by three in kits, and the support benchmark's agents, groups and tickets (about 5 % active). Added here:
visits over the past two years and the coming weeks in every status (requested, scheduled with and without a kit,
published with a technician, today's route of the demo technician, done, failed, requeued, cancelled), requested
by nurses of 40 organisations (among them the demo nurses' home care in Aarhus and GP clinic) who lead the courses,
courses ending (some long ago: overdue pickups), ended and paused, handover offers, stock minimums on five depots,
technicians with shifts, plan runs, and audit rows: citizens opened and listed by the demo nurse over a year, and
reads by the agents. Follow-ups: held but for 1 % forgotten and those of the last three weeks' trainings.

Measured through the app with Flask's test client: GET / as helpdesk, coordinator, warehouse, technician, both
nurses and admin; p50/p95/max and SQL statements per request, at two sizes (BENCH_SIZES, citizens; everything
else in proportion), so the statement counts can be compared. The plans of each role's slowest SELECTs are kept in
the JSON.

Smaller runs: BENCH_SIZES (e.g. "300,3000"), BENCH_REQUESTS, BENCH_BACKENDS=sqlite or postgresql; BENCH_KEEP=1
keeps the SQLite files. PostgreSQL uses a database of its own, sc_bench_start. BENCH_MEASURE_ONLY=URL measures a
kept database again (after `flask db upgrade` on it) without building, BENCH_ROLES picks the roles; the result
goes to startpage-remeasured.json.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import case, func, select, text, update

from bench import citizens as citizens_bench
from bench import support as support_bench
from bench import timeline as timeline_bench
from bench.citizens import percentile
from bench.inventory import STEPS, _insert, places
from bench.scale import build, fresh_postgres
from dispatch.models import PlanRun, PlanStatus, Visit, VisitKind, VisitStatus
from dispatch.service import technicians as technician_service
from inventory import service as inventory
from inventory.models import Device, DeviceCategory, HolderKind
from inventory.service import readiness
from inventory.tags import make_tag
from servicecenter.auth import service as auth_service
from servicecenter.auth.models import Role, User
from servicecenter.citizens.models import Citizen
from servicecenter.courses.models import Course, CourseStatus, EndReason, Handover, PauseReason, Programme
from servicecenter.db import local_date, make_engine, make_session_factory, unit_of_work, utcnow
from servicecenter.demo import demo_logins
from servicecenter.organisations.models import Organisation, OrganisationKind
from servicecenter.training.models import TrainingRecord
from support.models import Ticket

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,100000").split(",")]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
WARM_UP = 20
PG_BENCH_DB = "sc_bench_start"  # never the test databases nor another benchmark's
# Per citizen (100,000 citizens: 300,000 devices, 500,000 tickets, 1,000,000 visits, 500,000 audit rows).
DEVICES, TICKETS, VISITS, AUDIT_READS = 3, 5, 10, 5
KITTED = 0.9  # the first 90 % of the devices are packed three by three (tablet, pulse oximeter, scale)
LEAD_ORGANISATIONS = 40  # 20 municipalities' home care and 20 GP clinics lead the courses; a nurse user each
TECHNICIANS = 20
DEPOTS = 5
NURSE_VIEWS_PER_DAY = 30  # the demo nurse opens this many citizens a day, for a year
ROLES = os.environ.get("BENCH_ROLES", "helpdesk,koordinator,lager,tekniker,sygeplejerske,praksis,admin").split(",")
DAY = dt.timedelta(days=1)
# Where a kit's life stops (share of kits, its steps): most are in a home; the rest on the way back or in stock.
KIT_STOPS = [(0.84, STEPS[:4]), (0.03, STEPS), (0.02, STEPS[:2]), (0.02, STEPS[:6]), (0.02, STEPS[:7]),
             (0.02, STEPS[:8]), (0.01, STEPS[:3]), (0.01, STEPS[:1]),
             (0.03, STEPS[:6] + [("fault", "faulty", "depot")])]
LOOSE_STOPS = [(0.5, STEPS[:2]), (0.2, STEPS[:1]), (0.1, STEPS[:6] + [("fault", "faulty", "depot")]),
               (0.1, STEPS[:6]), (0.1, STEPS[:8])]
VISIT_COLUMNS = ("id, kind, status, course_id, citizen_id, requested_by_id, requested_at, earliest_on, latest_on, "
                 "time_of_day, urgency, relative_present, interpreter_needed, hearing_needs, service_minutes, skills, "
                 "kit_id, technician_id, scheduled_on, window_start, window_end, planned_start, route_order, locked, "
                 "published_at, started_at, finished_at, version")
HANDOVER_COLUMNS = "id, course_id, from_organisation_id, to_organisation_id, status, offered_at, answered_at"
AUDIT_COLUMNS = ("id, at, actor_id, actor_role, actor_organisation_id, action, entity_type, entity_id, citizen_id, "
                 "purpose, outcome")


# --- the data ------------------------------------------------------------------------------------------------


def _pick(rng: random.Random, weighted):
    return support_bench._pick(rng, [(v, w) for w, v in weighted])  # noqa: SLF001 - the shared bench helper


def _organisations(s) -> dict:
    """The 40 lead organisations (the demo nurses' two among them) and a nurse user in each of the others."""
    nurses = {u.organisation_id: u.id for u in s.scalars(select(User).where(User.role == Role.NURSE))}
    municipalities = list(s.scalars(select(Organisation.id).where(
        Organisation.kind == OrganisationKind.MUNICIPALITY).order_by(Organisation.code)))
    clinics = list(s.scalars(select(Organisation.id).where(
        Organisation.kind == OrganisationKind.GP_CLINIC).order_by(Organisation.code)))
    half = LEAD_ORGANISATIONS // 2
    leads = list(dict.fromkeys([*nurses, *municipalities[:half], *clinics[:half]]))[:LEAD_ORGANISATIONS]
    for n, org in enumerate(leads):
        if org not in nurses:
            nurses[org] = auth_service.create_user(s, actor=None, now=utcnow(), username=f"nurse{n}",
                                                   full_name=f"Sygeplejerske {n}", role=Role.NURSE,
                                                   organisation_id=org, password=f"Bench-nurse-{n}-password").id
    return {"leads": leads, "nurse_of": nurses,
            "contractor": s.scalar(select(Organisation.id).where(Organisation.kind == OrganisationKind.CONTRACTOR))}


def _courses(s, ids: dict, now: dt.datetime) -> list:
    """Lead organisations in turn; statuses: 2 % ending (ended up to 60 days ago), 5 % ended, 3 % paused."""
    leads = ids["leads"]
    s.execute(update(Course).values(
        lead_organisation_id=case(*((Course.id % len(leads) == i, org) for i, org in enumerate(leads))),
        referred_by_organisation_id=case(*((Course.id % len(leads) == i, org) for i, org in enumerate(leads)))))
    bucket = Course.id % 100
    for status, low, high in ((CourseStatus.ENDING, 0, 2), (CourseStatus.ENDED, 2, 7)):
        for days in range(0, 61, 5):  # ended_at spread over 60 days in 13 steps
            s.execute(update(Course).where(bucket >= low, bucket < high, Course.id % 13 == days // 5).values(
                status=status, end_reason=EndReason.COMPLETED, ended_at=now - days * DAY))
    s.execute(update(Course).where(bucket >= 7, bucket < 10).values(
        status=CourseStatus.PAUSED, paused_at=now - 3 * DAY, pause_reason=list(PauseReason)[0],
        call_again_on=local_date(now) + 7 * DAY))
    return s.execute(select(Course.id, Course.citizen_id, Course.programme_id, Course.referred_at,
                            Course.lead_organisation_id, Course.status).order_by(Course.id)).all()


def _warehouse(s, ids: dict, now: dt.datetime) -> None:
    """The COPD kit template, more depots, stock minimums, technicians (the demo one first) with a van each."""
    programmes = {p.code: p for p in s.scalars(select(Programme))}
    template = inventory.set_kit_template(
        s, actor=None, now=now, programme_id=programmes["COPD"].id, name="KOL-kuffert",
        items=[(DeviceCategory.TABLET, 1), (DeviceCategory.PULSE_OXIMETER, 1), (DeviceCategory.SCALE, 1)])
    ids["template"] = template.id
    depots = [ids["depot"]] + [inventory.create_holder(s, actor=None, now=now, kind=HolderKind.DEPOT,
                                                       name=f"Bench depot {n}").id for n in range(2, DEPOTS + 1)]
    for depot in depots:
        for programme in programmes.values():
            inventory.set_minimum(s, actor=None, now=now, depot_id=depot, programme_id=programme.id, minimum=5)
    coordinator = s.scalar(select(User).where(User.username == "koordinator"))
    users = [s.scalar(select(User.id).where(User.username == "tekniker"))]
    contractor = ids["contractor"]
    users += [auth_service.create_user(s, actor=None, now=now, username=f"tech{n}", full_name=f"Tekniker {n}",
                                       role=Role.TECHNICIAN, organisation_id=contractor,
                                       password=f"Bench-tech-{n}-password").id for n in range(2, TECHNICIANS + 1)]
    ids["technicians"] = [
        technician_service.save_technician(s, None, user_id=u, depot_id=ids["depot"], van_id=ids["vans"][n],
                                           skills=[], shifts=[(d, 8 * 60, 16 * 60) for d in range(5)],
                                           actor=coordinator, now=now).id for n, u in enumerate(users)]
    today = local_date(now)
    s.add_all([PlanRun(day=today - n * DAY, status=PlanStatus.PUBLISHED, progress=1.0, started_at=now - n * DAY,
                       finished_at=now - n * DAY, created_by_id=coordinator.id) for n in range(1, 366)])


def _follow_ups(s, now: dt.datetime) -> None:
    """The timeline's trainings have a follow-up on every other one, all long past. Here the follow-ups were held
    but for 1 % forgotten (long overdue) and 2 % of the trainings held in the last three weeks (due from a week ago
    to two weeks ahead, not held yet)."""
    t = TrainingRecord
    s.execute(update(t).where(t.follow_up_held_at.is_(None), t.id % 100 >= 3).values(
        follow_up_held_at=now - 30 * DAY, follow_up_note="Klarer målingerne selv nu"))
    for days in range(21):
        held = now - days * DAY
        s.execute(update(t).where(t.id % 100 < 2, t.id // 100 % 21 == days).values(
            held_at=held, recorded_at=held, follow_up_due_on=local_date(held) + 14 * DAY, follow_up_held_at=None,
            follow_up_by_id=None, follow_up_note=None))


def _steps(kits: int):
    """steps_of(n) for the ledger: the three devices of a kit share where the kit's life stops."""
    def steps_of(n: int):
        k = (n + 2) // 3
        if k <= kits:
            return _pick(random.Random(k), KIT_STOPS)
        return _pick(random.Random(n), LOOSE_STOPS)
    return steps_of


def _devices(url: str, ids: dict, devices: int, now: dt.datetime) -> dict:
    """The ledger, then kits: kit k holds devices 3k-2..3k and goes to home k (in turn)."""
    kits = int(devices * KITTED) // 3
    homes = ids["homes"]

    def home_of(n: int):
        return homes[((n + 2) // 3) % len(homes)]

    seconds, movements = _insert(url, ids, devices, home_of, _steps(kits))
    at = now - 800 * DAY
    seconds += support_bench._load(url, [  # noqa: SLF001 - the shared bulk loader
        ("kits", "id, tag, template_id, created_at", [(k, make_tag("K", k), ids["template"], at)
                                                     for k in range(1, kits + 1)]),
        ("kit_memberships", "id, kit_id, device_id, added_at", [(n, (n + 2) // 3, n, at)
                                                                for n in range(1, 3 * kits + 1)]),
    ], extra=f"UPDATE devices SET kit_id = (id + 2) / 3 WHERE id <= {3 * kits}")  # noqa: S608 - a number
    at_home = {}
    for k in range(1, kits + 1):
        if _pick(random.Random(k), KIT_STOPS) == STEPS[:4] and len(at_home) < 10_000:
            citizen = home_of(3 * k)[1]
            at_home.setdefault(citizen, []).extend((n, make_tag("D", n)) for n in range(3 * k - 2, 3 * k + 1))
    return {"devices": devices, "movements": movements, "kits": kits, "ledger_seconds": round(seconds),
            "at_home": at_home}


def _visits(ids: dict, courses: list, total: int, now: dt.datetime) -> list[tuple]:
    """Visits of random courses: 90 % done in the past two years, the rest cancelled, failed, requeued,
    requested (to book), scheduled in the coming two weeks (published for today and tomorrow, setups with and
    without a kit); the demo technician's route today (8 stops). Requested by the nurse of the course's lead (70 %)
    or an agent."""
    rng = random.Random(total)
    today = local_date(now)
    technicians, agents, nurse_of = ids["technicians"], ids["agents"], ids["nurse_of"]
    kits = ids["kits"]
    rows = []

    def visit(course, kind, status, requested_at, earliest, *, day=None, technician=None, order=None, kit=None,
              published=None, started=None, finished=None):
        requester = nurse_of.get(course.lead_organisation_id) if rng.random() < 0.7 else rng.choice(agents)
        window = rng.choice([(8 * 60, 10 * 60), (10 * 60, 12 * 60), (12 * 60, 14 * 60), (14 * 60, 16 * 60)])
        rows.append((len(rows) + 1, kind.value, status.value, course.id, course.citizen_id, requester, requested_at,
                     earliest, earliest + 14 * DAY, "any", "normal", False, False, False, 45, "[]", kit, technician,
                     day, window[0] if day else None, window[1] if day else None,
                     window[0] + 30 if published else None, order, False, published, started, finished, 1))

    kinds = [(VisitKind.SETUP, 0.2), (VisitKind.PICKUP, 0.15), (VisitKind.SWAP, 0.1), (VisitKind.SERVICE, 0.2),
             (VisitKind.TRAINING, 0.1), (VisitKind.FOLLOW_UP, 0.25)]
    statuses = [(VisitStatus.DONE, 0.9), (VisitStatus.CANCELLED, 0.0891), (VisitStatus.FAILED, 0.0003),
                (VisitStatus.REQUEUED, 0.0006), (VisitStatus.REQUESTED, 0.005), (VisitStatus.SCHEDULED, 0.005)]
    for _ in range(total - 8):
        course = courses[rng.randrange(len(courses))]
        kind, status = support_bench._pick(rng, kinds), support_bench._pick(rng, statuses)  # noqa: SLF001
        if status == VisitStatus.REQUESTED or status == VisitStatus.REQUEUED:
            asked = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 10))
            visit(course, kind, status, asked, today + rng.randrange(30) * DAY)
        elif status == VisitStatus.SCHEDULED:
            day = today + rng.randrange(14) * DAY
            published = now - DAY if day <= today + DAY else None
            kit = rng.randint(1, kits) if kind == VisitKind.SETUP and kits and rng.random() < 0.5 else None
            visit(course, kind, status, now - rng.randrange(1, 20) * DAY, day, day=day,
                  technician=rng.choice(technicians[1:]), order=rng.randrange(1, 12), kit=kit, published=published)
        else:
            day = today - rng.randrange(1, 730) * DAY
            asked = dt.datetime.combine(day, dt.time(9), dt.UTC) - rng.randrange(3, 30) * DAY
            done = dt.datetime.combine(day, dt.time(10), dt.UTC)
            visit(course, kind, status, asked, day - 5 * DAY, day=day, technician=rng.choice(technicians),
                  order=rng.randrange(1, 12), published=asked + DAY,
                  started=done if status == VisitStatus.DONE else None,
                  finished=done + dt.timedelta(minutes=45) if status == VisitStatus.DONE else None)
    morning = dt.datetime.combine(today, dt.time(7), dt.UTC)
    for order in range(1, 9):  # the demo technician's day: two done, one at the door, five to go
        status = VisitStatus.DONE if order <= 2 else VisitStatus.IN_PROGRESS if order == 3 else VisitStatus.SCHEDULED
        visit(courses[rng.randrange(len(courses))], VisitKind.SERVICE, status, now - 10 * DAY, today - 5 * DAY,
              day=today, technician=technicians[0], order=order, published=now - DAY,
              started=morning if order <= 3 else None, finished=morning if order <= 2 else None)
    return rows


def _handovers(ids: dict, courses: list, now: dt.datetime) -> list[tuple]:
    """5 % of the courses have had a handover of their lead: 30 % of those still offered (a tenth of the offers to
    the service centre's own organisation), the rest accepted, declined or withdrawn."""
    rng = random.Random(len(courses))
    rows = []
    for course in courses:
        if rng.random() >= 0.05:
            continue
        to = ids["contractor"] if rng.random() < 0.1 else rng.choice(ids["leads"])
        to = ids["contractor"] if to == course.lead_organisation_id else to
        offered = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 60))
        status = "offered" if rng.random() < 0.3 else rng.choice(["accepted", "declined", "withdrawn"])
        rows.append((len(rows) + 1, course.id, course.lead_organisation_id, to, status, offered,
                     None if status == "offered" else offered + DAY))
    return rows


def _audit(ids: dict, courses: list, citizens: int, now: dt.datetime, after_id: int) -> list[tuple]:
    """The demo nurse's opened citizens (NURSE_VIEWS_PER_DAY a day for a year, among the citizens she may see) and
    AUDIT_READS reads per citizen by the agents over two years."""
    rng = random.Random(citizens)
    nurse, org = ids["nurse"], ids["nurse_org"]
    hers = [c.citizen_id for c in courses if c.lead_organisation_id == org] or [courses[0].citizen_id]
    rows = []
    for day in range(365):
        for _ in range(NURSE_VIEWS_PER_DAY):
            at = now - day * DAY - dt.timedelta(minutes=rng.randrange(600))
            citizen = rng.choice(hers)
            rows.append((len(rows) + 1, at, nurse, Role.NURSE.value, org, "citizen.view", "citizen", citizen, citizen,
                         "care", "allowed"))
    for day in range(365):  # her start page and lists name citizens too: 200 listed a day
        for _ in range(200):
            at = now - day * DAY - dt.timedelta(minutes=rng.randrange(600))
            citizen = rng.choice(hers)
            rows.append((len(rows) + 1, at, nurse, Role.NURSE.value, org, "citizen.list_recent", "citizen", citizen,
                         citizen, "care", "allowed"))
    agents = ids["agents"]
    for _ in range(AUDIT_READS * citizens):
        at = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 730))
        citizen = courses[rng.randrange(len(courses))].citizen_id
        rows.append((len(rows) + 1, at, rng.choice(agents), Role.HELPDESK.value, ids["contractor"],
                     rng.choice(["citizen.view", "citizen.search", "citizen.list_queue"]), "citizen", citizen,
                     citizen, "support", "allowed"))
    rows.sort(key=lambda r: r[1])
    return [(n, *r[1:]) for n, r in enumerate(rows, start=after_id + 1)]  # after the services' own events


def build_data(url: str, citizens: int) -> dict:
    """The whole database at this size; returns what was made and how long each part took."""
    took = {}
    began = time.perf_counter()
    build(url, citizens)
    took["citizens"] = time.perf_counter() - began
    began = time.perf_counter()
    now = utcnow()
    rng = random.Random(citizens)
    engine = make_engine(url)
    s = make_session_factory(engine)()
    with unit_of_work(s):
        ids = places(s)
        ids.update(timeline_bench._courses(s, now - 800 * DAY, rng))  # noqa: SLF001 - the shared builder
        ids.update(support_bench.agents_and_groups(s, now))
        ids.update(_organisations(s))
        nurse = s.scalar(select(User).where(User.username == "sygeplejerske"))
        ids["nurse"], ids["nurse_org"] = nurse.id, nurse.organisation_id
        courses = _courses(s, ids, now)
        _warehouse(s, ids, now)
        users = list(s.scalars(select(User.id).order_by(User.id)))
        models = [{"id": m, "name": name} for m, name in zip(ids["models"], ("tablet", "pulse oximeter", "scale"),
                                                               strict=True)]
        s.execute(TrainingRecord.__table__.insert(), timeline_bench._trainings(  # noqa: SLF001
            courses, len(courses), users, ids["programmes"], models, rng))
        _follow_ups(s, now)
        people = s.execute(select(Citizen.id, Citizen.first_name, Citizen.last_name, Citizen.phone)
                           .order_by(Citizen.id)).all()
    s.close()
    engine.dispose()
    took["courses_and_users"] = time.perf_counter() - began
    began = time.perf_counter()
    made = _devices(url, ids, DEVICES * citizens, now)
    ids["kits"] = made["kits"]
    s = make_session_factory(engine := make_engine(url))()
    with unit_of_work(s):
        s.execute(text("INSERT INTO tag_counters (prefix, next_value) VALUES ('K', :n)"), {"n": made["kits"] + 1})
        readiness.refresh_readiness(s, range(1, made["kits"] + 1))  # the kits were inserted raw: derive theirs
    s.close()
    engine.dispose()
    took["devices"] = time.perf_counter() - began
    began = time.perf_counter()
    ids["citizens"] = [(p.id, f"{p.first_name} {p.last_name}", p.phone) for p in people]
    ids["devices"] = made.pop("at_home")
    rows, logs = support_bench._tickets(ids, TICKETS * citizens, now)  # noqa: SLF001 - the shared generator
    support_bench._insert_tickets(url, rows, logs)  # noqa: SLF001
    made["tickets"], made["ticket_events"] = len(rows), sum(map(len, logs))
    made["active_tickets"] = sum(1 for r in rows if r[18])
    del rows, logs
    took["tickets"] = time.perf_counter() - began
    began = time.perf_counter()
    visits = _visits(ids, courses, VISITS * citizens, now)
    handovers = _handovers(ids, courses, now)
    engine = make_engine(url)
    with engine.connect() as conn:
        after_id = conn.scalar(text("SELECT max(id) FROM audit_events")) or 0
    engine.dispose()
    audit = _audit(ids, courses, citizens, now, after_id)
    support_bench._load(url, [("visits", VISIT_COLUMNS, visits), ("handovers", HANDOVER_COLUMNS, handovers),  # noqa: SLF001
                              ("audit_events", AUDIT_COLUMNS, audit)])
    engine = make_engine(url)
    with engine.begin() as conn:  # the requester's organisation, by migration 0018's rule
        conn.execute(text("UPDATE visits SET requested_by_organisation_id = (SELECT users.organisation_id FROM users "
                          "WHERE users.id = visits.requested_by_id)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE visits" if engine.dialect.name == "postgresql" else "ANALYZE visits"))
    engine.dispose()
    made.update(visits=len(visits), handovers=len(handovers), audit_events=len(audit))
    del visits, handovers, audit
    took["visits_handovers_audit"] = time.perf_counter() - began
    made.update(citizens=citizens, courses=len(courses), trainings=len(courses),
                seconds={k: round(v) for k, v in took.items()})
    return made


def _contents(s, now: dt.datetime) -> dict:
    """What the panels count, uncapped, to show the data is there at this size."""
    def n(stmt):
        return s.scalar(select(func.count()).select_from(stmt.subquery()))

    found = {f"devices_{status}": count for status, count in
             s.execute(select(Device.status, func.count()).group_by(Device.status))}
    found.update({f"visits_{status}": count for status, count in
                  s.execute(select(Visit.status, func.count()).group_by(Visit.status))})
    found["active_tickets"] = n(select(Ticket.id).where(Ticket.is_active.is_(True)))
    found["courses_ending"] = n(select(Course.id).where(Course.status == CourseStatus.ENDING))
    found["handovers_offered"] = n(select(Handover.id).where(Handover.status == "offered"))
    found["follow_ups_not_held"] = n(select(TrainingRecord.id).where(TrainingRecord.follow_up_held_at.is_(None)))
    found["kitted_devices"] = n(select(Device.id).where(Device.kit_id.is_not(None)))
    found["audit_events"] = s.scalar(text("SELECT count(*) FROM audit_events"))
    return found


# --- measuring -----------------------------------------------------------------------------------------------


def _others_running() -> list[str]:
    """Other tests or benchmarks on this machine now (2 shared cores): named in the result."""
    found = subprocess.run(["pgrep", "-af", "pytest|bench\\.|python -m bench"], capture_output=True, text=True,
                           check=False).stdout.splitlines()
    me = str(os.getpid())
    return [line[:120] for line in found if not line.startswith(me + " ") and "pgrep" not in line]


def _measure(url: str) -> dict:
    app, statements = support_bench.timed_app(url)
    database = app.extensions["database"]
    passwords = {username: password for username, password, _role in demo_logins()}
    s = database.factory()
    result = {"contents": _contents(s, utcnow()), "others_running_at_start": _others_running()}
    s.close()
    load_before = os.getloadavg()
    for username in ROLES:
        client = app.test_client()
        assert client.post("/login", data={"username": username, "password": passwords[username]}).status_code == 302

        def call() -> tuple[float, int, float]:
            statements.clear()
            began, cpu = time.perf_counter(), time.process_time()
            response = client.get("/")  # noqa: B023 - this role's client
            elapsed, cpu = (time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000
            assert response.status_code == 200, (username, response.status_code)  # noqa: B023
            touch = any(sql.startswith("UPDATE user_sessions") for sql, *_r in statements)
            return elapsed, -len(statements) if touch else len(statements), cpu

        for _ in range(WARM_UP):
            call()
        samples = [call() for _ in range(REQUESTS)]
        times = [t for t, _n, _c in samples]
        numbers = [n for _t, n, _c in samples]
        case_ = {"requests": len(samples), "p50_ms": round(statistics.median(times), 2),
                 "p95_ms": round(percentile(times, 95), 2), "max_ms": round(max(times), 2),
                 "cpu_p50_ms": round(statistics.median([c for _t, _n, c in samples]), 2),
                 "sql_statements": sorted({n for n in numbers if n > 0}),
                 "sql_statements_with_session_touch": sorted({-n for n in numbers if n < 0})}
        call()  # one more, to see where its time goes
        timed = sorted((st for st in statements if st[3] is not None), key=lambda st: -st[3])
        case_["sql_ms_total"] = round(sum(st[3] for st in timed), 2)
        case_["slowest_statements"] = [{"ms": round(ms, 2), "sql": " ".join(sql.split())[:400]}
                                       for sql, _p, _s, ms in timed[:4]]
        selects = [st for st in timed if st[0].lstrip().upper().startswith("SELECT")][:2]
        case_["slowest_select_plans"] = [support_bench._explain(database.engine, sql, params)  # noqa: SLF001
                                         for sql, params, _s, _ms in selects]
        result[username] = case_
        print(f"  {username:<14} p50 {case_['p50_ms']:>7} p95 {case_['p95_ms']:>7} max {case_['max_ms']:>7} ms  "
              f"statements {case_['sql_statements']} {case_['sql_statements_with_session_touch']}  "
              f"slowest {case_['slowest_statements'][0]['ms']} ms", flush=True)
    result["load_average"] = [round(load_before[0], 1), round(os.getloadavg()[0], 1)]
    result["others_running_at_end"] = _others_running()
    database.engine.dispose()
    return result


def _backends() -> list[tuple[str, str | None]]:
    wanted = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
    found = [("sqlite", None)] if "sqlite" in wanted else []
    if "postgresql" in wanted and (pg := citizens_bench.postgres_url(PG_BENCH_DB)):
        found.append(("postgresql", pg))
    return found


def main() -> dict:
    code_at_start = support_bench._code()  # noqa: SLF001
    results = []
    for backend, pg_url in _backends():
        for size in SIZES:
            if backend == "sqlite":
                url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='sc-bench-start-')) / 'bench.db'}"
            else:
                fresh_postgres(pg_url)
                url = pg_url
            made = build_data(url, size)
            print(json.dumps({"backend": backend, "url": url, **made}), flush=True)
            gc.collect()
            gc.freeze()
            result = {"backend": backend, "size": made, "requests": REQUESTS, **_measure(url)}
            gc.unfreeze()
            results.append(result)
            if backend == "sqlite" and not os.environ.get("BENCH_KEEP"):  # BENCH_KEEP=1: keep it to look into
                shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "code": code_at_start,
              "code_at_end": support_bench._code(), "results": results}  # noqa: SLF001
    for backend in {r["backend"] for r in results}:
        counts = {r["size"]["citizens"]: {u: r[u]["sql_statements"] for u in ROLES}
                  for r in results if r["backend"] == backend}
        report[f"statements_equal_at_all_sizes_{backend}"] = len({json.dumps(c) for c in counts.values()}) == 1
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "startpage.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    return report


def measure_only(url: str) -> dict:
    result = {"url": url.rsplit("@", 1)[-1], "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "code": support_bench._code(), "requests": REQUESTS, **_measure(url)}  # noqa: SLF001
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "startpage-remeasured.json").write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return result


if __name__ == "__main__":
    measure_only(os.environ["BENCH_MEASURE_ONLY"]) if os.environ.get("BENCH_MEASURE_ONLY") else main()
