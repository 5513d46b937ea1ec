"""The citizen timeline at national scale: 100,000 citizens, 300,000 devices and 3,000,000 movements.

Every citizen has a course (so a home), the ledger is the inventory benchmark's (`bench/inventory.py`), spread over
all the homes. One citizen has a long history (several courses, about 2,000 movements into and out of their homes,
a few hundred course events and training records, many with a follow-up conversation); another a short one (one
course, a handful of movements, events and a training). Measured through the app with Flask's test client as the
helpdesk: GET /citizens/<id>/timeline, page 1 of the long history, a page ten "Older" clicks in, and page 1 of the
short history; SQL statements are counted per request. The long history is also walked to its end once, to check
that every entry is shown exactly once and that every page costs the same number of statements.

Smaller runs: BENCH_CITIZENS, BENCH_DEVICES, BENCH_REQUESTS (e.g. 2000 / 6000 / 50). A page that takes seconds is
measured for at most BENCH_CASE_SECONDS (default 300) but at least 20 times; each case records its request count.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import platform
import random
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, func, insert, or_, select

from bench.citizens import backends, percentile
from bench.inventory import _insert, places
from bench.scale import build, fresh_postgres
from inventory.models import Holder, HolderKind, Movement
from servicecenter import create_app
from servicecenter.auth.models import User
from servicecenter.citizens.models import Citizen
from servicecenter.courses.models import (
    Course,
    CourseEvent,
    CourseEventKind,
    CourseStatus,
    EndReason,
    ExclusionReason,
    Programme,
)
from servicecenter.db import make_engine, make_session_factory, unit_of_work, utcnow
from servicecenter.organisations.models import Organisation, OrganisationKind
from servicecenter.training.models import TraineeKind, TrainingMethod, TrainingRecord, TrainingResult

RESULTS = Path(__file__).resolve().parent / "results"
CITIZENS = int(os.environ.get("BENCH_CITIZENS", "100000"))
DEVICES = int(os.environ.get("BENCH_DEVICES", "300000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
WARM_UP = 20
CASE_SECONDS = float(os.environ.get("BENCH_CASE_SECONDS", "300"))
MIN_REQUESTS = 20
DEEP = 10  # "Older" clicks to the deep page
LONG_COURSES = 5
LONG_MOVEMENTS = 2000  # about: 875 devices through the long history's homes, 16/7 home movements each
EVENTS_PER_COURSE = 60  # 5 courses: 300 course events
LONG_TRAININGS = 300
ENTRY = re.compile(rb'class="list-group-item timeline-entry" data-category="(\w+)"')
OLDER = re.compile(rb'id="older" href="([^"]+)"')


def _courses(s, start: dt.datetime, rng: random.Random) -> dict:
    """A course and its home for every citizen, LONG_COURSES - 1 more for the long history; the referral events."""
    programmes = list(s.scalars(select(Programme).order_by(Programme.id)))
    citizens = list(s.scalars(select(Citizen.id).order_by(Citizen.id)))
    gps = list(s.scalars(select(Organisation.id).where(Organisation.kind == OrganisationKind.GP_CLINIC)))
    long_citizen, short_citizen = citizens[len(citizens) // 2], citizens[len(citizens) // 3]
    rows = []
    owners = citizens + [long_citizen] * (LONG_COURSES - 1)
    for n, citizen in enumerate(owners):
        at = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 365))
        gp = rng.choice(gps)
        # The long history's courses end (its events say so) but the newest: one open course per programme.
        status = CourseStatus.ENDED if citizen == long_citizen and n < len(owners) - 1 else CourseStatus.ACTIVE
        rows.append({"citizen_id": citizen, "programme_id": rng.choice(programmes).id, "status": status,
                     "created_at": at, "referred_at": at, "referred_by_organisation_id": gp,
                     "lead_organisation_id": gp, "is_sensitive": False})
    s.execute(insert(Course), rows)
    courses = s.execute(select(Course.id, Course.citizen_id, Course.programme_id, Course.referred_at,
                               Course.referred_by_organisation_id).order_by(Course.id)).all()
    s.execute(insert(Holder), [{"kind": HolderKind.COURSE, "name": f"Borgerhjem {c.id}",
                                "course_id": c.id, "citizen_id": c.citizen_id, "is_active": True} for c in courses])
    s.execute(insert(CourseEvent), [{"course_id": c.id, "citizen_id": c.citizen_id, "kind": CourseEventKind.REFERRED,
                                     "at": c.referred_at, "organisation_id": c.referred_by_organisation_id,
                                     "to_status": CourseStatus.REFERRED} for c in courses])
    homes = s.execute(select(Holder.id, Holder.citizen_id).where(Holder.kind == HolderKind.COURSE)
                      .order_by(Holder.id)).all()
    return {"homes": [tuple(h) for h in homes], "long": long_citizen, "short": short_citizen,
            "long_courses": [c for c in courses if c.citizen_id == long_citizen],
            "short_courses": [c for c in courses if c.citizen_id == short_citizen],
            "programmes": programmes, "organisations": gps}


def _events(course, count: int, users: list[int], organisations: list[int], rng: random.Random,
            final: bool) -> list[dict]:
    """A course's life after the referral: setup, pauses, handovers of the lead (offered, then accepted, declined
    or withdrawn), and for all but the newest course an end with a reason."""
    at, status, rows = course.referred_at, CourseStatus.REFERRED, []

    def add(kind, **values):
        nonlocal at
        at += dt.timedelta(hours=rng.randrange(1, 24 * 5), seconds=rng.randrange(3600))
        rows.append({"course_id": course.id, "citizen_id": course.citizen_id, "kind": kind, "at": at,
                     "actor_id": rng.choice(users), **values})

    for target in (CourseStatus.ALLOCATED, CourseStatus.SETUP_SCHEDULED, CourseStatus.ACTIVE):
        add(CourseEventKind.STATUS, from_status=status, to_status=target)
        status = target
    while len(rows) < count - (1 if final else 0) - 1:
        if rng.random() < 0.5:
            target = CourseStatus.PAUSED if status == CourseStatus.ACTIVE else CourseStatus.ACTIVE
            add(CourseEventKind.STATUS, from_status=status, to_status=target)
            status = target
        else:
            to = rng.choice(organisations)
            add(CourseEventKind.HANDOVER_OFFERED, organisation_id=to)
            answer = rng.choice([CourseEventKind.HANDOVER_ACCEPTED, CourseEventKind.HANDOVER_DECLINED,
                                 CourseEventKind.HANDOVER_WITHDRAWN])
            declined = answer == CourseEventKind.HANDOVER_DECLINED
            add(answer, organisation_id=to, reason="Ingen kapacitet i distriktet før januar" if declined else None)
    if final:
        reason = rng.choice([*EndReason, ExclusionReason.NO_COVERAGE, ExclusionReason.UNABLE_TO_USE])
        add(CourseEventKind.ENDED, from_status=status, to_status=CourseStatus.ENDED, reason=reason.value)
    return rows


def _trainings(courses, count: int, users: list[int], programmes: list, models: list[dict],
               rng: random.Random) -> list[dict]:
    """Trainings of the citizen and a relative, with the programme's checklist; follow-ups on about half."""
    checklists = {p.id: p.checklist or ["Tager en måling"] for p in programmes}
    rows = []
    for n in range(count):
        course = courses[n % len(courses)]
        held = course.referred_at + dt.timedelta(days=rng.randrange(400), minutes=rng.randrange(600))
        relative = n % 4 == 3
        trainer = rng.choice(users)
        followed_up = n % 2 == 0
        rows.append({
            "trainee_kind": TraineeKind.RELATIVE if relative else TraineeKind.CITIZEN,
            "citizen_id": course.citizen_id, "course_id": course.id, "contact_id": None,
            "trainee_name": "Bo Hansen" if relative else None, "programme_id": course.programme_id,
            "trainer_id": trainer, "held_at": held, "method": rng.choice(list(TrainingMethod)),
            "checklist": [{"item": item, "passed": rng.random() < 0.8,
                           "note": "glemmer at lade op" if rng.random() < 0.1 else ""}
                          for item in checklists[course.programme_id]],
            "device_models": rng.sample(models, 2), "result": rng.choice(list(TrainingResult)),
            "note": None, "follow_up_due_on": (held + dt.timedelta(days=14)).date(),
            "follow_up_held_at": held + dt.timedelta(days=14, minutes=rng.randrange(600)) if followed_up else None,
            "follow_up_by_id": rng.choice(users) if followed_up else None,
            "follow_up_note": "Klarer målingerne selv nu" if followed_up else None,
            "recorded_at": held, "recorded_by_id": trainer,
        })
    return rows


def _setup(url: str, citizens: int, devices: int) -> tuple[dict, float]:
    started = time.perf_counter()
    build(url, citizens)
    rng = random.Random(citizens)
    engine = make_engine(url)
    s = make_session_factory(engine)()
    start = utcnow() - dt.timedelta(days=800)
    with unit_of_work(s):
        ids = places(s)
        ids.update(_courses(s, start, rng))
        users = list(s.scalars(select(User.id).order_by(User.id)))
        models = [{"id": m, "name": name} for m, name in zip(ids["models"], ("tablet", "pulse oximeter", "scale"),
                                                               strict=True)]
        events = []
        for n, course in enumerate(ids["long_courses"]):
            events += _events(course, EVENTS_PER_COURSE, users, ids["organisations"], rng,
                              final=n < len(ids["long_courses"]) - 1)
        events += _events(ids["short_courses"][0], 4, users, ids["organisations"], rng, final=False)
        s.execute(insert(CourseEvent), events)
        s.execute(insert(TrainingRecord), _trainings(ids["long_courses"], LONG_TRAININGS, users, ids["programmes"],
                                                     models, rng)
                  + _trainings(ids["short_courses"], 1, users, ids["programmes"], models, rng))
    s.close()
    engine.dispose()
    long_homes = [h for h in ids["homes"] if h[1] == ids["long"]]
    every = max(2, devices * 16 // 7 // LONG_MOVEMENTS)

    def home_of(n: int) -> tuple[int, int]:
        """The homes in turn (as the inventory benchmark), but every `every`-th device to the long history."""
        home = ids["homes"][n % len(ids["homes"])]
        if home[1] == ids["short"]:
            return home
        if n % every == 0:
            return long_homes[(n // every) % len(long_homes)]
        return home if home[1] != ids["long"] else ids["homes"][(n + 1) % len(ids["homes"])]

    ids["ledger_seconds"], ids["movements"] = _insert(url, ids, devices, home_of)
    return ids, time.perf_counter() - started


def _history(s, citizen: int) -> dict:
    homes = select(Holder.id).where(Holder.citizen_id == citizen)
    found = {
        "courses": s.scalar(select(func.count()).select_from(Course).where(Course.citizen_id == citizen)),
        "movements": s.scalar(select(func.count()).select_from(Movement).where(
            or_(Movement.to_holder_id.in_(homes), Movement.from_holder_id.in_(homes)))),
        "course_events": s.scalar(select(func.count()).select_from(CourseEvent).where(
            CourseEvent.citizen_id == citizen)),
        "training_records": s.scalar(select(func.count()).select_from(TrainingRecord).where(
            TrainingRecord.citizen_id == citizen)),
        "follow_ups": s.scalar(select(func.count()).select_from(TrainingRecord).where(
            TrainingRecord.citizen_id == citizen, TrainingRecord.follow_up_held_at.is_not(None))),
    }
    found["entries"] = sum(v for k, v in found.items() if k != "courses")
    return found


def _measure(url: str, ids: dict) -> dict:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    database = app.extensions["database"]
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: statements.append(sql))
    client = app.test_client()
    assert client.post("/login", data={"username": "helpdesk", "password": "Servicecenter-demo-3"}).status_code == 302
    load_before = os.getloadavg()
    s = database.factory()
    history = {"long": _history(s, ids["long"]), "short": _history(s, ids["short"])}
    s.close()

    def get(path: str) -> tuple[float, int, bytes]:
        """Server time, SQL statements and the page. The statements of a request that also writes the login
        session's last_seen_at (at most once a minute, whatever the page) come back negative, to report apart."""
        statements.clear()
        began = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (path, response.status_code)
        touch = any(sql.startswith("UPDATE user_sessions") for sql in statements)
        return elapsed, -len(statements) if touch else len(statements), response.data

    def counts(numbers) -> dict:
        return {"sql_statements": sorted({n for n in numbers if n > 0}),
                "sql_statements_with_session_touch": sorted({-n for n in numbers if n < 0})}

    def older(body: bytes) -> str | None:
        found = OLDER.search(body)
        return html.unescape(found.group(1).decode()) if found else None

    # The whole long history, page by page: every entry once, the same statements on every page.
    first = f"/citizens/{ids['long']}/timeline"
    path, pages, shown, walk_statements, categories = first, [], 0, [], set()
    while path:
        _t, n, body = get(path)
        entries = ENTRY.findall(body)
        assert entries and len(entries) <= 50, (path, len(entries))
        pages.append(path)
        shown += len(entries)
        walk_statements.append(n)
        categories.update(c.decode() for c in entries)
        path = older(body)
    assert shown == history["long"]["entries"], (shown, history["long"])
    assert len(pages) > DEEP, len(pages)
    short = f"/citizens/{ids['short']}/timeline"
    short_entries = ENTRY.findall(get(short)[2])
    assert len(short_entries) == history["short"]["entries"], (len(short_entries), history["short"])

    result = {"sources": [f.__name__ for f in app.extensions.get("timeline_sources", [])],
              "history": history, "long_pages": len(pages), "long_entries_shown": shown,
              "long_categories": sorted(categories), "walk": counts(walk_statements)}
    for name, path in (("long_first", first), ("long_deep", pages[DEEP]), ("short_first", short)):
        began = time.perf_counter()
        for _ in range(WARM_UP):  # caches, connection pool, compiled statements
            if get(path)[0] > 1000 and time.perf_counter() - began > 30:
                break
        samples, began = [], time.perf_counter()
        while len(samples) < REQUESTS and (len(samples) < MIN_REQUESTS or time.perf_counter() - began < CASE_SECONDS):
            samples.append(get(path)[:2])
        times = [t for t, _n in samples]
        result[name] = {"path": path, "requests": len(samples), "p50_ms": round(statistics.median(times), 2),
                        "p95_ms": round(percentile(times, 95), 2), "max_ms": round(max(times), 2),
                        **counts([n for _t, n in samples])}
    result["deep_page"] = DEEP + 1
    result["load_average"] = [round(load_before[0], 1), round(os.getloadavg()[0], 1)]  # other work on the machine
    database.engine.dispose()
    return result


def _code() -> str:
    """The commit measured and whether the app's code (outside bench/) differed from it in the working tree."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=RESULTS.parent.parent).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench"],
                               capture_output=True, text=True, check=True, cwd=RESULTS.parent.parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes to the app" if dirty else "")


def main() -> dict:
    results = []
    for backend, pg_url in backends():
        if backend == "sqlite":
            url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='sc-bench-tl-')) / 'bench.db'}"
        else:
            fresh_postgres(pg_url)
            url = pg_url
        ids, seconds = _setup(url, CITIZENS, DEVICES)
        result = {"backend": backend, "citizens": CITIZENS, "homes": len(ids["homes"]), "devices": DEVICES,
                  "movements": ids["movements"], "build_seconds": round(seconds),
                  "ledger_seconds": round(ids["ledger_seconds"]), "requests": REQUESTS,
                  **_measure(url, ids)}
        print(json.dumps(result), flush=True)
        results.append(result)
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "code": _code(),
              "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "timeline.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
