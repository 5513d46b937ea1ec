"""Support at national scale: the ticket queues and the caller lookup with 500,000 tickets and 1.5 million events.

100,000 citizens (`bench.scale.build`), 8 agents (the demo helpdesk and coordinator, six more helpdesk users) in three
groups, 10,000 citizens with three devices at home (an open custody in the ledger each), then the tickets in bulk:
about 95 % resolved or closed (clocks stopped: NO_DEADLINE), about 5 % active (new, open, waiting), most of them from
the last weeks, assigned round the agents or unassigned, with stored deadlines spread around now: some breached,
some breaching soon, most later, the waiting ones paused. Each ticket has its log in ticket_events (the call; for
most a reply and a status change). Deadlines are computed roughly (elapsed time, not business time), but the stored
columns agree with each other the way `refresh_sla` stores them, which is what the queues select on.

Measured through the app with Flask's test client as the helpdesk: the queue tabs (mine, unassigned page 1 and 5,
breaching soon, breached, the first-line group) and POST /support/call by phone, CPR and asset tag; p50/p95/max and
SQL statements per request. Two sizes per backend: the newest BENCH_SMALL_TICKETS tickets are loaded and measured
first, then the older rest, and everything is measured again, so the statement counts at both sizes can be compared.

Smaller runs: BENCH_CITIZENS, BENCH_TICKETS, BENCH_SMALL_TICKETS, BENCH_REQUESTS (e.g. 2000 / 20000 / 2000 / 30);
BENCH_BACKENDS=sqlite or postgresql for one backend. PostgreSQL uses a database of its own, sc_bench_support.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, func, insert, select, text

from bench import citizens as citizens_bench
from bench.citizens import percentile
from bench.inventory import _sqlite, places
from bench.scale import build, fresh_postgres
from inventory.models import Holder, HolderKind
from inventory.tags import make_tag
from servicecenter import create_app
from servicecenter.auth import service as auth_service
from servicecenter.auth.models import Role, User
from servicecenter.citizens.models import Citizen
from servicecenter.courses.models import Course, CourseStatus, Programme
from servicecenter.db import make_engine, make_session_factory, unit_of_work, utcnow
from servicecenter.organisations.models import Organisation, OrganisationKind
from support.models import NO_DEADLINE, Category, Channel, Priority, RequesterKind, Ticket
from support.models import TicketStatus as S
from support.service import queue as queues
from support.service import tickets as ticket_service

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CITIZENS = int(os.environ.get("BENCH_CITIZENS", "100000"))
TICKETS = int(os.environ.get("BENCH_TICKETS", "500000"))
SMALL = int(os.environ.get("BENCH_SMALL_TICKETS", "5000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
WARM_UP = 20
PG_BENCH_DB = "sc_bench_support"  # never sc_bench (the timeline benchmark's) nor the test databases
OTHER_BENCHMARK = "bench.timeline"  # measuring waits while it runs (2 shared cores)
WAIT_LIMIT = 30 * 60
HOMES = 10_000  # citizens with a tablet, a pulse oximeter and a scale at home
EXTRA_AGENTS = 6  # helpdesk users besides the demo helpdesk and coordinator
ACTIVE_SHARE = 0.05
RECENT_SHARE = 0.06  # the newest 6 % of tickets (a few weeks): most of the active ones are among them
RECENT_ACTIVE = 0.7
HOUR, DAY, MINUTE = dt.timedelta(hours=1), dt.timedelta(days=1), dt.timedelta(minutes=1)
# Targets in elapsed time (business hours on weekdays only stretch them about 3-4 times), and the "breaching soon"
# lead: 20 % of the business-time target, at most an hour (support/sla.py).
PRIORITIES = [(Priority.P1, 0.03), (Priority.P2, 0.17), (Priority.P3, 0.55), (Priority.P4, 0.25)]
TARGETS = {Priority.P1: (30 * MINUTE, 4 * HOUR), Priority.P2: (3 * HOUR, 2 * DAY),
           Priority.P3: (16 * HOUR, 6 * DAY), Priority.P4: (36 * HOUR, 21 * DAY)}
LEADS = {Priority.P1: (6 * MINUTE, 48 * MINUTE), Priority.P2: (12 * MINUTE, HOUR),
         Priority.P3: (48 * MINUTE, HOUR), Priority.P4: (HOUR, HOUR)}
SUBJECTS = {
    Category.DEVICE_FAULT: ["Tabletten starter ikke", "Vægten viser Err 4", "Iltmåleren lyser ikke"],
    Category.CONNECTIVITY: ["Tabletten har ingen forbindelse", "Tabletten siger offline"],
    Category.HOW_TO: ["Hvordan vejer jeg mig?", "Hvordan måler jeg iltmætning?"],
    Category.LOGISTICS: ["Datter spørger til besøget", "Vil flytte sit besøg"],
    Category.USER_ADMIN: ["Ringer om sin adgangskode", "Kan ikke logge ind på tabletten"],
    Category.MISSING_MEASUREMENTS: ["Målingerne kommer ikke frem", "Sygeplejersken ser ingen målinger"],
}
DEVICE_CATEGORIES = {Category.DEVICE_FAULT, Category.CONNECTIVITY, Category.MISSING_MEASUREMENTS}
REPLY = "Vi har talt med borgeren og forklaret, hvad der skal ske nu."
TICKET_COLUMNS = ("id, subject, requester_kind, requester_name, requester_phone, channel, category, priority, status, "
                  "group_id, assignee_id, citizen_id, device_id, visit_id, merged_into_id, opened_at, created_at, "
                  "updated_at, is_active, first_response_due_at, first_response_at, resolution_due_at, resolved_at, "
                  "sla_due_at, sla_warn_at, escalated_at, version")
EVENT_COLUMNS = "id, ticket_id, citizen_id, kind, at, recorded_at, actor_id, status, body, data"
ROW = re.compile(rb"<tr data-href=")
CASES = [  # name, path (queue) or lookup kind (call)
    ("queue_mine", "/support/?view=mine"), ("queue_unassigned", "/support/?view=unassigned"),
    ("queue_unassigned_page5", "/support/?view=unassigned&page=5"), ("queue_breaching", "/support/?view=breaching"),
    ("queue_breached", "/support/?view=breached"), ("queue_group", "/support/?group={group}"),
    ("call_phone", "phone"), ("call_cpr", "cpr"), ("call_tag", "tag"),
]


# --- where ---------------------------------------------------------------------------------------------------


def postgres_url() -> str | None:
    """This benchmark's own database (created when missing), or None without a server."""
    return citizens_bench.postgres_url(PG_BENCH_DB)


def _backends() -> list[tuple[str, str]]:
    wanted = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
    found = []
    if "sqlite" in wanted:
        found.append(("sqlite", f"sqlite:///{Path(tempfile.mkdtemp(prefix='sc-bench-support-')) / 'bench.db'}"))
    if "postgresql" in wanted and (pg := postgres_url()):
        found.append(("postgresql", pg))
    return found


# --- the data ------------------------------------------------------------------------------------------------


def _setup(url: str, citizens: int) -> dict:
    """Citizens, agents, groups, and devices at home for HOMES citizens (through the ledger's open custody)."""
    build(url, citizens)
    engine = make_engine(url)
    s = make_session_factory(engine)()
    now = utcnow()
    with unit_of_work(s):
        found = agents_and_groups(s, now)
        ids = places(s)
        people = s.execute(select(Citizen.id, Citizen.first_name, Citizen.last_name, Citizen.phone)
                           .order_by(Citizen.id)).all()
        homes = _homes(s, [p.id for p in random.Random(citizens).sample(people, min(HOMES, len(people)))], now)
    s.close()
    engine.dispose()
    devices = _devices(url, ids, homes, now)
    return {**found, "citizens": [(p.id, f"{p.first_name} {p.last_name}", p.phone) for p in people],
            "devices": devices}


def agents_and_groups(s, now: dt.datetime) -> dict:
    """The demo helpdesk and coordinator and EXTRA_AGENTS more helpdesk users in three groups (the helpdesk on
    duty in the first): {"agents", "helpdesk", "groups", "group_names"} as `_tickets` wants them."""
    helpdesk = s.scalar(select(User).where(User.username == "helpdesk"))
    coordinator = s.scalar(select(User).where(User.username == "koordinator"))
    contractor = s.scalar(select(Organisation.id).where(Organisation.kind == OrganisationKind.CONTRACTOR))
    extra = [auth_service.create_user(s, actor=None, now=now, username=f"agent{n}", full_name=name,
                                      role=Role.HELPDESK, organisation_id=contractor,
                                      password=f"Bench-agent-{n}-password")
             for n, name in enumerate(["Mads Madsen", "Sofie Lund", "Emil Dahl", "Freja Holm", "Noah Bak",
                                       "Ida Kjær"][:EXTRA_AGENTS], start=1)]
    agents = [helpdesk.id, coordinator.id] + [u.id for u in extra]
    first = ticket_service.save_group(s, None, name="1. linje", round_robin=True, member_ids=agents,
                                      actor=coordinator, now=now)
    second = ticket_service.save_group(s, None, name="2. linje (teknik)", round_robin=False,
                                       member_ids=[coordinator.id] + agents[2:4], actor=coordinator, now=now)
    logistics = ticket_service.save_group(s, None, name="Logistik", round_robin=False,
                                          member_ids=[coordinator.id] + agents[4:6], actor=coordinator, now=now)
    ticket_service.set_on_duty(s, group_id=first.id, user=helpdesk, on_duty=True, now=now)
    return {"agents": agents, "helpdesk": helpdesk.id, "groups": [first.id, second.id, logistics.id],
            "group_names": ["1. linje", "2. linje (teknik)", "Logistik"]}


def _homes(s, citizens: list[int], now: dt.datetime) -> list[tuple[int, int]]:
    """A course and its home (holder) for each of these citizens: [(holder id, citizen id)]."""
    programme = s.scalar(select(Programme.id).order_by(Programme.id))
    gp = s.scalar(select(Organisation.id).where(Organisation.kind == OrganisationKind.GP_CLINIC))
    start = now - dt.timedelta(days=700)
    s.execute(insert(Course), [{"citizen_id": c, "programme_id": programme, "status": CourseStatus.ACTIVE,
                                "created_at": start, "referred_at": start, "referred_by_organisation_id": gp,
                                "lead_organisation_id": gp, "is_sensitive": False} for c in citizens])
    courses = s.execute(select(Course.id, Course.citizen_id).order_by(Course.id)).all()
    s.execute(insert(Holder), [{"kind": HolderKind.COURSE, "name": f"Borgerhjem {c.id}", "course_id": c.id,
                                "citizen_id": c.citizen_id, "is_active": True} for c in courses])
    return [tuple(h) for h in s.execute(select(Holder.id, Holder.citizen_id)
                                        .where(Holder.kind == HolderKind.COURSE).order_by(Holder.id))]


def _devices(url: str, ids: dict, homes: list[tuple[int, int]], now: dt.datetime) -> dict[int, list[tuple]]:
    """Three devices per home: received, accepted, loaded and handed over, custody open at the home.
    Returns {citizen id: [(device id, tag)]}."""
    rng = random.Random(len(homes))
    devices, movements, custody, held = [], [], [], {}
    n = 0
    for home, citizen in homes:
        for model in ids["models"]:
            n += 1
            van = rng.choice(ids["vans"])
            t0 = now - dt.timedelta(days=rng.randrange(30, 700), minutes=rng.randrange(1440))
            t1, t2 = t0 + dt.timedelta(hours=rng.randrange(2, 48)), t0 + dt.timedelta(days=rng.randrange(3, 20))
            t3 = t2 + dt.timedelta(hours=rng.randrange(1, 10))
            m = 4 * n
            movements += [(m - 3, n, "receive", None, ids["depot"], None, "received", t0, t0),
                          (m - 2, n, "accept", ids["depot"], ids["depot"], "received", "ready", t1, t1),
                          (m - 1, n, "load", ids["depot"], van, "ready", "in_van", t2, t2),
                          (m, n, "handover", van, home, "in_van", "at_citizen", t3, t3)]
            c = 3 * n
            custody += [(c - 2, n, ids["depot"], None, t0, t2, m - 3), (c - 1, n, van, None, t2, t3, m - 1),
                        (c, n, home, citizen, t3, None, m)]
            tag = make_tag("D", n)
            devices.append((n, tag, f"SER{n:07d}", model, ids["region"], "at_citizen", home, t0, t3, t0.date(), 1))
            held.setdefault(citizen, []).append((n, tag))
    _load(url, [
        ("devices", "id, tag, serial, model_id, owner_organisation_id, status, holder_id, created_at, last_moved_at, "
                    "purchased_on, version", devices),
        ("movements", "id, device_id, kind, from_holder_id, to_holder_id, from_status, to_status, occurred_at, "
                      "recorded_at", movements),
        ("custody", "id, device_id, holder_id, citizen_id, started_at, ended_at, movement_id", custody),
    ], extra=f"INSERT INTO tag_counters (prefix, next_value) VALUES ('D', {n + 1})")  # noqa: S608 - a number
    return held


def _pick(rng: random.Random, weighted: list[tuple]) -> object:
    x, total = rng.random(), 0.0
    for value, weight in weighted:
        total += weight
        if x < total:
            return value
    return weighted[-1][0]


def _tickets(ids: dict, total: int, now: dt.datetime) -> tuple[list[tuple], list[list[tuple]]]:
    """Ticket rows (ids 1..total, oldest first) and each ticket's event rows."""
    rng = random.Random(total)
    agents, groups, people = ids["agents"], ids["groups"], ids["citizens"]
    with_devices = [p for p in people if p[0] in ids["devices"]]
    recent_from = total - int(total * RECENT_SHARE)
    old_active = (ACTIVE_SHARE - RECENT_SHARE * RECENT_ACTIVE) / (1 - RECENT_SHARE)
    span = dt.timedelta(days=3 * 365)
    start = now - span
    created_data: dict[tuple, str] = {}
    rows, logs = [], []
    event_id = 0
    for i in range(1, total + 1):
        recent = i > recent_from
        opened = start + span * (i / total) - dt.timedelta(minutes=rng.randrange(120))
        category = rng.choice(list(Category))
        priority = _pick(rng, PRIORITIES)
        channel = _pick(rng, [(Channel.PHONE, 0.8), (Channel.EMAIL, 0.1), (Channel.PORTAL, 0.08),
                              (Channel.WALK_IN, 0.02)])
        citizen = name = phone = device = None
        if rng.random() < 0.9:
            citizen, name, phone = rng.choice(with_devices if with_devices and rng.random() < 0.35 else people)
            kind = _pick(rng, [(RequesterKind.CITIZEN, 0.75), (RequesterKind.RELATIVE, 0.15),
                               (RequesterKind.NURSE, 0.08), (RequesterKind.STAFF, 0.02)])
            if kind != RequesterKind.CITIZEN:
                name, phone = {RequesterKind.RELATIVE: "Bo Hansen", RequesterKind.NURSE: "Sygeplejerske Aarhus",
                               RequesterKind.STAFF: "Servicecenter"}[kind], None
            if category in DEVICE_CATEGORIES and citizen in ids["devices"]:
                device = rng.choice(ids["devices"][citizen])[0]
        else:
            kind, name = RequesterKind.NURSE, "Hjemmeplejen Randers"
        if channel != Channel.PHONE:
            phone = None
        active = rng.random() < (RECENT_ACTIVE if recent else old_active)
        first_target, resolution_target = TARGETS[priority]
        first_lead, resolution_lead = LEADS[priority]
        assignee = rng.choice(agents)
        group = _pick(rng, [(groups[0], 0.7), (groups[1], 0.2), (groups[2], 0.1)])
        first_due = first_at = resolution_due = resolved_at = escalated = None
        due = warn = NO_DEADLINE
        if not active:
            status = S.CLOSED if not recent and rng.random() < 0.9 else S.RESOLVED
            first_at = opened + MINUTE * rng.randrange(5, int(first_target / MINUTE * 1.2) + 6)
            resolved_at = first_at + MINUTE * rng.randrange(10, int(resolution_target / MINUTE * 1.1) + 11)
            first_due, resolution_due = opened + first_target, opened + resolution_target
        else:
            weights = ([(S.NEW, 0.2), (S.OPEN, 0.5), (S.WAITING_CUSTOMER, 0.2), (S.WAITING_THIRD_PARTY, 0.1)]
                       if recent else [(S.OPEN, 0.3), (S.WAITING_CUSTOMER, 0.3), (S.WAITING_THIRD_PARTY, 0.4)])
            status = _pick(rng, weights)
            if status == S.NEW:  # the first-response clock runs
                due = now + first_target * rng.uniform(-0.1, 1.0)
                opened = due - first_target
                first_due, resolution_due, warn = due, opened + resolution_target, due - first_lead
                if rng.random() < 0.75:
                    assignee = None
            else:
                if recent:
                    resolution_due = now + resolution_target * rng.uniform(-0.15, 1.0)
                    opened = min(resolution_due - resolution_target, now - 2 * HOUR)
                else:
                    resolution_due = opened + resolution_target  # long breached, or paused long ago
                first_due = opened + first_target
                first_at = min(opened + MINUTE * rng.randrange(5, int(first_target / MINUTE) + 6), now - 2 * MINUTE)
                if status == S.OPEN:
                    due, warn = resolution_due, resolution_due - resolution_lead
                else:
                    resolution_due = None  # paused: no running deadline
                if rng.random() < 0.08:
                    assignee = None
            if due != NO_DEADLINE and due + 10 * MINUTE < now:
                escalated = due + 10 * MINUTE
        updated = resolved_at or first_at or opened
        subject = rng.choice(SUBJECTS[category])
        rows.append((i, subject, kind.value, name, phone, channel.value, category.value, priority.value, status.value,
                     group, assignee, citizen, device, None, None, opened, opened, updated, active, first_due,
                     first_at, resolution_due, resolved_at, due, warn, escalated, 1))
        key = (channel, category, priority)
        if key not in created_data:
            created_data[key] = json.dumps({"channel": channel.value, "category": category.value,
                                            "priority": priority.value})
        event_id += 1
        log = [(event_id, i, citizen, "created", opened, opened, rng.choice(agents), None,
                f"{subject}. Ringede selv.", created_data[key])]
        if first_at is not None:
            event_id += 1
            log.append((event_id, i, citizen, "reply", first_at, first_at, assignee or agents[0], None, REPLY, None))
            event_id += 1
            at = resolved_at or first_at + MINUTE
            log.append((event_id, i, citizen, "status", at, at, assignee or agents[0], status.value, None,
                        '{"from": "new"}' if active else '{"from": "open"}'))
        logs.append(log)
    return rows, logs


def _load(url: str, tables: list[tuple[str, str, list]], extra: str | None = None) -> float:
    """Bulk rows with their ids: COPY on PostgreSQL (sequences moved past them), executemany on SQLite; then
    VACUUM ANALYZE / ANALYZE. Returns the seconds it took."""
    started = time.perf_counter()
    engine = make_engine(url)
    raw = engine.raw_connection()
    cursor = raw.cursor()
    if engine.dialect.name == "postgresql":
        for table, columns, rows in tables:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our names
                           f"(SELECT max(id) FROM {table}))")
    else:
        cursor.execute("BEGIN")
        for table, columns, rows in tables:
            marks = ", ".join("?" for _ in columns.split(","))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - our names
                               (tuple(_sqlite(v) for v in row) for row in rows))
    if extra:
        cursor.execute(extra)
    raw.commit()
    raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def _insert_tickets(url: str, rows: list[tuple], logs: list[list[tuple]]) -> float:
    return _load(url, [("tickets", TICKET_COLUMNS, rows),
                       ("ticket_events", EVENT_COLUMNS, [e for log in logs for e in log])])


# --- measuring -----------------------------------------------------------------------------------------------


def _wait_for_quiet() -> int:
    """Seconds waited while the other benchmark ran (at most WAIT_LIMIT)."""
    waited = 0
    while waited < WAIT_LIMIT and subprocess.run(["pgrep", "-f", OTHER_BENCHMARK], capture_output=True,
                                                 check=False).stdout.strip():
        time.sleep(30)
        waited += 30
    return waited


def _sizes(s, now: dt.datetime, user_id: int, group_id: int) -> dict:
    """What is in the database: tickets, events and the full (uncapped) size of each measured queue."""
    found = {"tickets": s.scalar(select(func.count()).select_from(Ticket)),
             "active": s.scalar(select(func.count()).select_from(Ticket).where(Ticket.is_active.is_(True))),
             "events": s.scalar(text("SELECT count(*) FROM ticket_events"))}
    for view in (*queues.VIEWS, "group"):
        condition = queues._condition(view, user_id=user_id, now=now, group_id=group_id)  # noqa: SLF001
        found[f"queue_{view}"] = s.scalar(select(func.count()).select_from(Ticket).where(*condition))
    return found


def _explain(engine, sql: str, params) -> list[str]:
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            import psycopg

            with psycopg.ClientCursor(raw.driver_connection) as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                return [r[0] for r in cursor.fetchall()]
        cursor = raw.cursor()
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [r[-1] for r in cursor.fetchall()]
    finally:
        raw.rollback()
        raw.close()


def timed_app(url: str):
    """The app on `url` with every statement recorded as [sql, parameters, started, ms] (shared by the benches that
    report statements and their times per request)."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    statements: list[list] = []

    def before(_conn, _cursor, sql, parameters, *_a):
        statements.append([sql, parameters, time.perf_counter(), None])

    def after(*_a):
        statements[-1][3] = (time.perf_counter() - statements[-1][2]) * 1000

    event.listen(app.extensions["database"].engine, "before_cursor_execute", before)
    event.listen(app.extensions["database"].engine, "after_cursor_execute", after)
    return app, statements


def _measure(url: str, ids: dict) -> dict:
    app, statements = timed_app(url)
    database = app.extensions["database"]
    client = app.test_client()
    assert client.post("/login", data={"username": "helpdesk", "password": "Servicecenter-demo-3"}).status_code == 302
    rng = random.Random(11)
    s = database.factory()
    sizes = _sizes(s, utcnow(), ids["helpdesk"], ids["groups"][0])
    cprs = dict(s.execute(select(Citizen.id, Citizen.cpr)).all())
    s.close()
    people = ids["citizens"]
    tags = [tag for held in ids["devices"].values() for _d, tag in held]

    def form(kind: str) -> dict:
        if kind == "phone":
            return {"q": rng.choice(people)[2]}
        if kind == "cpr":
            cpr = cprs[rng.choice(people)[0]]
            return {"q": f"{cpr[:6]}-{cpr[6:]}"}
        return {"q": rng.choice(tags)}

    def call(target: str) -> tuple[float, int, bytes]:
        """Server time, statements and the page; the statements of a request that also writes the login session's
        last_seen_at (at most once a minute) come back negative, to report apart."""
        data = None if target.startswith("/") else form(target)
        statements.clear()
        began, cpu = time.perf_counter(), time.process_time()
        response = client.get(target) if data is None else client.post("/support/call", data=data)
        elapsed, cpu = (time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000
        assert response.status_code == 200, (target, response.status_code)
        touch = any(sql.startswith("UPDATE user_sessions") for sql, *_r in statements)
        return elapsed, -len(statements) if touch else len(statements), response.data, cpu

    result = {"sizes": sizes, "waited_seconds": _wait_for_quiet()}
    load_before = os.getloadavg()
    for name, target in CASES:
        target = target.format(group=ids["groups"][0])
        if target == "tag" and not tags:
            continue
        for _ in range(WARM_UP):  # caches, connection pool, compiled statements
            call(target)
        samples = [call(target) for _ in range(REQUESTS)]
        times = [t for t, _n, _b, _c in samples]
        cpu = [c for _t, _n, _b, c in samples]
        numbers = [n for _t, n, _b, _c in samples]
        case = {"target": target, "requests": len(samples), "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(percentile(times, 95), 2), "max_ms": round(max(times), 2),
                # CPU of this process alone (app, driver, SQLite; not the PostgreSQL server): the share of the
                # wall time that waiting for a core on a busy machine cannot explain
                "cpu_p50_ms": round(statistics.median(cpu), 2), "cpu_p95_ms": round(percentile(cpu, 95), 2),
                "sql_statements": sorted({n for n in numbers if n > 0}),
                "sql_statements_with_session_touch": sorted({-n for n in numbers if n < 0})}
        if target.startswith("/"):
            case["rows_shown"] = sorted({len(ROW.findall(b)) for _t, _n, b, _c in samples})
        else:
            case["one_citizen_found"] = sum(b'id="caller-card"' in b for _t, _n, b, _c in samples)
        # Where the time goes in one more request: the slowest statements, the plans of the two slowest SELECTs.
        call(target)
        timed = sorted((st for st in statements if st[3] is not None), key=lambda st: -st[3])
        case["sql_ms_total"] = round(sum(st[3] for st in timed), 2)
        case["slowest_statements"] = [{"ms": round(ms, 2), "sql": " ".join(sql.split())[:160]}
                                      for sql, _p, _s, ms in timed[:3]]
        selects = [st for st in timed if st[0].lstrip().upper().startswith("SELECT")][:2]
        case["slowest_select_plans"] = [_explain(database.engine, sql, params) for sql, params, _s, _ms in selects]
        result[name] = case
    result["load_average"] = [round(load_before[0], 1), round(os.getloadavg()[0], 1)]
    database.engine.dispose()
    return result


def _code() -> str:
    """The commit measured, and the app's files (outside bench/) that differed from it in the working tree: other
    people work in the same checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=ROOT).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench"],
                               capture_output=True, text=True, check=True, cwd=ROOT).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    changed = [line[3:] for line in dirty.splitlines() if line.strip()]
    return head + (f" with uncommitted changes to {', '.join(changed)}" if changed else "")


def main() -> dict:
    code_at_start = _code()
    results = []
    for backend, url in _backends():
        if backend == "postgresql":
            fresh_postgres(url)
        began = time.perf_counter()
        ids = _setup(url, CITIZENS)
        setup_seconds = time.perf_counter() - began
        now, small = utcnow(), min(SMALL, TICKETS)
        steps = [("small", slice(-small, None)), ("full", slice(None, -small))] if small < TICKETS else \
            [("full", slice(None))]
        for step, part in steps:
            began = time.perf_counter()
            rows, logs = _tickets(ids, TICKETS, now)  # the same tickets both times: generated again, not kept
            generate_seconds = time.perf_counter() - began
            load_seconds = _insert_tickets(url, rows[part], logs[part])
            del rows, logs
            # What the benchmark itself keeps (citizens, tags) stays out of the garbage collector's full passes,
            # which would otherwise add pauses an app server does not have.
            gc.collect()
            gc.freeze()
            result = {"backend": backend, "citizens": CITIZENS, "devices": sum(map(len, ids["devices"].values())),
                      "agents": len(ids["agents"]), "groups": ids["group_names"],
                      "measured_group": ids["group_names"][0], "setup_seconds": round(setup_seconds),
                      "generate_seconds": round(generate_seconds), "load_seconds": round(load_seconds), "step": step,
                      "requests": REQUESTS, **_measure(url, ids)}
            gc.unfreeze()
            print(json.dumps({k: v for k, v in result.items() if k not in dict(CASES)}), flush=True)
            for name, _t in CASES:
                if name in result:
                    r = result[name]
                    print(f"  {name:<24} p50 {r['p50_ms']:>7} p95 {r['p95_ms']:>7} max {r['max_ms']:>7} ms  "
                          f"statements {r['sql_statements']} {r['sql_statements_with_session_touch']}", flush=True)
            results.append(result)
        if backend == "sqlite":  # 0.7 GB at full size
            shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "code": code_at_start,
              "code_at_end": _code(),
              "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "support.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return report


if __name__ == "__main__":
    main()
